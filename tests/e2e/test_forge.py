"""Pull-request delivery to GitHub and Gitea, against the fake forge on 127.0.0.1."""

from __future__ import annotations

import socket
import traceback
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.e2e.forge_server import TOKEN, FakeForge, Recorded, forge_server
from tests.helpers import git
from treemerge.core.config import DeliveryConfig
from treemerge.deliver import RUN_RETRY_BUDGET, DeliveryError, PullMessage, RetryBudget
from treemerge.deliver.forge import (
    ForgeClient,
    ForgeResult,
    ForgeSettings,
    credential_target,
    forge_settings,
    resolve_token,
)

__all__ = ["forge_server"]  # the fixture, used by name

KINDS = ["github", "gitea"]
MARKER = "<!-- treemerge-pull: <pull-1@example.org> -->"


def pull_message(
    head: str = "for-main", *, body: str = "Please pull.", message_id: str = "<pull-1@example.org>"
) -> PullMessage:
    return PullMessage(
        subsystem="libvirt",
        subject="[GIT PULL] LIBVIRT DRIVER for main 2026-11-22",
        body_text=body,
        body_markdown=body,
        tag="libvirt-2026-11-22",
        url="https://git.example.org/libvirt.git",
        head="1" * 40,
        base="2" * 40,
        head_branch=head,
        base_branch="master",
        sender=None,
        to=("top@example.org",),
        cc=(),
        message_id=message_id,
    )


