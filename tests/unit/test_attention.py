"""Why `status` puts a tree first: the rules of treemerge.app.attention, case by case."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from treemerge.app.attention import Attempt, Signals, concerns
from treemerge.app.status import TreeStatus

# Wednesday 2026-11-25, 00:10 UTC: ten minutes after the latest daily moment.
NOW = int(dt.datetime(2026, 11, 25, 0, 10, tzinfo=dt.UTC).timestamp())
HOUR = 3600
DAY = 24 * HOUR
NONE = Signals(frozenset(), {})


def row(**fields: Any) -> TreeStatus:
    defaults: dict[str, Any] = {"tree": "net", "upstream": "main", "head": "c" * 40, "ahead": 0,
                                "behind": 0, "backmerges": 0, "violations": 0}  # fmt: skip
    return TreeStatus(**(defaults | fields))


def pulled(state: str, *, head: str = "c" * 40, updated: int = NOW - DAY) -> dict[str, object]:
    return {"tag": "net-for-main-2026-11-24", "state": state, "head": head, "updated": updated}


@pytest.mark.parametrize(
    ("status", "schedule", "said"),
    [
        (row(), "daily", ()),
        (row(head=None, upstream=None, tree="main"), "manual", ("not synced yet",)),
        (row(head=None, error="not synced yet"), "daily", ("not synced yet",)),
        (row(violations=2), "manual", ("2 ownership violation(s) pending",)),
        # Work from before yesterday's moment: two daily moments passed without a pull.
        (row(ahead=3, oldest_pending=NOW - 2 * DAY), "daily",
         ("pending work 2d old and no pull request for it (daily)",)),
        # Work from yesterday evening: the cron run after midnight may not have come yet.
        (row(ahead=3, oldest_pending=NOW - HOUR), "daily", ()),
        (row(ahead=3, oldest_pending=NOW - 30 * DAY), "manual", ()),
        # Weekly moments: Monday 23rd and Monday 16th.
        (row(ahead=3, oldest_pending=NOW - 10 * DAY), "weekly",
         ("pending work 10d old and no pull request for it (weekly)",)),
        (row(ahead=3, oldest_pending=NOW - 9 * DAY), "weekly", ()),
        # A pull request sent for the head covers the work; one for an older head does not.
        (row(ahead=3, oldest_pending=NOW - 9 * DAY, last_pull_request=pulled("sent")), "daily", ()),
        (row(ahead=3, oldest_pending=NOW - 9 * DAY, last_pull_request=pulled("sent", head="d")),
         "daily", ("pending work 9d old and no pull request for it (daily)",)),
        (row(last_pull_request=pulled("failed")), "manual",
         ("last pull request net-for-main-2026-11-24 failed to send",)),
        (row(last_pull_request=pulled("merged")), "manual", ()),
    ],
)  # fmt: skip
def test_what_needs_attention(status: TreeStatus, schedule: str, said: tuple[str, ...]) -> None:
    assert concerns(status, schedule, NONE, NOW) == said


def test_reasons_add_up_most_pressing_first() -> None:
    status = row(violations=1, ahead=1, oldest_pending=NOW - 3 * DAY)
    signals = Signals(frozenset({"net"}), {"net": Attempt("refused", "tag: empty", NOW - HOUR)})

    assert concerns(status, "daily", signals, NOW) == (
        "1 ownership violation(s) pending",
        "left out of next",
        "last pull refused: tag: empty",
        "pending work 3d old and no pull request for it (daily)",
    )


@pytest.mark.parametrize(
    ("attempt", "record", "said"),
    [
        (Attempt("refused", "t: empty", NOW - HOUR), None, ("last pull refused: t: empty",)),
        (Attempt("failed", "git push failed", NOW - HOUR), pulled("sent"),
         ("last pull failed: git push failed",)),
        # A pull sent since (by hand) answers cron's refusal; cron's later send, a failure.
        (Attempt("refused", "t: empty", NOW - 2 * DAY), pulled("sent"), ()),
        (Attempt("sent", "t (clean) -> x", NOW - HOUR), pulled("failed"), ()),
        (Attempt("refused", "t: empty", NOW - 2 * DAY), pulled("failed"),
         ("last pull request net-for-main-2026-11-24 failed to send",)),
    ],
)  # fmt: skip
def test_the_latest_of_crons_attempt_and_the_record_counts(
    attempt: Attempt, record: dict[str, object] | None, said: tuple[str, ...]
) -> None:
    signals = Signals(frozenset(), {"net": attempt})

    assert concerns(row(last_pull_request=record), "manual", signals, NOW) == said
