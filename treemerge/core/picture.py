"""Which trees can conflict with which: decided from the paths their work changes.

Two trees' work can only conflict on a path both change, or where one changes a file
and the other something below it (a file where the other has a directory). A merge of
two trees compares each side with their merge base, so when the trees stand on
different bases, each side also carries what its base has that the other's lacks:
`behind` gives those paths for each pair of bases.

Pure functions: the paths come from what the caller read.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping
from itertools import combinations
from typing import TypeVar

Pair = frozenset[str]
Base = TypeVar("Base", bound=Hashable)


def above(path: str) -> Iterable[str]:
    """Every directory above `path` ("a/b/c" -> "a", "a/b")."""
    start = 0
    while (cut := path.find("/", start)) != -1:
        yield path[:cut]
        start = cut + 1


class _Index:
    """Which trees change each path, and which change something below each directory."""

    def __init__(self, sides: Mapping[str, Collection[str]]) -> None:
        self.files: dict[str, set[str]] = {}
        self.below: dict[str, set[str]] = {}
        for tree, paths in sides.items():
            for path in paths:
                self.files.setdefault(path, set()).add(tree)
                for directory in above(path):
                    self.below.setdefault(directory, set()).add(tree)

    def meeting(self, paths: Collection[str]) -> set[str]:
        """The trees whose paths meet any of `paths`."""
        found: set[str] = set()
        for path in paths:
            found.update(self.files.get(path, ()), self.below.get(path, ()))
            for directory in above(path):
                found.update(self.files.get(directory, ()))
        return found


def _across(left: Mapping[str, Collection[str]], right: Mapping[str, Collection[str]]) -> set[Pair]:
    """The pairs of a tree of `left` and another tree of `right` whose paths meet."""
    index = _Index(right)
    return {
        frozenset((one, two))
        for one, paths in left.items()
        for two in index.meeting(paths)
        if two != one
    }


def conflict_pairs(
    work: Mapping[str, Collection[str]],
    base_of: Mapping[str, Base],
    behind: Mapping[tuple[Base, Base], Collection[str]],
    *,
    among: Collection[str] | None = None,
) -> set[Pair]:
    """The pairs of trees that can conflict (those with `among`, when given).

    `work` maps each tree to the paths its own commits change, `base_of` each tree to
    the base it stands on, and `behind[(b, c)]` gives the paths changed by what base
    `b` has and base `c` lacks (needed for every two bases of trees in `work`).
    """
    groups: dict[Base, dict[str, Collection[str]]] = {}
    for tree, paths in work.items():
        groups.setdefault(base_of[tree], {})[tree] = paths
    found: set[Pair] = set()
    for trees in groups.values():
        asked = trees if among is None else {t: p for t, p in trees.items() if t in among}
        found |= _across(asked, trees)
    for one, two in combinations(groups, 2):
        left = _widened(groups[one], behind[(one, two)])
        right = _widened(groups[two], behind[(two, one)])
        if among is not None:
            found |= _across({t: p for t, p in left.items() if t in among}, right)
            found |= _across({t: p for t, p in right.items() if t in among}, left)
        else:
            found |= _across(left, right)
    return found


def _widened(trees: Mapping[str, Collection[str]], more: Collection[str]) -> dict[str, set[str]]:
    return {tree: {*paths, *more} for tree, paths in trees.items()}


def reach(graph: Mapping[str, Collection[str]], head: str) -> tuple[set[str], frozenset[str]]:
    """The commits of `graph` ({commit: its parents}: the work a reference lacks)
    reachable from `head`, and the base they stand on: their parents outside the graph
    (`head` itself when it is not in the graph: no work of its own)."""
    if head not in graph:
        return set(), frozenset((head,))
    commits: set[str] = set()
    bases: set[str] = set()
    todo = [head]
    while todo:
        commit = todo.pop()
        if commit in commits:
            continue
        commits.add(commit)
        for parent in graph[commit]:
            if parent in graph:
                todo.append(parent)
            else:
                bases.add(parent)
    return commits, frozenset(bases)
