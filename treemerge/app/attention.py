"""What in `status` needs a person: the reasons that put a tree at the top.

A tree needs attention when it could not be judged (never synced, a git error), has
pending ownership violations, was left out of the last `next`, has pending work that
its schedule should have sent two scheduled moments ago and no pull request covers, or
when its last pull was refused or failed. The rest (up to date, or with work on
schedule) is summed up in one line by `status`.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, NamedTuple

from treemerge.app.integration.state import strings
from treemerge.core.schedule import last_moment
from treemerge.store.cronlog import LOG_FILE, tail

if TYPE_CHECKING:
    from treemerge.app.project import Project
    from treemerge.app.status import TreeStatus

# The end of the cron log read back for the latest pull attempts: more than a day of
# cron runs every half hour over 400 trees, never the whole history.
LOG_TAIL = 8 * 1024 * 1024
WANTED = ("refused", "failed")  # pull attempts that need a person
SKIPPED = '"status": "skipped"'  # as the log writes it (json.dumps)


class Attempt(NamedTuple):
    """cron's latest pull attempt for a tree that did not skip it."""

    status: str  # sent | refused | failed
    detail: str
    time: float  # Unix seconds


class Signals(NamedTuple):
    """What besides the trees themselves says a tree needs attention."""

    left_out: frozenset[str]  # trees left out of the last `next`
    attempts: dict[str, Attempt]  # by tree


def read_signals(project: Project, state: dict[str, object]) -> Signals:
    """The trees left out of the last `next` run (`state`: its next.json) and cron's
    latest pull attempts."""
    left_out = frozenset(strings(state.get("left_out")))
    return Signals(left_out, _attempts(project))


def _attempts(project: Project) -> dict[str, Attempt]:
    found: dict[str, Attempt] = {}
    for line in tail(project.workspace.workspace / LOG_FILE, LOG_TAIL):
        # Most lines are other steps, or a pull skipped (every tree, every run): not
        # parsed. (Quotes within a value are escaped, so these are the keys' own.)
        if '"pull"' not in line or SKIPPED in line:
            continue
        step = _step(line)
        if step is not None and step.get("step") == "pull" and step.get("status") != "skipped":
            found[str(step.get("tree"))] = Attempt(
                str(step.get("status")), str(step.get("detail", "")), _seconds(step.get("time"))
            )
    return found


def _step(line: str) -> dict[str, object] | None:
    try:
        step = json.loads(line)
    except ValueError:
        return None
    return step if isinstance(step, dict) else None


def _seconds(stamp: object) -> float:
    try:
        return dt.datetime.fromisoformat(str(stamp)).timestamp()
    except ValueError:
        return 0.0


def concerns(row: TreeStatus, schedule: str, signals: Signals, now: int) -> tuple[str, ...]:
    """Why `row`'s tree needs a person, most pressing first; () when it does not."""
    if row.error:
        return (row.error,)
    if row.head is None:
        return ("not synced yet",)
    found = []
    if row.violations:
        found.append(f"{row.violations} ownership violation(s) pending")
    if row.tree in signals.left_out:
        found.append("left out of next")
    if row.stale_why:
        found.append(f"stale: {row.stale_why}")
    found += _pull_trouble(row, signals.attempts.get(row.tree))
    if _overdue(row, schedule, now):
        age = (now - (row.oldest_pending or now)) // 86400
        found.append(f"pending work {age}d old and no pull request for it ({schedule})")
    return tuple(found)


def _pull_trouble(row: TreeStatus, attempt: Attempt | None) -> list[str]:
    """cron's latest attempt when it was refused or failed after the last recorded pull;
    else the recorded pull, when its delivery failed."""
    last = row.last_pull_request or {}
    updated = last.get("updated")
    recorded = float(updated) if isinstance(updated, int | float) else 0.0
    if attempt is not None and attempt.time >= recorded:
        return [f"last pull {attempt.status}: {attempt.detail}"] if attempt.status in WANTED else []
    if last.get("state") == "failed":
        return [f"last pull request {last.get('tag')} failed to send"]
    return []


def _overdue(row: TreeStatus, schedule: str, now: int) -> bool:
    """Pending work that no pull request covers, older than the scheduled moment before
    the latest one: a cron run at either should have sent it."""
    if not row.ahead or row.oldest_pending is None:
        return False
    last = row.last_pull_request or {}
    if last.get("head") == row.head and last.get("state") in ("sent", "merged"):
        return False
    latest = last_moment(schedule, dt.datetime.fromtimestamp(now, dt.UTC))
    if latest is None:
        return False
    before = last_moment(schedule, latest - dt.timedelta(minutes=1))
    return before is not None and row.oldest_pending < before.timestamp()
