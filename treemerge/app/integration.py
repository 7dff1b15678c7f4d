"""`next`: a linux-next-style integration tree, built in memory.

The upstream's tip, then each subsystem's pending work merged in the configured order
with `git merge-tree --write-tree` and commit objects chained on top (no work tree); a
tree that conflicts, or breaks the test command, is left out (or its last good head is
used instead). A pairwise conflict matrix says which trees collide, and the last
result is kept so the next run can say what changed.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from treemerge.app.project import Project
from treemerge.app.testrun import TestRun, run_test
from treemerge.core.errors import UsageError
from treemerge.gitio.merge import MergeResult, integration_commit, merge_tree
from treemerge.store.files import atomic_write

STATE_FILE = "next.json"


@dataclass(frozen=True)
class Collision:
    path: str
    owners: tuple[str, ...]
    with_: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {"path": self.path, "owners": list(self.owners), "with": list(self.with_)}


@dataclass(frozen=True)
class TreeOutcome:
    subsystem: str
    head: str
    merged: bool
    used_head: str | None = None  # the head merged: a last good one when `fallback`
    fallback: bool = False
    commits: int = 0
    conflicts: tuple[Collision, ...] = ()
    test: TestRun | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "subsystem": self.subsystem,
            "head": self.head,
            "merged": self.merged,
            "used_head": self.used_head,
            "fallback": self.fallback,
            "commits": self.commits,
            "conflicts": [c.as_dict() for c in self.conflicts],
            "test": self.test.as_dict() if self.test else None,
        }


@dataclass(frozen=True)
class NextResult:
    upstream: str
    base: str
    result: str
    trees: tuple[TreeOutcome, ...]
    matrix_trees: tuple[str, ...]
    cells: tuple[tuple[int, ...], ...]
    generated: str
    changes: tuple[str, ...] = field(default=())

    @property
    def left_out(self) -> tuple[str, ...]:
        return tuple(t.subsystem for t in self.trees if not t.merged)

    def as_dict(self) -> dict[str, object]:
        return {
            "upstream": self.upstream,
            "base": self.base,
            "result": self.result,
            "generated": self.generated,
            "trees": [t.as_dict() for t in self.trees],
            "matrix": {"trees": list(self.matrix_trees), "cells": [list(r) for r in self.cells]},
            "changes": list(self.changes),
        }


def build_next(
    project: Project, *, upstream: str = "main", fallback: bool = True, run_tests: bool = True
) -> NextResult:
    """Build the integration tree (refs/next/UPSTREAM in the workspace) and report it."""
    base = project.synced(upstream)
    heads = _heads(project, upstream)
    if not heads:
        raise UsageError("no subsystem tree has been synced yet: run `treemerge sync`")
    survey = _survey(project, base, heads)
    pairs = _pairwise(project, heads, {tree: found[0] for tree, found in survey.items()})
    previous = _load_state(project)
    command = project.config.integration.test_command if run_tests else None
    good = _string_map(previous.get("good_heads"))
    run = _Run(project, pairs, good, command, upstream, fallback, _tested(previous))
    current, outcomes = base, []
    for tree, head in heads.items():
        current, outcome = run.merge_one(current, tree, head, commits=survey[tree][1])
        outcomes.append(outcome)
    project.workspace.git("update-ref", f"refs/next/{upstream}", current)
    names = tuple(heads)
    cells = tuple(
        tuple(len(pairs.get(frozenset((a, b)), ())) if a != b else 0 for b in names) for a in names
    )
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    result = NextResult(upstream, base, current, tuple(outcomes), names, cells, stamp)
    result = NextResult(**{**result.__dict__, "changes": changes(previous, result)})
    _save_state(project, result, good, run.tested)
    return result


def _heads(project: Project, upstream: str) -> dict[str, str]:
    """Every synced subsystem tree's head, in the configured integration order."""
    config = project.config
    order = list(config.integration.order) or [s.id for s in config.subsystems]
    order += [s.id for s in config.subsystems if s.id not in order]
    synced = project.workspace.tree_heads()
    return {tree: synced[tree] for tree in order if tree in synced and tree != upstream}


def _pairwise(
    project: Project, heads: dict[str, str], touched: dict[str, Touched]
) -> dict[frozenset[str], tuple[str, ...]]:
    """Conflicting paths between the pending work of every pair of trees.

    Only pairs whose changes meet (the same path, or a file where the other changes
    something below it) can conflict; only those are merged.
    """
    repo = project.workspace.path
    candidates = [
        pair for pair in combinations(heads, 2) if _meet(touched[pair[0]], touched[pair[1]])
    ]

    def merge(pair: tuple[str, str]) -> tuple[frozenset[str], MergeResult]:
        return frozenset(pair), merge_tree(repo, heads[pair[0]], heads[pair[1]], where="next")

    with ThreadPoolExecutor(max_workers=4) as pool:
        found = pool.map(merge, candidates)
        return {pair: result.conflicts for pair, result in found if result.conflicts}


Touched = tuple[set[str], set[str]]  # (paths changed, directories holding them)


def _survey(project: Project, base: str, heads: dict[str, str]) -> dict[str, tuple[Touched, int]]:
    """For each tree: the paths its pending work changes (with their directories), and
    how many commits it has (git's commit-graph makes both cheap; they run in parallel)."""

    def one(head: str) -> tuple[Touched, int]:
        files = project.workspace.changed_paths(base, head)
        directories = {p[:i] for p in files for i in range(len(p)) if p[i] == "/"}
        return (files, directories), project.workspace.count(base, head)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(heads, pool.map(one, heads.values()), strict=True))


