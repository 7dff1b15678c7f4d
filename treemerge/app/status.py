"""`status`: where every tree stands against its upstream."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

from treemerge.app.attention import concerns, read_signals
from treemerge.app.check import judge_range
from treemerge.app.integration.notices import staleness
from treemerge.app.integration.state import load_state
from treemerge.app.judged import Judged, JudgedRanges, judged_key
from treemerge.app.project import Project, TrackedTree
from treemerge.app.send import records, records_kept
from treemerge.background import map_parallel
from treemerge.core.errors import ConfigError, TreemergeError, UsageError


@dataclass(frozen=True)
class TreeStatus:
    tree: str
    upstream: str | None
    head: str | None
    ahead: int | None = None
    behind: int | None = None
    oldest_pending: int | None = None  # commit time (Unix seconds) of the oldest pending commit
    backmerges: int | None = None
    violations: int | None = None
    last_pull_request: dict[str, object] | None = None
    error: str | None = None
    stale_why: str | None = None  # why the tree is stale (integration/notices.py)
    # Why a person should look at the tree, most pressing first (treemerge.app.attention);
    # for people only: --json keeps its keys.
    concerns: tuple[str, ...] = ()

    def as_dict(self, now: int) -> dict[str, object]:
        age = None if self.oldest_pending is None else (now - self.oldest_pending) // 86400
        return {
            "tree": self.tree,
            "upstream": self.upstream,
            "head": self.head,
            "ahead": self.ahead,
            "behind": self.behind,
            "oldest_pending": self.oldest_pending,
            "oldest_pending_days": age,
            "backmerges": self.backmerges,
            "violations": self.violations,
            "last_pull_request": self.last_pull_request,
            "error": self.error,
            "stale": self.stale_why is not None,
            "stale_why": self.stale_why,
        }


class StatusReport(NamedTuple):
    rows: list[TreeStatus]
    warnings: tuple[str, ...] = ()  # what could not be read, and what the rows lack for it


def status(project: Project, ids: Sequence[str] = (), *, now: int | None = None) -> StatusReport:
    """One row per tree, in maintainers.cfg's order, with what needs attention in it
    (judged at `now`, Unix seconds); a tree that cannot be judged gets its error, not an
    exception. Ownership that cannot be used (a ConfigError naming file and line) is no
    one tree's problem: it is raised, as `check` raises it. What the last `next` left
    (trees left out, staleness) is only a part of the picture: when it cannot be read,
    the rows go without it and a warning says so."""
    rows = []
    workspace = project.workspace
    workspace.ensure()
    last = _last_pulls(project)
    synced = workspace.tree_heads()
    judged: list[tuple[int, TrackedTree, str]] = []
    for tree in project.trees(ids):
        head = synced.get(tree.id)
        if tree.upstream is None:
            rows.append(TreeStatus(tree.id, None, head))
        elif head is None:
            rows.append(TreeStatus(tree.id, tree.upstream, None, error="not synced yet"))
        else:
            judged.append((len(rows), tree, head))
            rows.append(TreeStatus(tree.id, tree.upstream, head))
    _judge(project, rows, judged, synced, last)
    when = int(time.time()) if now is None else now
    return _with_attention(project, rows, {tree.id: head for _, tree, head in judged}, when)


def _judge(
    project: Project,
    rows: list[TreeStatus],
    judged: list[tuple[int, TrackedTree, str]],
    synced: dict[str, str],
    last: dict[str, dict[str, object]],
) -> None:
    """Fill in `rows` at the positions of `judged` (trees with an upstream and a head):
    from the ranges judged before when their heads have not moved, else judged now (on
    two threads) and remembered."""
    remembered = JudgedRanges(project)
    found: dict[str, Judged] = {}
    trees = {tree.id for _, tree, _ in judged}
    for position, tree, head in judged:
        assert tree.upstream is not None
        key = judged_key(tree.id, synced.get(tree.upstream, ""), head)
        if key in remembered.known:
            found[key] = remembered.known[key]
            rows[position] = _row(rows[position], found[key], last.get(tree.id))
    judged = [item for item in judged if rows[item[0]].ahead is None]
    for upstream in {tree.upstream for _, tree, _ in judged}:
        if upstream in synced:
            _compile_ownership(project, synced[upstream])

    def judge(item: tuple[int, TrackedTree, str]) -> TreeStatus:
        _, tree, head = item
        assert tree.upstream is not None
        row = _subsystem_status(project, tree.id, tree.upstream, synced, head)
        return replace(row, last_pull_request=last.get(tree.id))

    for (position, tree, head), row in zip(judged, map_parallel(judge, judged), strict=True):
        rows[position] = row
        if row.error is None and tree.upstream in synced:
            found[judged_key(tree.id, synced[tree.upstream], head)] = _judged(row)
    remembered.save(found, trees)


def _with_attention(
    project: Project, rows: list[TreeStatus], heads: dict[str, str], when: int
) -> StatusReport:
    """`rows` with their staleness and what needs a person in each, at `when`."""
    state, warnings = _next_state(project)
    stale = _stale(project, heads, state, when)
    rows = [replace(row, stale_why=stale.get(row.tree)) for row in rows]
    signals = read_signals(project, state)
    schedules = {sub.id: sub.schedule for sub in project.config.subsystems}
    rows = [
        replace(row, concerns=concerns(row, schedules.get(row.tree, "manual"), signals, when))
        for row in rows
    ]
    return StatusReport(rows, warnings)


def _next_state(project: Project) -> tuple[dict[str, object], tuple[str, ...]]:
    """What the last `next` remembers, and a warning when that cannot be read."""
    try:
        return load_state(project), ()
    except UsageError as exc:
        lacking = "status is shown without it (trees left out of next, stale trees)"
        return {}, (f"{exc.message}; {lacking}",)


def _stale(
    project: Project, heads: dict[str, str], state: dict[str, object], when: int
) -> dict[str, str | None]:
    """Why each tree is stale at `when`, by its head's date and what `next` remembers."""
    commits = project.history().commits(heads.values())
    return staleness(project, heads, state, commits, when)


