"""Forge credentials and settings: the token or git's credential helper, the
Authorization each forge takes, and settings refused before anything is sent; against
the fake forge on 127.0.0.1 (see forge_client.py)."""

from __future__ import annotations

import traceback
from pathlib import Path

import pytest

from tests.e2e.forge_client import (
    BRANCH,
    Repos,
    client,
    forge,
    pull_message,
    repos,
    settings,
)
from tests.e2e.forge_server import BOT, PASSWORD, TOKEN, FakeForge, forge_server
from tests.helpers import git
from treemerge.core.config import DeliveryConfig
from treemerge.deliver import DeliveryError
from treemerge.deliver.forge import ForgeClient, ForgeSettings, forge_settings
from treemerge.deliver.forge_auth import Credential, credential_target, resolve_credential

__all__ = ["forge", "forge_server", "repos"]  # the fixtures, used by name


# Credentials


def test_github_headers_and_lookup_query(forge: FakeForge, repos: Repos) -> None:
    client(forge, "github", fork="libvirt-team").deliver(pull_message(repos.head))

    lookup = forge.requests[0]
    assert lookup.query == {
        "state": "open",
        "head": f"libvirt-team:{BRANCH}",
        "base": "master",
        "per_page": "100",
    }
    assert lookup.headers["Authorization"] == f"Bearer {TOKEN}"
    assert lookup.headers["Accept"] == "application/vnd.github+json"
    assert lookup.headers["X-GitHub-Api-Version"] == "2022-11-28"


def test_gitea_token_from_the_environment_is_sent_as_token(forge: FakeForge, repos: Repos) -> None:
    credential = resolve_credential(settings(forge, "gitea"), {"TREEMERGE_TOKEN": TOKEN})

    client(forge, "gitea", credential=credential).deliver(pull_message(repos.head))

    assert credential == Credential(TOKEN)
    assert {r.headers["Authorization"] for r in forge.requests} == {f"token {TOKEN}"}


@pytest.mark.parametrize("secret", [PASSWORD, TOKEN])
def test_gitea_takes_the_credential_helper_s_login_by_basic_auth(
    forge: FakeForge, repos: Repos, secret: str
) -> None:
    """The helper holds what git pushes with: the account's password, or a token."""
    asked = []

    def helper(protocol: str, host: str) -> Credential:
        asked.append((protocol, host))
        return Credential(secret, username=BOT)

    chosen = settings(forge, "gitea")
    credential = resolve_credential(chosen, {}, fill=helper)
    result = client(forge, "gitea", credential=credential).deliver(pull_message(repos.head))

    assert result.created
    port = forge.url.rsplit(":", 1)[1]
    assert asked == [("http", f"127.0.0.1:{port}")]
    header = forge.requests[0].headers["Authorization"]
    assert header.startswith("Basic ")
    assert secret not in header
    assert forge.pulls("gitea")[0].poster == BOT


def test_github_takes_the_helper_s_password_as_a_bearer_token(
    forge: FakeForge, repos: Repos
) -> None:
    credential = Credential(TOKEN, username="x-access-token")

    client(forge, "github", credential=credential).deliver(pull_message(repos.head))

    assert forge.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_token_from_git_credential_helper(forge_server: FakeForge, tmp_path: Path) -> None:
    helper = "!f() { echo username=x; echo password=secret-from-helper; }; f"
    git(tmp_path, "config", "--global", "credential.helper", helper)

    credential = resolve_credential(settings(forge_server, "gitea"), {})

    assert credential == Credential("secret-from-helper", username="x")
    assert "secret-from-helper" not in repr(credential)


def test_credential_helper_is_asked_for_the_api_host(
    forge_server: FakeForge, tmp_path: Path
) -> None:
    asked = tmp_path / "asked"
    git(
        tmp_path,
        "config",
        "--global",
        "credential.helper",
        f"!f() {{ cat > {asked}; echo username=x; echo password=p; }}; f",
    )

    resolve_credential(settings(forge_server, "github"), {})

    port = forge_server.url.rsplit(":", 1)[1]
    assert asked.read_text().split() == ["protocol=http", f"host=127.0.0.1:{port}"]


@pytest.mark.parametrize(
    ("api_url", "target"),
    [
        ("https://api.github.com", ("https", "github.com")),
        ("https://api.octo-corp.ghe.com", ("https", "octo-corp.ghe.com")),
        ("https://ghe.example.com/api/v3", ("https", "ghe.example.com")),
        ("https://gitea.example.org:3000/api/v1", ("https", "gitea.example.org:3000")),
    ],
)
def test_credential_target(api_url: str, target: tuple[str, str]) -> None:
    assert credential_target(api_url) == target