def _meet(one: Touched, two: Touched) -> bool:
    return bool(one[0] & two[0] or one[0] & two[1] or one[1] & two[0])


@dataclass
class _Run:
    """One integration run: what every merge step needs."""

    project: Project
    pairs: dict[frozenset[str], tuple[str, ...]]
    good: dict[str, str]  # last head of each tree that merged and passed (the fallback)
    command: str | None
    upstream: str
    fallback: bool
    tested: dict[str, dict[str, object]] = field(default_factory=dict)  # by tree id

    def _test(self, tree: str, step: str) -> TestRun | None:
        """The test command's verdict on a merged tree: the same tree (same content,
        same command) is not tested twice."""
        if not self.command:
            return None
        key = f"{tree} {self.command}"
        known = self.tested.get(key)
        if known is not None:
            return TestRun(str(known["status"]), str(known["output"]), 0.0)
        result = run_test(self.project.workspace.path, step, self.command)
        self.tested[key] = {"status": result.status, "output": result.output}
        return result

    def merge_one(
        self, current: str, tree: str, head: str, *, commits: int
    ) -> tuple[str, TreeOutcome]:
        """Merge one tree onto the integration so far: (new integration head, outcome).
        The tree's head first; if it conflicts or fails the test, its last good head."""
        repo = self.project.workspace.path
        candidates = [(head, False)]
        if self.fallback and self.good.get(tree) and self.good[tree] != head:
            candidates.append((self.good[tree], True))
        conflicts: tuple[Collision, ...] = ()
        failed: TestRun | None = None
        for candidate, is_fallback in candidates:
            merged = merge_tree(repo, current, candidate, where=tree)
            if merged.conflicts:
                if not is_fallback:
                    conflicts = _collisions(self, tree, merged.conflicts)
                continue
            message = f"Merge {tree} into next\n"
            step = integration_commit(repo, merged.tree, [current, candidate], message)
            test = self._test(merged.tree, step)
            if test is not None and test.status == "failed":
                failed = failed or test
                continue
            self.good[tree] = candidate
            return step, TreeOutcome(
                tree, head, True, candidate, is_fallback, commits, conflicts, failed or test
            )
        return current, TreeOutcome(tree, head, False, None, False, commits, conflicts, failed)


def _collisions(run: _Run, tree: str, paths: tuple[str, ...]) -> tuple[Collision, ...]:
    """Each conflicting path with its owners and the trees whose work it collides with
    (the upstream itself when no other tree's does)."""
    index = run.project.ownership_at(run.project.synced(run.upstream))
    found = []
    for path in paths:
        others = sorted(
            next(iter(pair - {tree}))
            for pair, conflicting in run.pairs.items()
            if tree in pair and path in conflicting
        )
        owners = tuple(s.name for s in index.owners(path).sections)
        found.append(Collision(path, owners, tuple(others) or (run.upstream,)))
    return tuple(found)


def _string_map(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def changes(previous: dict[str, object], result: NextResult) -> tuple[str, ...]:
    """What is new since the last run, in words ("vmware gained a conflict with libvirt")."""
    if not previous:
        return ()
    before = {frozenset(p) for p in previous.get("conflict_pairs", [])}  # type: ignore[attr-defined]
    now = _conflict_pairs(result)
    said = [f"{a} gained a conflict with {b}" for a, b in map(sorted, now - before)]
    said += [f"{a} no longer conflicts with {b}" for a, b in map(sorted, before - now)]
    was_out = set(previous.get("left_out", []))  # type: ignore[call-overload]
    said += [f"{t} was left out" for t in result.left_out if t not in was_out]
    said += [
        f"{t} is back in"
        for t in sorted(was_out)
        if t not in result.left_out and t in {o.subsystem for o in result.trees}
    ]
    return tuple(sorted(said))


def _conflict_pairs(result: NextResult) -> set[frozenset[str]]:
    names = result.matrix_trees
    return {
        frozenset((names[i], names[j]))
        for i, row in enumerate(result.cells)
        for j, count in enumerate(row)
        if count and i < j
    }


def _state_path(project: Project) -> Path:
    return project.workspace.workspace / STATE_FILE


def _load_state(project: Project) -> dict[str, object]:
    path = _state_path(project)
    if not path.exists():
        return {}
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: unreadable ({exc}); move it aside to start afresh") from None
    return loaded if isinstance(loaded, dict) else {}


def _tested(previous: dict[str, object]) -> dict[str, dict[str, object]]:
    found = previous.get("tested")
    if not isinstance(found, dict):
        return {}
    return {str(k): v for k, v in found.items() if isinstance(v, dict)}


def _save_state(
    project: Project, result: NextResult, good: dict[str, str], tested: dict[str, dict[str, object]]
) -> None:
    keep = dict(list(tested.items())[-200:])  # recent verdicts are enough
    state = {
        "result": result.result,
        "good_heads": good,
        "tested": keep,
        "left_out": list(result.left_out),
        "conflict_pairs": [sorted(p) for p in _conflict_pairs(result)],
    }
    atomic_write(_state_path(project), json.dumps(state, indent=2) + "\n")