class Sleeps(list[float]):
    """The sleep function given to the client: records, never waits."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def settings(
    forge: FakeForge,
    kind: str,
    *,
    repo: str = "nova/nova",
    head_owner: str | None = None,
    attempts: int = 4,
    timeout: float = 5.0,
) -> ForgeSettings:
    url = forge.github_url if kind == "github" else forge.gitea_url
    return ForgeSettings(kind, url, repo, head_owner, timeout=timeout, max_attempts=attempts)


def client(
    forge: FakeForge,
    kind: str = "github",
    *,
    sleeps: Sleeps | None = None,
    repo: str = "nova/nova",
    head_owner: str | None = None,
    attempts: int = 4,
    timeout: float = 5.0,
) -> ForgeClient:
    """A client whose retries wait 0.5, 1, 2 … seconds (recorded in `sleeps`, not slept)."""
    chosen = settings(
        forge, kind, repo=repo, head_owner=head_owner, attempts=attempts, timeout=timeout
    )
    return ForgeClient(
        chosen, TOKEN, sleep=sleeps if sleeps is not None else Sleeps(), base_delay=0.5
    )


@pytest.mark.parametrize("kind", KINDS)
def test_creates_the_pull_request(forge_server: FakeForge, kind: str) -> None:
    result = client(forge_server, kind).deliver(pull_message())

    assert result == ForgeResult(
        1, f"https://{kind}.example/nova/nova/{'pull' if kind == 'github' else 'pulls'}/1", True
    )
    [pull] = forge_server.pulls(kind)
    assert (pull.head_owner, pull.head, pull.base) == ("nova", "for-main", "master")
    assert pull.title == "[GIT PULL] LIBVIRT DRIVER for main 2026-11-22"
    assert pull.body == f"Please pull.\n\n{MARKER}\n"
    prefix = "/api/v1" if kind == "gitea" else ""
    assert forge_server.methods() == [
        f"GET {prefix}/repos/nova/nova/pulls",
        f"POST {prefix}/repos/nova/nova/pulls",
    ]
    post = forge_server.requests[1]
    assert post.body["head"] == "for-main"
    assert post.headers["User-Agent"] == "treemerge"


def test_github_headers_and_lookup_query(forge_server: FakeForge) -> None:
    client(forge_server, "github").deliver(pull_message())

    lookup = forge_server.requests[0]
    assert lookup.query == {
        "state": "open",
        "head": "nova:for-main",
        "base": "master",
        "per_page": "100",
    }
    assert lookup.headers["Authorization"] == f"Bearer {TOKEN}"
    assert lookup.headers["Accept"] == "application/vnd.github+json"
    assert lookup.headers["X-GitHub-Api-Version"] == "2022-11-28"


def test_gitea_auth_header(forge_server: FakeForge) -> None:
    client(forge_server, "gitea").deliver(pull_message())

    assert {r.headers["Authorization"] for r in forge_server.requests} == {f"token {TOKEN}"}


def test_title_is_one_line_without_controls(forge_server: FakeForge) -> None:
    message = replace(pull_message(), subject="[GIT PULL] x\r\nInjected: \x1b[31mred")

    client(forge_server).deliver(message)

    assert forge_server.pulls("github")[0].title == "[GIT PULL] x Injected: \\x1b[31mred"


@pytest.mark.parametrize("kind", KINDS)
def test_second_delivery_updates_the_same_pull(forge_server: FakeForge, kind: str) -> None:
    forge = client(forge_server, kind)
    first = forge.deliver(pull_message(body="First version."))

    second = forge.deliver(pull_message(body="Second version."))

    assert second == ForgeResult(first.number, first.url, created=False)
    [pull] = forge_server.pulls(kind)
    assert pull.body == f"Second version.\n\n{MARKER}\n"
    assert [r.method for r in forge_server.requests] == ["GET", "POST", "GET", "PATCH"]
    assert forge_server.requests[-1].path.endswith("/repos/nova/nova/pulls/1")


@pytest.mark.parametrize("kind", KINDS)
def test_another_head_branch_gets_its_own_pull(forge_server: FakeForge, kind: str) -> None:
    forge = client(forge_server, kind)
    first = forge.deliver(pull_message("for-main"))

    second = forge.deliver(pull_message("for-main-2", message_id="<pull-2@example.org>"))

    assert (first.number, second.number, second.created) == (1, 2, True)
    assert [p.head for p in forge_server.pulls(kind)] == ["for-main", "for-main-2"]


@pytest.mark.parametrize("kind", KINDS)
def test_closed_pull_is_not_reused(forge_server: FakeForge, kind: str) -> None:
    forge_server.add_pull(kind, "for-main", state="closed")

    result = client(forge_server, kind).deliver(pull_message())

    assert (result.number, result.created) == (2, True)


@pytest.mark.parametrize("kind", KINDS)
def test_fork_head_is_owner_qualified(forge_server: FakeForge, kind: str) -> None:
    # The same branch name in the upstream repository itself is another pull request.
    forge_server.add_pull(kind, "for-main")
    forge = client(forge_server, kind, head_owner="libvirt-team")

    first = forge.deliver(pull_message())
    second = forge.deliver(pull_message())

    assert (first.number, first.created, second.number, second.created) == (2, True, 2, False)
    post = next(r for r in forge_server.requests if r.method == "POST")
    assert post.body["head"] == "libvirt-team:for-main"
    assert forge_server.pulls(kind)[1].head_owner == "libvirt-team"


@pytest.mark.parametrize("kind", KINDS)
def test_pull_created_meanwhile_is_updated(forge_server: FakeForge, kind: str) -> None:
    # Another run creates the pull request between our lookup and our create: the
    # forge refuses the duplicate (GitHub 422, Gitea 409) and we update that one.
    def race(recorded: Recorded) -> None:
        if recorded.method == "POST":
            forge_server.add_pull(kind, "for-main", body="made by the other run")

    forge_server.on_request = race

    result = client(forge_server, kind).deliver(pull_message())

    assert (result.number, result.created) == (1, False)
    [pull] = forge_server.pulls(kind)
    assert MARKER in pull.body
    assert [r.method for r in forge_server.requests] == ["GET", "POST", "GET", "PATCH"]


def test_422_with_nothing_to_update_is_not_retryable(forge_server: FakeForge) -> None:
    body = {
        "message": "Validation Failed",
        "errors": [{"message": "No commits between master and for-main"}],
    }
    forge_server.fail(422, method="POST", body=body)

    with pytest.raises(DeliveryError) as error:
        client(forge_server).deliver(pull_message())

    assert not error.value.retryable
    assert "HTTP 422: Validation Failed: No commits between master and for-main" in str(error.value)


@pytest.mark.parametrize("kind", KINDS)
def test_429_waits_as_retry_after_says(forge_server: FakeForge, kind: str) -> None:
    forge_server.fail(429, retry_after="7")
    sleeps = Sleeps()

    result = client(forge_server, kind, sleeps=sleeps).deliver(pull_message())

    assert result.created
    assert sleeps == [7.0]


def test_retry_after_as_http_date(forge_server: FakeForge) -> None:
    when = datetime.now(UTC) + timedelta(seconds=30)
    forge_server.fail(503, retry_after=format_datetime(when, usegmt=True))
    sleeps = Sleeps()

    client(forge_server, sleeps=sleeps).deliver(pull_message())

    [waited] = sleeps
    assert 25 <= waited <= 30


def test_retry_after_too_long_leaves_it_to_the_next_run(forge_server: FakeForge) -> None:
    forge_server.fail(429, retry_after="3600")

    with pytest.raises(DeliveryError) as error:
        client(forge_server).deliver(pull_message())

    assert error.value.retryable
    assert "asked to retry after 3600 s" in str(error.value)


def test_one_run_spends_a_bounded_time_waiting_across_deliveries(
    forge_server: FakeForge,
) -> None:
    """Each pull's client honours Retry-After, but the run's budget is shared: the
    waits of one run, over all its deliveries, never add up past RUN_RETRY_BUDGET."""
    budget = RetryBudget()
    sleeps = Sleeps()
    delivered, deferred = 0, []
    for n in range(6):
        forge_server.fail(429, retry_after="50")
        chosen = settings(forge_server, "github")
        forge = ForgeClient(chosen, TOKEN, sleep=sleeps, base_delay=0.5, budget=budget)
        try:
            forge.deliver(pull_message(head=f"topic-{n}"))
            delivered += 1
        except DeliveryError as error:
            deferred.append(error)
    assert sum(sleeps) <= RUN_RETRY_BUDGET
    assert (delivered, len(deferred)) == (2, 4)  # 50 s + 50 s, then no time left to wait
    assert all(e.retryable and "the next run retries" in str(e) for e in deferred)


@pytest.mark.parametrize("kind", KINDS)
def test_server_errors_then_success(forge_server: FakeForge, kind: str) -> None:
    for status in (500, 502, 503):
        forge_server.fail(status)
    sleeps = Sleeps()

    result = client(forge_server, kind, sleeps=sleeps).deliver(pull_message())

    assert result.created
    assert sleeps == [0.5, 1.0, 2.0]  # exponential backoff
    assert len(forge_server.pulls(kind)) == 1


def test_server_errors_forever_give_up_retryable(forge_server: FakeForge) -> None:
    forge_server.fail(503, times=100)

    with pytest.raises(DeliveryError) as error:
        client(forge_server, attempts=3).deliver(pull_message())

    assert error.value.retryable
    assert "HTTP 503" in str(error.value)
    assert "gave up after 3 attempts" in str(error.value)
    assert len(forge_server.requests) == 3


def test_github_rate_limit_403_is_retryable(forge_server: FakeForge) -> None:
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1700000000"}
    forge_server.fail(403, headers=headers, body={"message": "API rate limit exceeded"})

    with pytest.raises(DeliveryError) as error:
        client(forge_server).deliver(pull_message())

    assert error.value.retryable
    assert "rate limit exhausted until 2023-11-14 22:13 UTC" in str(error.value)


def test_slow_answer_times_out_and_is_retried(forge_server: FakeForge) -> None:
    forge_server.fail(200, delay=1.0)
    sleeps = Sleeps()

    result = client(forge_server, sleeps=sleeps, timeout=0.2).deliver(pull_message())

    assert result.created
    assert sleeps == [0.5]


def test_unreachable_forge_is_retryable(forge_server: FakeForge) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    forge_server.url = f"http://127.0.0.1:{port}"  # nothing listens there now

    with pytest.raises(DeliveryError) as error:
        client(forge_server, attempts=2).deliver(pull_message())

    assert error.value.retryable
    assert f"cannot reach 127.0.0.1:{port}" in str(error.value)
    assert "gave up after 2 attempts" in str(error.value)


@pytest.mark.parametrize("kind", KINDS)
def test_bad_token_is_not_retryable(forge_server: FakeForge, kind: str) -> None:
    forge_server.token = "another-token"

    with pytest.raises(DeliveryError) as error:
        client(forge_server, kind).deliver(pull_message())

    assert not error.value.retryable
    assert "HTTP 401: the token was refused" in str(error.value)
    assert len(forge_server.requests) == 1


def test_canned_401_on_create_is_not_retried(forge_server: FakeForge) -> None:
    forge_server.fail(401, method="POST")

    with pytest.raises(DeliveryError) as error:
        client(forge_server).deliver(pull_message())

    assert not error.value.retryable
    assert [r.method for r in forge_server.requests] == ["GET", "POST"]


@pytest.mark.parametrize(
    ("status", "advice"),
    [(403, "can write pull requests on nova/nova"), (404, "check `repo = nova/nova`")],
)
def test_forbidden_and_not_found_say_what_to_check(
    forge_server: FakeForge, status: int, advice: str
) -> None:
    forge_server.fail(status)

    with pytest.raises(DeliveryError) as error:
        client(forge_server).deliver(pull_message())

    assert not error.value.retryable
    assert advice in str(error.value)


def test_unknown_repository_is_404(forge_server: FakeForge) -> None:
    with pytest.raises(DeliveryError, match="check `repo = nova/typo`") as error:
        client(forge_server, "gitea", repo="nova/typo").deliver(pull_message())

    assert not error.value.retryable


@pytest.mark.parametrize("max_limit", [50, 20])
def test_gitea_finds_the_pull_on_a_later_page(forge_server: FakeForge, max_limit: int) -> None:
    # A server capping `limit` below what we ask gives short pages that are not the last.
    forge_server.gitea_max_limit = max_limit
    for index in range(55):
        forge_server.add_pull("gitea", f"topic-{index}")
    forge_server.add_pull("gitea", "for-main")

    result = client(forge_server, "gitea").deliver(pull_message())

    assert (result.number, result.created) == (56, False)
    pages = [r.query["page"] for r in forge_server.requests if r.method == "GET"]
    assert pages == (["1", "2"] if max_limit == 50 else ["1", "2", "3"])
    assert {r.query["limit"] for r in forge_server.requests if r.method == "GET"} == {"50"}
    assert len(forge_server.pulls("gitea")) == 56


def test_token_from_environment(forge_server: FakeForge) -> None:
    chosen = settings(forge_server, "github")

    assert resolve_token(chosen, {"TREEMERGE_TOKEN": TOKEN}) == TOKEN


def test_token_from_git_credential_helper(forge_server: FakeForge, tmp_path: Path) -> None:
    helper = "!f() { echo username=x; echo password=secret-from-helper; }; f"
    git(tmp_path, "config", "--global", "credential.helper", helper)
    chosen = settings(forge_server, "gitea")
    forge_server.token = "secret-from-helper"

    token = resolve_token(chosen, {})
    ForgeClient(chosen, token, sleep=Sleeps()).deliver(pull_message())

    assert token == "secret-from-helper"
    assert forge_server.requests[0].headers["Authorization"] == "token secret-from-helper"


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

    resolve_token(settings(forge_server, "github"), {})

    port = forge_server.url.rsplit(":", 1)[1]
    assert asked.read_text().split() == ["protocol=http", f"host=127.0.0.1:{port}"]


def test_credential_target() -> None:
    assert credential_target("https://api.github.com") == ("https", "github.com")
    assert credential_target("https://ghe.example.com/api/v3") == ("https", "ghe.example.com")
    assert credential_target("https://gitea.example.org:3000/api/v1") == (
        "https",
        "gitea.example.org:3000",
    )


def test_no_token_says_how_to_provide_one(forge_server: FakeForge) -> None:
    with pytest.raises(DeliveryError) as error:
        resolve_token(settings(forge_server, "github"), {"TREEMERGE_TOKEN": ""})

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
        resolve_token(settings(forge_server, "github"), {})


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ((("repo", "nova/nova"),), "api-url"),
        ((("api-url", "https://api.github.com"),), "repo"),
        ((("api-url", "https://api.github.com"), ("repo", "nova")), "repo"),
        ((("api-url", "http://forge.example.org/api/v1"), ("repo", "nova/nova")), "api-url"),
    ],
)
def test_settings_errors_name_the_key(options: tuple[tuple[str, str], ...], key: str) -> None:
    with pytest.raises(DeliveryError, match=rf"^\[delivery\] {key}: ") as error:
        forge_settings("github", DeliveryConfig("github", options))

    assert not error.value.retryable


def test_settings_from_delivery_config() -> None:
    config = DeliveryConfig("gitea", (("api-url", "https://g.example/api/v1/"), ("repo", "o/r")))

    chosen = forge_settings("gitea", config, head_owner="team")

    assert chosen == ForgeSettings("gitea", "https://g.example/api/v1", "o/r", head_owner="team")


def test_token_never_appears_in_errors_or_output(
    forge_server: FakeForge, capfd: pytest.CaptureFixture[str]
) -> None:
    texts: list[str] = []

    def attempt(forge: ForgeClient) -> None:
        texts.append(repr(forge))
        try:
            forge.deliver(pull_message())
        except DeliveryError as exc:
            texts.extend([str(exc), repr(exc), "".join(traceback.format_exception(exc))])

    # A server that echoes the token back in its error message.
    forge_server.fail(422, method="POST", body={"message": f"token {TOKEN} is odd"})
    attempt(client(forge_server))
    for status in (401, 403, 404):
        forge_server.fail(status)
        attempt(client(forge_server, "gitea"))
    forge_server.fail(503, times=2)
    attempt(client(forge_server, attempts=2))
    forge_server.url = "http://127.0.0.1:1"
    attempt(client(forge_server, attempts=1))
    with pytest.raises(DeliveryError) as bad:
        ForgeClient(settings(forge_server, "github"), f"{TOKEN}\n", sleep=Sleeps())
    texts.append(str(bad.value))

    captured = capfd.readouterr()
    assert len(texts) > 10
    assert "token <token> is odd" in "".join(texts)
    for text in [*texts, captured.out, captured.err]:
        assert TOKEN not in text
