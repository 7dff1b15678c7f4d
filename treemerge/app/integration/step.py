"""The merge step: one tree merged onto the integration so far, worked out from the
trees when that provably equals git's merge (treemerge.gitio.trivial), else git's own;
then tested, or its last good head tried instead."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from treemerge.app.integration.matrix import Matrix
from treemerge.app.integration.outcome import Collision, TreeOutcome
from treemerge.app.integration.reads import Reads, unrelated
from treemerge.app.integration.state import string_map, tested_verdicts
from treemerge.background import Background
from treemerge.core.errors import UsageError
from treemerge.gitio.merge import INTEGRATION_SIGNATURE, merge_tree
from treemerge.gitio.objects import Oid, TreeEntry, oid_from_hex
from treemerge.gitio.trivial import (
    NOTHING,
    Merged,
    PathSet,
    Pending,
    Survey,
    carried_merge,
    is_trivial,
    tree_changes_many,
    trivial_merge,
)

if TYPE_CHECKING:
    from treemerge.app.project import Project
    from treemerge.app.testrun import TestRun
    from treemerge.core.matcher import OwnershipIndex


class Step(NamedTuple):
    """The integration so far: its commit and that commit's tree."""

    commit: str
    tree: Oid


class Trial(NamedTuple):
    """A merge onto the integration: the tree it gives and the paths that conflict."""

    tree: Oid
    conflicts: tuple[str, ...]