def _row(row: TreeStatus, judged: Judged, last: dict[str, object] | None) -> TreeStatus:
    return replace(row, **judged._asdict(), last_pull_request=last)


def _judged(row: TreeStatus) -> Judged:
    assert row.ahead is not None
    assert row.behind is not None
    assert row.backmerges is not None
    assert row.violations is not None
    return Judged(row.ahead, row.behind, row.oldest_pending, row.backmerges, row.violations)


def _compile_ownership(project: Project, commit: str) -> None:
    """The ownership at `commit`, compiled once before the threads judge with it; a
    git failure is reported on each tree it concerns, a ConfigError is raised."""
    try:
        project.ownership_at(commit)
    except ConfigError:
        raise
    except TreemergeError:
        pass


def _last_pulls(project: Project) -> dict[str, dict[str, object]]:
    """The latest recorded pull request of each subsystem (none before the first)."""
    if not records_kept(project):
        return {}
    with records(project) as store:
        latest: dict[str, dict[str, object]] = {}
        for record in store.all():
            latest[record.subsystem] = {
                "tag": record.tag,
                "state": record.state,
                "head": record.head,
                "updated": int(record.updated),
            }
        return latest


def _subsystem_status(
    project: Project, tree: str, upstream: str, synced: dict[str, str], head: str
) -> TreeStatus:
    try:
        tip = synced.get(upstream) or project.synced(upstream)  # (its error when missing)
        result = judge_range(project, tree, upstream, tip, head)
        _, behind = project.history().ahead_behind(head, tip)
    except ConfigError:
        raise
    except TreemergeError as exc:
        return TreeStatus(tree, upstream, head, error=exc.message)
    return TreeStatus(
        tree,
        upstream,
        head,
        ahead=result.commits,
        behind=behind,
        oldest_pending=result.oldest_pending,
        backmerges=len(result.backmerges),
        violations=result.violations,
    )
