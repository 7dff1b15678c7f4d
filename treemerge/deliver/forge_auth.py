"""What authenticates treemerge to a forge: $TREEMERGE_TOKEN, or the login git's
credential helper holds for the forge's host, and the Authorization header each forge
takes for it (GitHub: Bearer; Gitea: `token`, or Basic for a helper's user name and
password).

The secret never leaves the Authorization header: it is kept out of every repr here
(and ForgeClient keeps it out of its errors).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase

from treemerge.deliver import DeliveryError
from treemerge.gitio.credentials import credential_login

if TYPE_CHECKING:
    from treemerge.deliver.forge import ForgeSettings

TOKEN_VARIABLE = "TREEMERGE_TOKEN"  # noqa: S105 (the variable's name, not a secret)
AUTH_SCHEMES = {"github": "Bearer", "gitea": "token"}
TOKEN_CHARS = re.compile(r"[\x21-\x7e]+")  # what a header value carries safely
USER_CHARS = re.compile(r"[\x21-\x39\x3b-\x7e]+")  # the same without ":" (Basic's separator)
# GitHub Enterprise Cloud with data residency serves its API at api.SUBDOMAIN.ghe.com.
GHE_CLOUD_API = re.compile(r"api\.([a-z0-9-]+\.ghe\.com)", re.IGNORECASE)


@dataclass(frozen=True)
class Credential:
    """What authenticates to the forge. `username` is set for a credential from git's
    credential helper, whose password Gitea takes by Basic auth (its Basic handler also
    takes a token as the password); a token from the environment has none."""

    secret: str = field(repr=False)
    username: str | None = None


HelperFill = Callable[[str, str], Credential | None]


def credential_target(api_url: str) -> tuple[str, str]:
    """The (protocol, host) git's credential helpers know the forge by. GitHub's tokens
    are kept under github.com, not api.github.com (where `gh auth setup-git` and Git
    Credential Manager store them for pushes); GitHub Enterprise Cloud's under
    SUBDOMAIN.ghe.com, not api.SUBDOMAIN.ghe.com."""
    url = urlsplit(api_url)
    host = url.hostname or ""
    cloud = GHE_CLOUD_API.fullmatch(host)
    host = "github.com" if host == "api.github.com" else cloud.group(1) if cloud else host
    return url.scheme or "https", host if url.port is None else f"{host}:{url.port}"


def helper_credential(protocol: str, host: str) -> Credential | None:
    """What git's credential helpers hold for `protocol://host`: the password, with
    the user name when they give one (Gitea is then sent both by Basic auth)."""
    login = credential_login(protocol, host)
    return Credential(login[1].strip(), username=login[0]) if login else None


def resolve_credential(
    settings: ForgeSettings, env: Mapping[str, str], *, fill: HelperFill = helper_credential
) -> Credential:
    """$TREEMERGE_TOKEN when set, else what git's credential helper holds for the
    forge's host. DeliveryError (not retryable) when neither has one, saying how to
    provide it."""
    token = env.get(TOKEN_VARIABLE, "").strip()
    if token:
        return Credential(token)
    protocol, host = credential_target(settings.api_url)
    credential = fill(protocol, host)
    if credential is not None and credential.secret:
        return credential
    raise DeliveryError(
        f"no {settings.kind} token for {host}: set ${TOKEN_VARIABLE}, or store the token "
        f"in git's credential helper for {protocol}://{host} "
        "(e.g. `gh auth setup-git`, or `git credential approve`)",
        retryable=False,
    )


def authorization(kind: str, credential: Credential) -> str:
    """The Authorization header's value: Basic for a Gitea user name and password from
    git's credential helper, else the forge's token scheme. DeliveryError for what a
    header cannot carry (refused here: requests would quote the whole value)."""
    user, secret = credential.username, credential.secret
    if kind == "gitea" and user is not None:
        if not USER_CHARS.fullmatch(user) or not secret:
            raise DeliveryError(
                "the credential helper's user name is empty or holds ':', spaces or "
                "control characters",
                retryable=False,
            )
        return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()
    if not TOKEN_CHARS.fullmatch(secret):
        raise DeliveryError("the token contains spaces or control characters", retryable=False)
    return f"{AUTH_SCHEMES[kind]} {secret}"


def header_auth(kind: str, credential: Credential) -> AuthBase:
    """A requests auth that sends `authorization(kind, credential)` (and raises as it
    does, before anything is sent)."""
    return _HeaderAuth(authorization(kind, credential))


class _HeaderAuth(AuthBase):
    """Sets the Authorization header. An auth object also stops requests from replacing
    the header with ~/.netrc credentials."""

    def __init__(self, value: str) -> None:
        self._value = value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._value
        return request

    def __repr__(self) -> str:
        return "_HeaderAuth(<hidden>)"
