"""Pull requests on GitHub and Gitea through their REST APIs.

A pull request is created once and updated afterwards: before creating one, the open
pull request with the same head and base is looked up and, if there is one, its title
and body are replaced. A cron cycle that dies halfway and runs again therefore never
leaves two pull requests for one branch. The body ends with a hidden marker holding the
pull's Message-Id, which tells which pull a forge pull request shows.

The token never leaves the Authorization header: it is kept out of every repr and
every exception message, and redacted from anything a server says back.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from requests.auth import AuthBase

from treemerge.core.config import DeliveryConfig
from treemerge.core.escape import escape_text
from treemerge.deliver import DeliveryError, PullMessage, RetryBudget
from treemerge.gitio.credentials import credential_fill

KINDS = ("github", "gitea")
TOKEN_VARIABLE = "TREEMERGE_TOKEN"  # noqa: S105 (the variable's name, not a secret)
MARKER = "<!-- treemerge-pull: {} -->"
REPO_NAME = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
TOKEN_CHARS = re.compile(r"[\x21-\x7e]+")  # what a header value carries safely
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
API_URL_EXAMPLES = {
    "github": "https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise",
    "gitea": "https://HOST/api/v1",
}
HEADERS = {
    "github": {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"},
    "gitea": {"Accept": "application/json"},
}
AUTH_SCHEMES = {"github": "Bearer", "gitea": "token"}
# What to check when the forge refuses (the API's own words for other statuses).
REJECTED = {
    401: "the token was refused: check that it is valid and not expired "
    f"(${TOKEN_VARIABLE} or git's credential helper)",
    403: "the token may not do this: check that it can write pull requests on {repo} "
    "(GitHub: `repo` scope or 'Pull requests: write'; Gitea: `write:repository`)",
    404: "not found: check `repo = {repo}` and `api-url = {api}` in [delivery], "
    "and that the token can see the repository",
}

DEFAULT_TIMEOUT = 30.0
DEFAULT_ATTEMPTS = 4
MAX_BACKOFF = 60.0
# A server asking for a longer pause is better retried by the next cron run than
# waited for: this run would hold its lock all that time.
MAX_RETRY_AFTER = 300.0
GITEA_PAGE_SIZE = 50
MAX_PAGES = 100  # 5,000 open pull requests: far beyond any real repository
MAX_MESSAGE = 300  # characters of a server's error message worth showing

Sleep = Callable[[float], None]
Json = dict[str, Any]


@dataclass(frozen=True)
class ForgeSettings:
    """Where pull requests go; no secret here (the token is given to ForgeClient).

    `api_url` is the API root (https://api.github.com, https://HOST/api/v3 for GitHub
    Enterprise, https://HOST/api/v1 for Gitea), `repo` the upstream's "owner/name",
    `head_owner` the owner of the fork holding the branch (None: the same repository).
    Plain http is refused except on loopback: it would send the token in clear.
    """

    kind: str
    api_url: str
    repo: str
    head_owner: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    max_attempts: int = DEFAULT_ATTEMPTS

    def __post_init__(self) -> None:
        url = urlsplit(self.api_url)
        if self.kind not in KINDS:
            raise _settings_error(f"unknown forge {self.kind!r}: expected github or gitea")
        if not REPO_NAME.fullmatch(self.repo):
            raise _settings_error(f"repo: expected owner/name, not {self.repo!r}")
        if not url.hostname or not (
            url.scheme == "https" or (url.scheme == "http" and url.hostname in LOOPBACK_HOSTS)
        ):
            raise _settings_error(f"api-url: expected an https:// URL, not {self.api_url!r}")
        if self.timeout <= 0 or self.max_attempts < 1:
            raise _settings_error("timeout must be positive and max_attempts at least 1")

    @property
    def owner(self) -> str:
        return self.repo.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.repo.split("/", 1)[1]


@dataclass(frozen=True)
class ForgeResult:
    """The pull request as the forge now has it; `created` is False when updated."""

    number: int
    url: str
    created: bool


def _settings_error(message: str) -> DeliveryError:
    return DeliveryError(f"[delivery] {message}", retryable=False)


def forge_settings(
    kind: str, delivery: DeliveryConfig, *, head_owner: str | None = None
) -> ForgeSettings:
    """The settings in `[delivery]` for forge `kind`; DeliveryError (not retryable)
    naming the key that is missing or malformed."""
    api_url = delivery.get("api-url")
    if not api_url:
        hint = API_URL_EXAMPLES.get(kind, "the forge's API root")
        raise _settings_error(f"api-url: method {kind} needs `api-url =` ({hint})")
    repo = delivery.get("repo")
    if not repo:
        raise _settings_error(f"repo: method {kind} needs `repo = owner/name` (the upstream)")
    return ForgeSettings(kind, api_url.rstrip("/"), repo, head_owner=head_owner)


def credential_target(api_url: str) -> tuple[str, str]:
    """The (protocol, host) git's credential helpers know the forge by. GitHub's tokens
    are kept under github.com, not api.github.com (where `gh auth setup-git` and Git
    Credential Manager store them for pushes)."""
    url = urlsplit(api_url)
    host = "github.com" if url.hostname == "api.github.com" else url.hostname or ""
    return url.scheme or "https", host if url.port is None else f"{host}:{url.port}"


def resolve_token(settings: ForgeSettings, env: Mapping[str, str]) -> str:
    """The API token: $TREEMERGE_TOKEN when set, else the password git's credential
    helper holds for the forge's host. DeliveryError (not retryable) when neither has
    one, saying how to provide it."""
    token = env.get(TOKEN_VARIABLE, "").strip()
    if token:
        return token
    protocol, host = credential_target(settings.api_url)
    token = (credential_fill(protocol, host) or "").strip()
    if token:
        return token
    raise DeliveryError(
        f"no {settings.kind} token for {host}: set ${TOKEN_VARIABLE}, or store the token "
        f"in git's credential helper for {protocol}://{host} "
        "(e.g. `gh auth setup-git`, or `git credential approve`)",
        retryable=False,
    )


class _TokenAuth(AuthBase):
    """Sets the Authorization header. An auth object also stops requests from replacing
    the header with ~/.netrc credentials."""

    def __init__(self, value: str) -> None:
        self._value = value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._value
        return request

    def __repr__(self) -> str:
        return "_TokenAuth(<hidden>)"


class ForgeClient:
    """Creates or updates pull requests on one forge repository.

    `sleep` is called between attempts (tests pass a recorder); retry n waits
    `base_delay * 2**(n-1)` seconds (at most a minute), or what Retry-After asks.
    """

    def __init__(
        self,
        settings: ForgeSettings,
        token: str,
        *,
        sleep: Sleep = time.sleep,
        base_delay: float = 1.0,
        budget: RetryBudget | None = None,
    ) -> None:
        if not TOKEN_CHARS.fullmatch(token):
            # Refused here: requests would quote the whole header value in its error.
            raise DeliveryError("the token contains spaces or control characters", retryable=False)
        self.settings = settings
        self._token = token
        self._sleep = sleep
        self._base_delay = base_delay
        self._budget = budget or RetryBudget()
        self._session = requests.Session()
        self._session.headers.update({"User-Agent": "treemerge", **HEADERS[settings.kind]})
        self._session.auth = _TokenAuth(f"{AUTH_SCHEMES[settings.kind]} {token}")

    def __repr__(self) -> str:
        return f"ForgeClient({self.settings!r})"

    def close(self) -> None:
        """Closes the HTTP connections the client keeps open."""
        self._session.close()

    def deliver(self, message: PullMessage) -> ForgeResult:
        """The pull request for `message`: created, or when an open one from the same
        head to the same base exists, updated in place, never duplicated. DeliveryError
        (`retryable` as the failure warrants) when the forge does not agree."""
        title = escape_text(" ".join(message.subject.split()))  # one line, no controls
        marker = MARKER.format(message.message_id)
        body = f"{message.body_markdown.rstrip()}\n\n{marker}\n"
        existing = self._find_open(message, marker)
        if existing is not None:
            return self._update(existing, title, body)
        head = message.head_branch
        payload = {
            "title": title,
            "body": body,
            "head": f"{self.settings.head_owner}:{head}" if self.settings.head_owner else head,
            "base": message.base_branch,
        }
        # GitHub answers 422 and Gitea 409 when the pull request appeared meanwhile
        # (another run, or an earlier attempt whose answer was lost): update that one.
        response = self._request("POST", self._path(), payload=payload, accept=(409, 422))
        if response.status_code in (409, 422):
            existing = self._find_open(message, marker)
            if existing is None:
                raise self._rejected("POST", self._path(), response)
            return self._update(existing, title, body)
        return self._result(self._answer(response, dict), created=True)

    def _path(self, number: int | None = None) -> str:
        owner, name = (quote(part, safe="") for part in (self.settings.owner, self.settings.name))
        return f"/repos/{owner}/{name}/pulls" + (f"/{number}" if number is not None else "")

    def _update(self, pull: Json, title: str, body: str) -> ForgeResult:
        path = self._path(self._result(pull, created=False).number)
        answer = self._answer(
            self._request("PATCH", path, payload={"title": title, "body": body}), dict
        )
        return self._result(answer if "number" in answer else pull, created=False)

    def _find_open(self, message: PullMessage, marker: str) -> Json | None:
        """The open pull request from the message's head branch to its base branch;
        one whose body carries this pull's marker first."""
        owner = self.settings.head_owner or self.settings.owner
        head, base = message.head_branch, message.base_branch
        pulls = [
            p for p in self._open_pulls(f"{owner}:{head}", base) if _goes(p, owner, head, base)
        ]
        marked = [p for p in pulls if marker in str(p.get("body") or "")]
        return (marked or pulls)[0] if pulls else None

    def _open_pulls(self, head: str, base: str) -> Iterator[Json]:
        path = self._path()
        if self.settings.kind == "github":
            # GitHub filters on the server: at most one open pull per head and base.
            params = {"state": "open", "head": head, "base": base, "per_page": "100"}
            yield from self._answer(self._request("GET", path, params=params), list)
            return
        # Gitea's list filters on neither: read every page and filter here.
        seen = 0
        for page in range(1, MAX_PAGES + 1):
            params = {"state": "open", "page": str(page), "limit": str(GITEA_PAGE_SIZE)}
            response = self._request("GET", path, params=params)
            pulls = self._answer(response, list)
            yield from pulls
            seen += len(pulls)
            if not pulls or _last_page(response, seen):
                return

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        payload: Json | None = None,
        accept: tuple[int, ...] = (),
    ) -> requests.Response:
        """The answer to one API call, a 2xx or one of `accept`, after retrying what may
        mend (network errors, timeouts, 429, 5xx); DeliveryError otherwise."""
        attempts = self.settings.max_attempts
        problem = ""
        for attempt in range(1, attempts + 1):
            try:
                response = self._session.request(
                    method,
                    self.settings.api_url + path,
                    params=params,
                    json=payload,
                    timeout=self.settings.timeout,
                )
            except requests.RequestException as exc:
                problem, wait = self._network_problem(exc), None
            else:
                if response.ok or response.status_code in accept:
                    return response
                problem, wait = self._retryable_problem(method, path, response)
            if attempt < attempts:
                backoff = min(self._base_delay * 2 ** (attempt - 1), MAX_BACKOFF)
                pause = backoff if wait is None else wait
                if not self._budget.take(pause):
                    raise self._error(
                        f"{method} {path}: {problem} (not retried: this run has spent its "
                        "time for waiting on the forge; the next run retries)",
                        retryable=True,
                    )
                self._sleep(pause)
        raise self._error(
            f"{method} {path}: {problem} (gave up after {attempts} attempts)", retryable=True
        )

    def _network_problem(self, exc: requests.RequestException) -> str:
        """What went wrong on the wire; raises for what no retry can mend (a bad URL)."""
        if isinstance(exc, requests.Timeout):
            return f"no answer within {self.settings.timeout:g} s"
        if not isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
            raise self._error(f"{type(exc).__name__}: {exc}", retryable=False) from None
        # urllib3 nests the useful part ("[Errno 111] Connection refused") deep inside.
        reason = getattr(exc.args[0] if exc.args else None, "reason", None) or exc
        host = urlsplit(self.settings.api_url).netloc
        return f"cannot reach {host}: {str(reason).rsplit('): ', 1)[-1]}"

    def _retryable_problem(
        self, method: str, path: str, response: requests.Response
    ) -> tuple[str, float | None]:
        """(what went wrong, the wait the server asks for) for an answer worth another
        attempt; raises DeliveryError for one that is not."""
        status, wait = response.status_code, _retry_after(response)
        # GitHub's rate limits answer 403 (or 429) with Retry-After or no requests left.
        limited = status == 403 and (
            wait is not None or response.headers.get("X-RateLimit-Remaining") == "0"
        )
        if status != 429 and status < 500 and not limited:
            raise self._rejected(method, path, response)
        if limited and wait is None:
            reset = response.headers.get("X-RateLimit-Reset", "")
            until = f" until {_clock(int(reset))}" if reset.isdigit() else ""
            raise self._error(f"API rate limit exhausted{until}", retryable=True)
        if wait is not None and wait > MAX_RETRY_AFTER:
            what = f"{method} {path}: HTTP {status}, asked to retry after {wait:.0f} s"
            raise self._error(what, retryable=True)
        return f"HTTP {status} {self._api_message(response)}".rstrip(), wait

    def _rejected(self, method: str, path: str, response: requests.Response) -> DeliveryError:
        """The error for an answer no retry changes (401, 403, 404, any other 4xx)."""
        status = response.status_code
        advice = REJECTED.get(status, "").format(repo=self.settings.repo, api=self.settings.api_url)
        advice = advice or self._api_message(response) or "rejected"
        return self._error(f"{method} {path}: HTTP {status}: {advice}", retryable=False)

    def _api_message(self, response: requests.Response) -> str:
        """The API's own explanation: "message", and GitHub's "errors" details."""
        try:
            answer = response.json()
        except ValueError:
            return ""
        if not isinstance(answer, dict):
            return ""
        parts = [answer.get("message")]
        errors = answer.get("errors")  # GitHub's details of a 422
        if isinstance(errors, list):
            parts += [error.get("message") for error in errors if isinstance(error, dict)]
        return ": ".join(str(part) for part in parts if part)

    def _error(self, text: str, *, retryable: bool) -> DeliveryError:
        """A DeliveryError whose text is fit to show: token redacted, control
        characters escaped (servers and libraries wrote parts of it), not too long."""
        text = escape_text(f"{self.settings.kind}: {text}".replace(self._token, "<token>"))
        short = text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"
        return DeliveryError(short, retryable=retryable)

    def _answer(self, response: requests.Response, kind: type[Any]) -> Any:
        """The JSON answer, which must be a `kind` (dict or list of dicts)."""
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, kind):
            where = f"{response.request.method} {urlsplit(response.request.url or '').path}"
            raise self._error(
                f"{where}: HTTP {response.status_code} without the JSON expected: "
                "is api-url the API root?",
                retryable=False,
            )
        return [item for item in answer if isinstance(item, dict)] if kind is list else answer

    def _result(self, pull: Json, *, created: bool) -> ForgeResult:
        number = pull.get("number")
        if not isinstance(number, int):
            raise self._error(
                "the forge answered with a pull request without a number", retryable=False
            )
        return ForgeResult(number, str(pull.get("html_url") or ""), created)


def _goes(pull: Json, owner: str, branch: str, base: str) -> bool:
    """Whether `pull` goes from `owner`'s `branch` to `base`. Both forges give the
    branch as head "ref"; Gitea gives refs/pull/N/head once the branch is gone, but
    keeps the branch as "label"."""
    head = pull.get("head") or {}
    if (pull.get("base") or {}).get("ref") != base:
        return False
    if branch not in (head.get("ref"), head.get("label")):
        return False
    login = ((head.get("repo") or {}).get("owner") or {}).get("login")
    return isinstance(login, str) and login.lower() == owner.lower()


def _last_page(response: requests.Response, seen: int) -> bool:
    """Whether Gitea says no page follows: X-Total-Count reached, or a Link header
    without "next". With neither, the next (empty) page tells."""
    total = response.headers.get("X-Total-Count", "")
    if total.isdigit() and seen >= int(total):
        return True
    return "Link" in response.headers and "next" not in response.links


def _retry_after(response: requests.Response) -> float | None:
    """Retry-After in seconds; the header holds either seconds or an HTTP date."""
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _clock(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")
