"""The conflict forecast of pull requests: one picture of which trees can conflict.

A pull is forecast against its upstream's tip and every other tree's head. Two trees
can only conflict on paths both change, so the picture first finds the pairs whose
work meets (from the paths `sync` learnt each pending commit changed), and git
trial-merges only those, with the upstream merges, in one `git merge-tree --stdin`;
every other pair merges cleanly. A cron cycle works the picture out once for all its
pulls; `request-pull` on its own, for its own pairs only (or, against a few trees,
simply merges with each: DIRECT_LIMIT).
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping
from itertools import permutations
from typing import TYPE_CHECKING

from treemerge.core.picture import Pair, conflict_pairs, reach
from treemerge.core.pullplan import forecast_targets
from treemerge.gitio.history import History
from treemerge.gitio.merge import MergeBatch
from treemerge.gitio.workspace import MAIN

if TYPE_CHECKING:
    from treemerge.app.project import Project

# (the tree or upstream merged with, the paths where that merge conflicts), in order
Forecast = list[tuple[str, tuple[str, ...]]]
# A trial merge costs git little; the picture costs a walk of every tree's pending
# history. One pull against at most this many trees is merged with each of them: the
# same forecast, sooner.
DIRECT_LIMIT = 32


class ConflictPicture:
    """The forecasts of the pulls of `pulls` at `heads` ({tree: commit}), worked out
    together when the first one is asked for."""

    def __init__(self, project: Project, heads: Mapping[str, str], pulls: Collection[str]) -> None:
        self.project = project
        self.heads = dict(heads)
        self.pulls = list(pulls)
        self._forecasts: dict[str, Forecast] | None = None
        self._lock = threading.Lock()  # (pulls prepared on two threads ask at once)

    def forecast(self, subsystem: str) -> Forecast:
        with self._lock:
            if self._forecasts is None:
                self._forecasts = forecasts(self.project, self.heads, self.pulls)
        return self._forecasts[subsystem]


def forecasts(
    project: Project, heads: Mapping[str, str], pulls: Collection[str]
) -> dict[str, Forecast]:
    """Each pull's forecast: every merge it would make, only those that can conflict
    made (one batch of trial merges)."""
    trees = [(tree.id, tree.upstream) for tree in project.trees()]
    upstream_of = dict(trees)
    pulls = [p for p in pulls if upstream_of.get(p) in heads and p in heads]
    direct = len(pulls) == 1 and len(trees) <= DIRECT_LIMIT
    pairs = set() if direct else meeting_pairs(project.history(), heads, trees, among=pulls)
    plans: dict[str, dict[str, str | None]] = {}
    merges: list[tuple[str, str]] = []
    for pull in pulls:
        upstream = upstream_of[pull]
        assert upstream is not None
        against = forecast_targets(pull, upstream, heads[upstream], heads=heads, trees=trees)
        plans[pull] = {
            name: commit if direct or name == upstream or frozenset((pull, name)) in pairs else None
            for name, commit in against.items()
        }
        merges += [(commit, heads[pull]) for commit in plans[pull].values() if commit]
    batch = MergeBatch(project.workspace.path, merges, where="forecast", trial=True)
    results = iter(batch.merged())
    return {
        pull: [(name, next(results).conflicts if commit else ()) for name, commit in plan.items()]
        for pull, plan in plans.items()
    }


def meeting_pairs(
    history: History,
    heads: Mapping[str, str],
    trees: Collection[tuple[str, str | None]],
    *,
    among: Collection[str] | None = None,
) -> set[Pair]:
    """The pairs of subsystem trees whose work can conflict (those with a tree of
    `among`, when given): each tree's work is what the main tree's head lacks, and the
    paths each commit changed are what `sync` learnt."""
    members = {tree: heads[tree] for tree, upstream in trees if upstream and tree in heads}
    hide = [heads[MAIN]] if MAIN in heads else []
    graph = history.graph(members.values(), hide)
    changed = history.changed(list(graph))
    work: dict[str, set[str]] = {}
    base_of: dict[str, frozenset[str]] = {}
    for tree, head in members.items():
        commits, base_of[tree] = reach(graph, head)
        work[tree] = {path for commit in commits for path in changed.get(commit, ())}
    behind = _behind(history, set(base_of.values()))
    if behind is None:  # (bases with no history in common: any pair may conflict)
        return {frozenset((a, b)) for a, b in permutations(work, 2) if among is None or a in among}
    return conflict_pairs(work, base_of, behind, among=among)


Bases = frozenset[str]


def _behind(history: History, bases: set[Bases]) -> dict[tuple[Bases, Bases], set[str]] | None:
    """For every two bases, the paths changed by what the first has and the second
    lacks: from one walk of all of them down to their common ancestor, and the paths
    `sync` learnt. None when they have no common ancestor."""
    if len(bases) < 2:
        return {}
    commits = sorted({commit for base in bases for commit in base})
    floor = history.common_base(commits)
    if floor is None:
        return None
    graph = history.graph(commits, [floor])
    changed = history.changed(list(graph))
    reached = {base: set().union(*(reach(graph, c)[0] for c in base)) for base in bases}
    return {
        (one, two): {path for c in reached[one] - reached[two] for path in changed.get(c, ())}
        for one, two in permutations(bases, 2)
    }
