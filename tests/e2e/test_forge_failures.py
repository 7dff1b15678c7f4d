"""Forge failures handled as the forges ask: rate limits waited out (never retried
before the time named, within the run's budget), refusals in the server's own words,
server errors and network trouble retried; against the fake forge on 127.0.0.1 with a
fake clock (see forge_client.py)."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from tests.e2e.forge_client import (
    BRANCH,
    KINDS,
    START,
    Repos,
    client,
    forge,
    pull_message,
    repos,
    sleeps,
)
from tests.e2e.forge_server import FakeForge, forge_server
from treemerge.deliver import RUN_RETRY_BUDGET, DeliveryError, RetryBudget

__all__ = ["forge", "forge_server", "repos"]  # the fixtures, used by name


# Failures handled as the forges ask


def test_422_with_nothing_to_update_keeps_the_server_s_words(
    forge: FakeForge, repos: Repos
) -> None:
    body = {
        "message": "Validation Failed",
        "errors": [
            {"resource": "PullRequest", "code": "custom", "message": "No commits between x"},
            {"resource": "PullRequest", "field": "base", "code": "invalid"},
            {"resource": "Issue", "field": "title", "code": "too_long", "message": "is long"},
        ],
    }
    forge.fail(422, method="POST", body=body)

    with pytest.raises(DeliveryError) as error:
        client(forge).deliver(pull_message(repos.head))

    assert not error.value.retryable
    assert str(error.value).endswith(
        "HTTP 422: Validation Failed: No commits between x; base: invalid; "
        "title: is long (too_long)"
    )


@pytest.mark.parametrize("kind", KINDS)
def test_429_waits_as_retry_after_says(forge: FakeForge, repos: Repos, kind: str) -> None:
    forge.fail(429, retry_after="7")

    result = client(forge, kind).deliver(pull_message(repos.head))

    assert result.created
    assert sleeps(forge) == [7.0]
    assert forge.requests[1].at == START + 7


def test_retry_after_as_http_date(forge: FakeForge, repos: Repos) -> None:
    when = datetime.fromtimestamp(START + 30, UTC)
    forge.fail(503, retry_after=format_datetime(when, usegmt=True))

    client(forge).deliver(pull_message(repos.head))

    assert sleeps(forge) == [30.0]


@pytest.mark.parametrize("status", [403, 429])
def test_primary_rate_limit_waits_until_the_reset(
    forge: FakeForge, repos: Repos, status: int
) -> None:
    forge.primary_limit(reset=int(START) + 45, status=status)

    result = client(forge).deliver(pull_message(repos.head))

    assert result.created
    assert sleeps(forge) == [45.0]
    assert [r.at for r in forge.requests] == [START, START + 45, START + 45]


def test_primary_rate_limit_past_the_budget_is_left_to_the_next_run(
    forge: FakeForge, repos: Repos
) -> None:
    """No retry before x-ratelimit-reset within the run, not even by its later
    deliveries: GitHub bans integrations that keep asking."""
    forge.primary_limit(reset=int(START) + 3600)
    budget = RetryBudget()

    with pytest.raises(DeliveryError) as first:
        client(forge, budget=budget).deliver(pull_message(repos.head))
    with pytest.raises(DeliveryError) as second:
        client(forge, budget=budget).deliver(pull_message(repos.head, "another"))

    assert first.value.retryable
    assert second.value.retryable
    assert "HTTP 403: API rate limit exceeded for user ID 1." in str(first.value)
    assert "(no request before 2023-11-14 23:13:20 UTC)" in str(first.value)
    assert "the next run retries" in str(first.value)
    assert "not sent: the forge asked for no request before 2023-11-14 23:13:20" in str(
        second.value
    )
    assert len(forge.requests) == 1
    assert sleeps(forge) == []


def test_secondary_rate_limit_waits_a_minute_and_is_no_permission_problem(
    forge: FakeForge, repos: Repos
) -> None:
    forge.secondary_limit()

    result = client(forge).deliver(pull_message(repos.head))

    assert result.created
    assert sleeps(forge) == [60.0]


def test_secondary_rate_limit_again_is_left_to_the_next_run(forge: FakeForge, repos: Repos) -> None:
    forge.secondary_limit(times=2)

    with pytest.raises(DeliveryError) as error:
        client(forge).deliver(pull_message(repos.head))

    text = str(error.value)
    assert error.value.retryable
    assert "HTTP 403: You have exceeded a secondary rate limit." in text
    assert "may not do this" not in text
    assert "waiting 120 s is more than this run may still spend" in text
    assert sleeps(forge) == [60.0]  # then twice as long: past the run's budget
    assert len(forge.requests) == 2


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_rate_limit_honours_retry_after(
    forge: FakeForge, repos: Repos, status: int
) -> None:
    forge.secondary_limit(retry_after="5", status=status)

    client(forge).deliver(pull_message(repos.head))

    assert sleeps(forge) == [5.0]


def test_429_without_headers_waits_at_least_a_minute(forge: FakeForge, repos: Repos) -> None:
    # Retrying after 1, 2 and 4 s may get an integration banned (GitHub's docs).
    forge.fail(429)

    client(forge).deliver(pull_message(repos.head))

    assert sleeps(forge) == [60.0]


def test_one_run_spends_a_bounded_time_waiting_across_deliveries(
    forge: FakeForge, repos: Repos
) -> None:
    """Each pull's client honours Retry-After, but the run's budget is shared: the
    waits of one run, over all its deliveries, never add up past RUN_RETRY_BUDGET."""
    budget = RetryBudget()
    delivered, deferred = 0, []
    for n in range(6):
        forge.fail(429, retry_after="50")
        repos.move(repos.upstream, repos.head, f"topic-{n}")
        try:
            client(forge, budget=budget).deliver(pull_message(repos.head, f"topic-{n}"))
            delivered += 1
        except DeliveryError as error:
            deferred.append(error)
    assert sum(sleeps(forge)) <= RUN_RETRY_BUDGET
    assert (delivered, len(deferred)) == (2, 4)  # 50 s + 50 s, then no time left to wait
    assert all(e.retryable and "the next run retries" in str(e) for e in deferred)


@pytest.mark.parametrize("kind", KINDS)
def test_server_errors_then_success(forge: FakeForge, repos: Repos, kind: str) -> None:
    for status in (500, 502, 503):
        forge.fail(status)

    result = client(forge, kind).deliver(pull_message(repos.head))

    assert result.created
    assert sleeps(forge) == [0.5, 1.0, 2.0]  # exponential backoff
    assert len(forge.pulls(kind)) == 1


def test_server_errors_forever_give_up_retryable(forge: FakeForge, repos: Repos) -> None:
    forge.fail(503, times=100)

    with pytest.raises(DeliveryError) as error:
        client(forge, attempts=3).deliver(pull_message(repos.head))

    assert error.value.retryable
    assert "HTTP 503: canned failure 503" in str(error.value)
    assert "gave up after 3 attempts" in str(error.value)
    assert len(forge.requests) == 3


def test_slow_answer_times_out_and_is_retried(forge: FakeForge, repos: Repos) -> None:
    forge.fail(200, delay=1.0)

    result = client(forge, timeout=0.2).deliver(pull_message(repos.head))

    assert result.created
    assert sleeps(forge) == [0.5]


def test_unreachable_forge_is_retryable(forge: FakeForge, repos: Repos) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    forge.url = f"http://127.0.0.1:{port}"  # nothing listens there now

    with pytest.raises(DeliveryError) as error:
        client(forge, attempts=2).deliver(pull_message(repos.head))

    assert error.value.retryable
    assert f"cannot reach 127.0.0.1:{port}" in str(error.value)
    assert "gave up after 2 attempts" in str(error.value)


@pytest.mark.parametrize("kind", KINDS)
def test_bad_token_is_not_retryable(forge: FakeForge, repos: Repos, kind: str) -> None:
    forge.token = "another-token"

    with pytest.raises(DeliveryError) as error:
        client(forge, kind).deliver(pull_message(repos.head))

    assert not error.value.retryable
    said = "Bad credentials" if kind == "github" else "invalid username, password or token"
    assert f"HTTP 401 ({said}): the token was refused" in str(error.value)
    assert len(forge.requests) == 1


def test_canned_401_on_create_is_not_retried(forge: FakeForge, repos: Repos) -> None:
    forge.fail(401, method="POST")

    with pytest.raises(DeliveryError) as error:
        client(forge).deliver(pull_message(repos.head))

    assert not error.value.retryable
    assert [r.method for r in forge.requests] == ["GET", "POST"]


@pytest.mark.parametrize(
    ("status", "advice"),
    [
        (403, "HTTP 403 (Resource not accessible): the token may not do this: check that it "
         "can write pull requests on nova/nova"),
        (404, "HTTP 404 (Resource not accessible): not found: check `repo = nova/nova`"),
    ],
)  # fmt: skip
def test_forbidden_and_not_found_say_what_the_server_said_and_what_to_check(
    forge: FakeForge, repos: Repos, status: int, advice: str
) -> None:
    forge.fail(status, body={"message": "Resource not accessible"})

    with pytest.raises(DeliveryError) as error:
        client(forge).deliver(pull_message(repos.head))

    assert not error.value.retryable
    assert advice in str(error.value)


def test_unknown_repository_is_404(forge: FakeForge, repos: Repos) -> None:
    with pytest.raises(DeliveryError, match="check `repo = nova/typo`") as error:
        client(forge, "gitea", repo="nova/typo").deliver(pull_message(repos.head))

    assert not error.value.retryable


@pytest.mark.parametrize("max_limit", [50, 20])
def test_gitea_finds_the_pull_on_a_later_page(
    forge: FakeForge, repos: Repos, max_limit: int
) -> None:
    # A server capping `limit` below what we ask gives short pages that are not the last.
    forge.gitea_max_limit = max_limit
    for index in range(55):
        forge.add_pull("gitea", f"topic-{index}")
    forge.add_pull("gitea", BRANCH)

    result = client(forge, "gitea").deliver(pull_message(repos.head))

    assert (result.number, result.created) == (56, False)
    pages = [r.query["page"] for r in forge.requests if r.method == "GET"]
    assert pages == (["1", "2"] if max_limit == 50 else ["1", "2", "3"])
    assert {r.query["limit"] for r in forge.requests if r.method == "GET"} == {"50"}
    assert len(forge.pulls("gitea")) == 56
