"""The pairwise conflict matrix: which pairs of trees conflict, and on which paths."""

from __future__ import annotations

from pathlib import Path

from treemerge.app.integration.reads import Reads
from treemerge.gitio.merge import merge_tree


class Matrix:
    """Conflicting paths between the pending work of every pair of trees: git merges
    the pairs whose work meets (`meeting`); no other pair can conflict."""

    def __init__(self, repo: Path, heads: dict[str, str], reads: Reads) -> None:
        self.repo = repo
        self.heads = heads
        self._batch = reads.pairs
        self._found: dict[frozenset[str], tuple[str, ...]] | None = None

    def conflicts(self) -> dict[frozenset[str], tuple[str, ...]]:
        """{pair of trees: the paths where they conflict}, for pairs that do."""
        if self._found is None:
            results = self._batch.results()
            names: dict[str, list[str]] = {}
            for tree, head in self.heads.items():
                names.setdefault(head, []).append(tree)
            pairs = self._batch.pairs
            if results is None:  # git refused a pair: merged one by one, it says which
                pairs = [(a, b) for a, b in pairs if a in names and b in names]
                results = [merge_tree(self.repo, a, b, where="next", trial=True) for a, b in pairs]
            self._found = {}
            for (one, two), result in zip(pairs, results, strict=True):
                if result.conflicts:
                    for a in names.get(one, ()):
                        for b in names.get(two, ()):
                            if a != b:
                                self._found[frozenset((a, b))] = result.conflicts
        return self._found