class Run:
    """One integration run: what every merge step needs, and what it learns."""

    def __init__(
        self,
        project: Project,
        reads: Reads,
        matrix: Matrix,
        previous: dict[str, object],
        *,
        command: str | None,
        upstream: str,
        fallback: bool,
    ) -> None:
        self.project = project
        self.store = reads.store
        self.base = reads.synced[upstream]
        self.work = reads.work  # by head: the work the upstream lacks
        self.alone = reads.alone  # heads merged into the upstream by themselves
        self.matrix = matrix
        # The last head of each tree that merged and passed (the fallback).
        self.good = string_map(previous.get("good_heads"))
        self.tested = tested_verdicts(previous)  # test verdicts by tree and command
        self.command = command
        self.upstream = upstream
        self.fallback = fallback
        self.merged: set[str] = set()  # pending commits merged so far
        self.trivial: set[str] = set()  # heads merged trivially
        self.conflicted: dict[str, tuple[str, ...]] = {}  # tree: its head's conflicts
        self.onto: dict[str, str] = {}  # tree: the integration its head conflicted with
        self.failed_at: dict[str, str] = {}  # tree: the head whose merge failed the test
        self.owners = Owners(project, self.base)
        self._carried: dict[str, dict[bytes, TreeEntry | None]] | None = None
        # Paths where the integration differs from the upstream (a superset): those of
        # the merges worked out here, and those of git's between the trees in `_unread`.
        self._changed = NOTHING
        self._unread: list[tuple[Oid, Oid]] = []
        tree = self.store.commit_tree(self.base)
        if tree is None:
            raise UsageError(f"the {self.upstream} tree's head {self.base} is not a commit")
        self.base_tree = tree

    def start(self) -> Step:
        return Step(self.base, self.base_tree)

    def _test(self, tree: str, step: str) -> TestRun | None:
        """The test command's verdict on a merged tree: the same tree (same content,
        same command) is not tested twice."""
        if not self.command:
            return None
        from treemerge.app.testrun import TestRun, run_test  # noqa: PLC0415 - with a command

        sandbox = self.project.config.integration.sandbox
        # (Verdicts of another sandbox setting, or of the archive-made checkouts of old,
        # are not this one's.)
        key = f"{tree} {sandbox} {self.command}"
        known = self.tested.get(key)
        if known is not None:
            code = known.get("exit_status")
            status = code if isinstance(code, int) else None
            return TestRun(str(known["status"]), str(known["output"]), 0.0, status)
        result = run_test(self.project.workspace.path, step, self.command, sandbox=sandbox)
        self.tested[key] = {
            "status": result.status,
            "output": result.output,
            "exit_status": result.exit_status,
        }
        return result

    def _alone(self, head: str) -> dict[bytes, TreeEntry | None] | None:
        """What git's clean merge of `head` into the upstream by itself changed there;
        None when that merge was not clean, or not asked for."""
        if self._carried is None:
            self._carried = {}
            results = self.alone.results()
            if results is not None:
                # Only merges more than trivial are carried over (for the others it is
                # the work itself): what those changed in the upstream, read at once.
                merged = {
                    theirs: oid_from_hex(result.tree)
                    for (_, theirs), result in zip(self.alone.pairs, results, strict=True)
                    if result.clean
                    and theirs in self.work
                    and not is_trivial(self.store, self.base_tree, self.work[theirs].delta)
                }
                pairs = [(self.base_tree, tree) for tree in merged.values()]
                found = tree_changes_many(self.store, pairs)
                self._carried = dict(zip(merged, found, strict=True))
        return self._carried.get(head)

    def _integration_changed(self) -> PathSet:
        if self._unread:
            found = tree_changes_many(self.store, self._unread)
            self._changed = self._changed | PathSet.of(p for changes in found for p in changes)
            self._unread.clear()
        return self._changed

    def _pending(self, head: str) -> Pending | None:
        """The work of `head` (read now for a fallback head the survey did not cover;
        None when the repository no longer has it)."""
        if head not in self.work:
            kind = self.store.info_many([head])[0]
            if kind is None or kind[1] != "commit":
                return None
            self.work.update(Survey(self.project.workspace.path).read(self.base, [head]))
        return self.work[head]

    def _merge(self, current: Step, head: str, where: str) -> tuple[Trial, Merged | None]:
        """What merging `head` onto the integration gives: worked out here when it
        provably equals git's merge (with the paths it changes), else git's own."""
        work = self._pending(head)
        if work is not None and not work.commits and self.store.commit_tree(head):
            # Nothing the upstream lacks: already in (git merges it to the same tree).
            self.trivial.add(head)
            return Trial(current.tree, ()), Merged(current.tree, frozenset())
        # With no pending commit in common with anything merged so far, and one commit
        # under them, that commit is the only merge base (of the integration and of the
        # upstream alike).
        found = None
        if work is not None and work.base is not None and work.commits.isdisjoint(self.merged):
            ours = current.tree
            found = trivial_merge(self.store, ours, work.delta)
            if found is not None:
                self.trivial.add(head)
            alone = self._alone(head) if found is None else None
            if alone is not None:
                found = carried_merge(
                    self.store,
                    ours,
                    work.delta,
                    upstream=self.base_tree,
                    changes=alone,
                    ours_changed=self._integration_changed(),
                )
        if found is not None:
            return Trial(found.tree, ()), found
        merged = merge_tree(self.project.workspace.path, current.commit, head, where=where)
        return Trial(oid_from_hex(merged.tree), merged.conflicts), None

    def merge_one(self, current: Step, tree: str, head: str) -> tuple[Step, TreeOutcome]:
        """Merge one tree onto the integration so far: (new integration, outcome).
        The tree's head first; if it conflicts or fails the test, its last good head."""
        work = self.work.get(head)
        commits = len(work.commits) if work else 0
        candidates = [(head, False)]
        if self.fallback and self.good.get(tree) and self.good[tree] != head:
            candidates.append((self.good[tree], True))
        failed: TestRun | None = None
        problem = None
        for candidate, is_fallback in candidates:
            work_of = self._pending(candidate)
            if work_of is not None and unrelated(work_of):
                problem = problem or f"no history in common with {self.upstream}"
                continue
            merged, known = self._merge(current, candidate, tree)
            if merged.conflicts:
                if not is_fallback:
                    self.conflicted[tree] = merged.conflicts
                    self.onto[tree] = current.commit
                    self.owners.start()
                continue
            message = f"Merge {tree} into next\n"
            parents = [current.commit, candidate]
            step = self.store.write_commit(merged.tree, parents, message, INTEGRATION_SIGNATURE)
            test = self._test(merged.tree.hex(), step)
            if test is not None and test.status == "failed":
                if failed is None:
                    failed = test
                    self.failed_at[tree] = candidate
                continue
            self.good[tree] = candidate
            used = self.work.get(candidate)
            self.merged.update(used.commits if used else ())
            if known is not None:
                self._changed = self._changed | PathSet.of(known.changed)
            else:  # (what git changed is read when a carried merge needs it)
                self._unread.append((current.tree, merged.tree))
            outcome = TreeOutcome(
                tree, head, True, candidate, is_fallback, commits, (), failed or test, problem
            )
            return Step(step, merged.tree), outcome
        outcome = TreeOutcome(tree, head, False, None, False, commits, (), failed, problem)
        return current, outcome

    def with_collisions(self, outcome: TreeOutcome) -> TreeOutcome:
        """`outcome` with the collisions of its head's conflicts, if it had any."""
        paths = self.conflicted.get(outcome.subsystem)
        if not paths:
            return outcome
        return outcome._replace(conflicts=collisions(self, outcome.subsystem, paths))


class Owners:
    """Ownership as the upstream has it, compiled in the background from the first
    conflict on (while the merges go on); only conflicts need it."""

    def __init__(self, project: Project, commit: str) -> None:
        self._project = project
        self._commit = commit
        self._job: Background[OwnershipIndex] | None = None

    def start(self) -> None:
        if self._job is None:
            self._job = Background(lambda: self._project.ownership_at(self._commit))

    def index(self) -> OwnershipIndex:
        self.start()
        assert self._job is not None
        return self._job.result()


def collisions(run: Run, tree: str, paths: tuple[str, ...]) -> tuple[Collision, ...]:
    """Each conflicting path with its owners and the trees whose work it collides with
    (the upstream itself when no other tree's does)."""
    index = run.owners.index()
    pairs = run.matrix.conflicts()
    found = []
    for path in paths:
        others = sorted(
            next(iter(pair - {tree}))
            for pair, conflicting in pairs.items()
            if tree in pair and path in conflicting
        )
        owners = tuple(s.name for s in index.owners(path).sections)
        found.append(Collision(path, owners, tuple(others) or (run.upstream,)))
    return tuple(found)
