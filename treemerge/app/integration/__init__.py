"""`next`: a linux-next-style integration tree, built in memory.

The upstream's tip, then each subsystem's pending work merged in the configured order,
each merge a commit chained on top (no work tree); a tree that conflicts, or breaks the
test command, is left out (or its last good head is used instead). A pairwise conflict
matrix says which trees collide, and the last result is kept so the next run can say
what changed.

Most merges are worked out here, from the trees, when they provably equal git's
(treemerge.gitio.trivial): a tree whose work touches nothing the integration changed
is laid on top of it, and a tree that git merged cleanly into the upstream by itself
has that merge carried over when nothing merged since meets it. Every other merge is
git's own, `git merge-tree --write-tree`. A handful of git processes serve the whole
run: one `git log` for every tree's pending work, one `git cat-file` for the trees
read, one `git merge-tree --stdin` for the merges into the upstream and the matrix.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, NamedTuple

from treemerge.app.integration.matrix import Matrix
from treemerge.app.integration.notices import Found, decide, notify_next
from treemerge.app.integration.outcome import NOT_SYNCED, Collision, NextResult, TreeOutcome
from treemerge.app.integration.reads import Start
from treemerge.app.integration.state import (
    STATE_FILE,
    changes,
    inputs_key,
    load_state,
    save_state,
    strings,
)
from treemerge.app.integration.step import Run
from treemerge.core.errors import UsageError

if TYPE_CHECKING:
    from treemerge.app.project import Project

__all__ = [
    "STATE_FILE",
    "Collision",
    "NextResult",
    "TreeOutcome",
    "build_next",
    "changes",
    "notify_next",
]


def build_next(
    project: Project,
    *,
    upstream: str = "main",
    fallback: bool = True,
    run_tests: bool = True,
    notify: bool = True,
) -> NextResult:
    """Build the integration tree (refs/next/UPSTREAM in the workspace) and report it.
    Without `notify` it is a look: its notices are decided, and what the notices
    remember (those told, the runs each tree was left out, when each head was first
    seen) stays as the last run left it, so the next run that delivers finds all of it
    as though this run had not been."""
    workspace = project.workspace
    workspace.ensure()
    synced = workspace.tree_heads()
    base = synced.get(upstream)
    if base is None:
        raise UsageError(f"no copy of the {upstream} tree yet: run `treemerge sync {upstream}`")
    order = _order(project, upstream, synced)
    heads = {tree: synced[tree] for tree in order if tree in synced}
    if not heads:
        raise UsageError("no subsystem tree has been synced yet: run `treemerge sync`")
    previous = load_state(project)
    command = project.config.integration.test_command if run_tests else None
    inputs = inputs_key(project, synced, settings=[upstream, fallback, command])
    start = Start(workspace.path)
    trivial = set(strings(previous.get("trivial_heads")))
    reads = start.finish(upstream, synced, list(heads.values()), trivial)
    try:
        matrix = Matrix(workspace.path, heads, reads)
        run = Run(
            project, reads, matrix, previous, command=command, upstream=upstream, fallback=fallback
        )
        current, outcomes = run.start(), []
        for tree in order:
            if tree not in heads:  # (a tree configured, never fetched: nothing to merge)
                outcomes.append(TreeOutcome(tree, "", False, problem=NOT_SYNCED))
                continue
            current, outcome = run.merge_one(current, tree, heads[tree])
            outcomes.append(outcome)
        workspace.git("update-ref", f"refs/next/{upstream}", current.commit)
        outcomes = [run.with_collisions(outcome) for outcome in outcomes]
        pairs = matrix.conflicts()
    finally:
        start.close()
    found = Found(pairs, run.onto, run.failed_at, command)
    names = tuple(heads)
    cells = tuple(
        tuple(len(pairs.get(frozenset((a, b)), ())) if a != b else 0 for b in names) for a in names
    )
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    result = NextResult(upstream, base, current.commit, tuple(outcomes), names, cells, stamp)
    result = result._replace(changes=changes(previous, result))
    result, remember = decide(project, result, found, previous)
    if not notify:
        remember = {key: previous.get(key) for key in remember}
    save_state(project, result, run.good, run.tested, run.trivial, notices=remember)
    return result._replace(inputs=inputs)


class Unchanged(NamedTuple):
    """What the last run said, when a new one would say the same."""

    merged: int
    trees: int
    left_out: tuple[str, ...]


def unchanged_next(
    project: Project, *, upstream: str = "main", fallback: bool = True, run_tests: bool = True
) -> Unchanged | None:
    """The last run's outcome when nothing it depends on has moved since (every head,
    the configuration, the test command: `build_next` would build the same tree and
    find nothing new), else None."""
    previous = load_state(project)
    command = project.config.integration.test_command if run_tests else None
    synced = project.workspace.tree_heads()
    inputs = inputs_key(project, synced, settings=[upstream, fallback, command])
    if previous.get("inputs") != inputs:
        return None
    if project.workspace.refs_under("refs/next/").get(upstream) != previous.get("result"):
        return None
    merged, trees = previous.get("merged"), previous.get("trees")
    if not isinstance(merged, int) or not isinstance(trees, int):
        return None
    return Unchanged(merged, trees, tuple(strings(previous.get("left_out"))))


def _order(project: Project, upstream: str, synced: dict[str, str]) -> list[str]:
    """The subsystems to integrate, in the configured order: those synced, and those
    with a tree that was never synced (reported, not merged)."""
    config = project.config
    order = list(config.integration.order) or [s.id for s in config.subsystems]
    order += [s.id for s in config.subsystems if s.id not in order]
    with_tree = {s.id for s in config.subsystems if s.tree}
    return [t for t in order if (t in synced or t in with_tree) and t != upstream]