def test_no_token_says_how_to_provide_one(forge_server: FakeForge) -> None:
    with pytest.raises(DeliveryError) as error:
        resolve_credential(settings(forge_server, "github"), {"TREEMERGE_TOKEN": ""})

    assert not error.value.retryable
    assert "set $TREEMERGE_TOKEN" in str(error.value)
    assert "credential helper" in str(error.value)


def test_a_repository_cannot_choose_the_credential_helper(
    forge_server: FakeForge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A tree's own .git/config could name any program as its helper.
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "credential.helper", "!f() { echo password=from-the-tree; }; f")
    monkeypatch.chdir(tmp_path)

    with pytest.raises(DeliveryError, match="no github token"):
        resolve_credential(settings(forge_server, "github"), {})


# Settings


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ((("repo", "nova/nova"),), "api-url"),
        ((("api-url", "https://api.github.com"),), "repo"),
        ((("api-url", "https://api.github.com"), ("repo", "nova")), "repo"),
        ((("api-url", "http://forge.example.org/api/v1"), ("repo", "nova/nova")), "api-url"),
        ((("api-url", "https://me:hunter2@api.github.com"), ("repo", "nova/nova")), "api-url"),
    ],
)
def test_settings_errors_name_the_key(options: tuple[tuple[str, str], ...], key: str) -> None:
    with pytest.raises(DeliveryError, match=rf"^\[delivery\] {key}: ") as error:
        forge_settings("github", DeliveryConfig("github", options))

    assert not error.value.retryable
    assert "hunter2" not in str(error.value)


def test_an_api_url_with_a_password_is_refused_without_echoing_it() -> None:
    config = DeliveryConfig("gitea", (("api-url", "https://jane:s3cr3t@g.example/api/v1"),
                                      ("repo", "o/r")))  # fmt: skip

    with pytest.raises(DeliveryError) as error:
        forge_settings("gitea", config)

    assert "must not carry a user name or password" in str(error.value)
    assert "s3cr3t" not in str(error.value)
    assert "jane" not in str(error.value)


@pytest.mark.parametrize("fork", ["team/", "/nova", "a b", "team/nova/x"])
def test_a_malformed_fork_is_refused(fork: str) -> None:
    config = DeliveryConfig("github", (("api-url", "https://api.github.com"), ("repo", "o/r")))

    with pytest.raises(DeliveryError, match=r"^forge-fork: expected OWNER or OWNER/NAME"):
        forge_settings("github", config, fork=fork)


def test_settings_from_delivery_config() -> None:
    config = DeliveryConfig("gitea", (("api-url", "https://g.example/api/v1/"), ("repo", "o/r")))

    chosen = forge_settings("gitea", config, fork="team/r")

    assert chosen == ForgeSettings("gitea", "https://g.example/api/v1", "o/r", "team", "r")
    assert chosen.head_repo == "team/r"


def test_token_never_appears_in_errors_or_output(
    forge: FakeForge, repos: Repos, capfd: pytest.CaptureFixture[str]
) -> None:
    texts: list[str] = []

    def attempt(forge_client: ForgeClient) -> None:
        texts.append(repr(forge_client))
        try:
            forge_client.deliver(pull_message(repos.head))
        except DeliveryError as exc:
            texts.extend([str(exc), repr(exc), "".join(traceback.format_exception(exc))])

    # A server that echoes the token back in its error message.
    forge.fail(422, method="POST", body={"message": f"token {TOKEN} is odd"})
    attempt(client(forge))
    for status in (401, 403, 404):
        forge.fail(status)
        attempt(client(forge, "gitea"))
    forge.fail(503, times=2)
    attempt(client(forge, attempts=2))
    attempt(client(forge, "gitea", credential=Credential(TOKEN, username=BOT)))
    forge.url = "http://127.0.0.1:1"
    attempt(client(forge, attempts=1))
    for credential in (Credential(f"{TOKEN}\n"), Credential(TOKEN, username="a:b")):
        with pytest.raises(DeliveryError) as bad:
            client(forge, "gitea", credential=credential)
        texts.append(str(bad.value))

    captured = capfd.readouterr()
    assert len(texts) > 12
    assert "token <token> is odd" in "".join(texts)
    for text in [*texts, captured.out, captured.err]:
        assert TOKEN not in text
