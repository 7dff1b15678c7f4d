"""What a run reads from git before it merges anything: every head's pending work (one
`git log`), the objects (one `git cat-file`), and the merges of each head into the
upstream and of each pair of heads whose work meets (one `git merge-tree --stdin`
each), all started together."""

from __future__ import annotations

from collections.abc import Collection
from itertools import combinations
from pathlib import Path
from typing import NamedTuple

from treemerge.gitio.merge import MergeBatch
from treemerge.gitio.objects import ObjectStore
from treemerge.gitio.trivial import PathSet, Pending, Survey


class Reads(NamedTuple):
    """What a run reads from git before it merges anything."""

    synced: dict[str, str]  # every tree's head in the workspace
    store: ObjectStore  # its objects (git started)
    work: dict[str, Pending]  # by head: the work the upstream lacks
    alone: MergeBatch  # heads merged into the upstream by themselves (running)
    pairs: MergeBatch  # each pair of heads whose work meets, merged (running)


class Start:
    """The git processes a run begins with, started before it knows what to ask them
    (their start-up then overlaps whatever comes first): `finish` asks."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.store = ObjectStore(repo)
        self.store.start()
        self.log = Survey(repo)
        # Each head merged into the upstream alone (merges onto the integration can
        # then be carried over from these), and the pairs of heads for the matrix.
        self.alone = MergeBatch(repo, where="next")
        self.pairs = MergeBatch(repo, where="next", trial=True)  # (only its conflicts count)

    def finish(
        self,
        upstream: str,
        synced: dict[str, str],
        heads: list[str],
        trivial: Collection[str] = (),
    ) -> Reads:
        """The reads of a run over `heads` on `upstream`. Heads the last run merged
        trivially (`trivial`) are not merged alone: they will most likely be trivial
        again (and if not, git merges them in the chain)."""
        base = synced[upstream]
        try:
            self.store.use_hash_length(len(base))
            work = self.log.read(base, heads)
            # git refuses to merge histories with nothing in common: those trees are
            # left out (merge_one says why), not merged in a batch that would fail.
            related = [head for head in heads if not unrelated(work[head])]
            self.alone.feed([(base, head) for head in related if head not in trivial])
            self.pairs.feed(meeting(related, work))
            upstream_tree = self.store.commit_tree(base)
            if upstream_tree is not None:
                # What the merges will look at in the upstream, read in two round trips.
                self.store.preload([(upstream_tree, changed_files(work))])
        except BaseException:
            self.close()
            raise
        return Reads(synced, self.store, work, self.alone, self.pairs)

    def close(self) -> None:
        self.store.close()
        self.log.close()
        self.alone.close()
        self.pairs.close()


def unrelated(work: Pending) -> bool:
    """Whether the work has no history in common with the upstream: commits of its own
    and none of them with a parent the upstream has."""
    return bool(work.commits) and not work.boundary


def meeting(heads: list[str], work: dict[str, Pending]) -> list[tuple[str, str]]:
    """The pairs of `heads` whose work meets: the same path, or a file where the other
    changes something below it. Only those can conflict."""
    touched = {head: PathSet.of(work[head].paths) for head in heads}
    return [(a, b) for a, b in combinations(heads, 2) if touched[a].meets(touched[b])]


def changed_files(work: dict[str, Pending]) -> set[bytes]:
    return {path for pending in work.values() for path in pending.delta}
