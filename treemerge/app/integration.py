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

import json
import threading
import time
from collections.abc import Collection
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from treemerge.core.errors import GitError, UsageError
from treemerge.gitio.merge import (
    INTEGRATION_SIGNATURE,
    MergeBatch,
    MergeResult,
    merge_tree,
)
from treemerge.gitio.objects import Entry, ObjectStore
from treemerge.gitio.run import DEVNULL, start_git
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
from treemerge.store.files import atomic_write

if TYPE_CHECKING:
    from treemerge.app.project import Project
    from treemerge.app.testrun import TestRun
    from treemerge.core.matcher import OwnershipIndex

STATE_FILE = "next.json"
NOT_SYNCED = "never synced: run `treemerge sync`"


class Collision(NamedTuple):
    path: str
    owners: tuple[str, ...]
    with_: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {"path": self.path, "owners": list(self.owners), "with": list(self.with_)}


class TreeOutcome(NamedTuple):
    subsystem: str
    head: str
    merged: bool
    used_head: str | None = None  # the head merged: a last good one when `fallback`
    fallback: bool = False
    commits: int = 0
    conflicts: tuple[Collision, ...] = ()
    test: TestRun | None = None
    problem: str | None = None  # why it could not be merged at all (no conflict to show)

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
            "problem": self.problem,
        }


class NextResult(NamedTuple):
    upstream: str
    base: str
    result: str
    trees: tuple[TreeOutcome, ...]
    matrix_trees: tuple[str, ...]
    cells: tuple[tuple[int, ...], ...]
    generated: str
    changes: tuple[str, ...] = ()

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
    project: Project,
    *,
    upstream: str = "main",
    fallback: bool = True,
    run_tests: bool = True,
) -> NextResult:
    """Build the integration tree (refs/next/UPSTREAM in the workspace) and report it."""
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
    previous = _load_state(project)
    command = project.config.integration.test_command if run_tests else None
    start = _Start(workspace.path)
    trivial = set(_strings(previous.get("trivial_heads")))
    reads = start.finish(upstream, synced, list(heads.values()), trivial)
    try:
        matrix = _Matrix(workspace.path, heads, reads)
        run = _Run(
            project, reads, matrix, previous, command=command, upstream=upstream, fallback=fallback
        )
        current, outcomes = run.start(), []
        for tree in order:
            if tree not in heads:  # (a tree configured, never fetched: nothing to merge)
                outcomes.append(TreeOutcome(tree, "", False, problem=NOT_SYNCED))
                continue
            current, outcome = run.merge_one(current, tree, heads[tree])
            outcomes.append(outcome)
        # The ref is written while the report is put together.
        ref = _GitCall(workspace.path, ["update-ref", f"refs/next/{upstream}", current.commit])
        outcomes = [run.with_collisions(outcome) for outcome in outcomes]
        pairs = matrix.conflicts()
        ref.wait()
    finally:
        _close(reads)
    names = tuple(heads)
    cells = tuple(
        tuple(len(pairs.get(frozenset((a, b)), ())) if a != b else 0 for b in names) for a in names
    )
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    result = NextResult(upstream, base, current.commit, tuple(outcomes), names, cells, stamp)
    result = result._replace(changes=changes(previous, result))
    _save_state(project, result, run.good, run.tested, run.trivial)
    return result


def _order(project: Project, upstream: str, synced: dict[str, str]) -> list[str]:
    """The subsystems to integrate, in the configured order: those synced, and those
    with a tree that was never synced (reported, not merged)."""
    config = project.config
    order = list(config.integration.order) or [s.id for s in config.subsystems]
    order += [s.id for s in config.subsystems if s.id not in order]
    with_tree = {s.id for s in config.subsystems if s.tree}
    return [t for t in order if (t in synced or t in with_tree) and t != upstream]


class _Reads(NamedTuple):
    """What a run reads from git before it merges anything."""

    synced: dict[str, str]  # every tree's head in the workspace
    store: ObjectStore  # its objects (git started)
    work: dict[str, Pending]  # by head: the work the upstream lacks
    alone: MergeBatch  # heads merged into the upstream by themselves (running)
    pairs: MergeBatch  # each pair of heads whose work meets, merged (running)


class _Start:
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
        self.pairs = MergeBatch(repo, where="next")

    def finish(
        self,
        upstream: str,
        synced: dict[str, str],
        heads: list[str],
        trivial: Collection[str] = (),
    ) -> _Reads:
        """The reads of a run over `heads` on `upstream`. Heads the last run merged
        trivially (`trivial`) are not merged alone: they will most likely be trivial
        again (and if not, git merges them in the chain)."""
        base = synced[upstream]
        try:
            self.store.use_hash_length(len(base))
            work = self.log.read(base, heads)
            # git refuses to merge histories with nothing in common: those trees are
            # left out (merge_one says why), not merged in a batch that would fail.
            related = [head for head in heads if not _unrelated(work[head])]
            self.alone.feed([(base, head) for head in related if head not in trivial])
            self.pairs.feed(_meeting(related, work))
            upstream_tree = self.store.commit_tree(base)
            if upstream_tree is not None:
                # What the merges will look at in the upstream, read in two round trips.
                self.store.preload([(upstream_tree, _changed_files(work))])
        except BaseException:
            self.close()
            raise
        return _Reads(synced, self.store, work, self.alone, self.pairs)

    def close(self) -> None:
        self.store.close()
        self.log.close()
        self.alone.close()
        self.pairs.close()


def _unrelated(work: Pending) -> bool:
    """Whether the work has no history in common with the upstream: commits of its own
    and none of them with a parent the upstream has."""
    return bool(work.commits) and not work.boundary


def _meeting(heads: list[str], work: dict[str, Pending]) -> list[tuple[str, str]]:
    """The pairs of `heads` whose work meets: the same path, or a file where the other
    changes something below it. Only those can conflict."""
    touched = {head: PathSet.of(work[head].paths) for head in heads}
    return [(a, b) for a, b in combinations(heads, 2) if touched[a].meets(touched[b])]


def _changed_files(work: dict[str, Pending]) -> set[bytes]:
    return {path for pending in work.values() for path in pending.delta}


def _close(reads: _Reads) -> None:
    reads.store.close()
    reads.alone.close()
    reads.pairs.close()


class _GitCall:
    """A git command run while the caller goes on; `wait` for its outcome."""

    def __init__(self, repo: Path, args: list[str]) -> None:
        self.args = args
        self._process = start_git(args, cwd=repo, stdin=DEVNULL, stdout=DEVNULL)

    def wait(self) -> None:
        _, err = self._process.communicate()
        if self._process.returncode != 0:
            said = err.decode("utf-8", "replace")
            raise GitError(self.args, self._process.returncode, said, where="workspace")


class _Matrix:
    """Conflicting paths between the pending work of every pair of trees: git merges
    the pairs whose work meets (`_meeting`); no other pair can conflict."""

    def __init__(self, repo: Path, heads: dict[str, str], reads: _Reads) -> None:
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
                results = [merge_tree(self.repo, a, b, where="next") for a, b in pairs]
            self._found = {}
            for (one, two), result in zip(pairs, results, strict=True):
                if result.conflicts:
                    for a in names.get(one, ()):
                        for b in names.get(two, ()):
                            if a != b:
                                self._found[frozenset((a, b))] = result.conflicts
        return self._found


class _Step(NamedTuple):
    """The integration so far: its commit and that commit's tree."""

    commit: str
    tree: str


class _Run:
    """One integration run: what every merge step needs, and what it learns."""

    def __init__(
        self,
        project: Project,
        reads: _Reads,
        matrix: _Matrix,
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
        self.good = _string_map(previous.get("good_heads"))
        self.tested = _tested(previous)  # test verdicts by tree and command
        self.command = command
        self.upstream = upstream
        self.fallback = fallback
        self.base_tree = b""
        self.merged: set[str] = set()  # pending commits merged so far
        self.trivial: set[str] = set()  # heads merged trivially
        self.conflicted: dict[str, tuple[str, ...]] = {}  # tree: its head's conflicts
        self.owners = _Owners(project, self.base)
        self._carried: dict[str, dict[bytes, Entry | None]] | None = None
        # Paths where the integration differs from the upstream (a superset): those of
        # the merges worked out here, and those of git's between the trees in `_unread`.
        self._changed = NOTHING
        self._unread: list[tuple[bytes, bytes]] = []

    def start(self) -> _Step:
        tree = self.store.commit_tree(self.base)
        if tree is None:
            raise UsageError(f"the {self.upstream} tree's head {self.base} is not a commit")
        self.base_tree = tree
        return _Step(self.base, tree.hex())

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
            return TestRun(str(known["status"]), str(known["output"]), 0.0)
        result = run_test(self.project.workspace.path, step, self.command, sandbox=sandbox)
        self.tested[key] = {"status": result.status, "output": result.output}
        return result

    def _alone(self, head: str) -> dict[bytes, Entry | None] | None:
        """What git's clean merge of `head` into the upstream by itself changed there;
        None when that merge was not clean, or not asked for."""
        if self._carried is None:
            self._carried = {}
            results = self.alone.results()
            if results is not None:
                # Only merges more than trivial are carried over (for the others it is
                # the work itself): what those changed in the upstream, read at once.
                merged = {
                    theirs: bytes.fromhex(result.tree)
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

    def _merge(self, current: _Step, head: str, where: str) -> tuple[MergeResult, Merged | None]:
        """What merging `head` onto the integration gives: worked out here when it
        provably equals git's merge (with the paths it changes), else git's own."""
        work = self._pending(head)
        if work is not None and not work.commits and self.store.commit_tree(head):
            # Nothing the upstream lacks: already in (git merges it to the same tree).
            self.trivial.add(head)
            return MergeResult(current.tree, ()), Merged(bytes.fromhex(current.tree), frozenset())
        # With no pending commit in common with anything merged so far, and one commit
        # under them, that commit is the only merge base (of the integration and of the
        # upstream alike).
        found = None
        if work is not None and work.base is not None and work.commits.isdisjoint(self.merged):
            ours = bytes.fromhex(current.tree)
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
            return MergeResult(found.tree.hex(), ()), found
        return merge_tree(self.project.workspace.path, current.commit, head, where=where), None

    def merge_one(self, current: _Step, tree: str, head: str) -> tuple[_Step, TreeOutcome]:
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
            if work_of is not None and _unrelated(work_of):
                problem = problem or f"no history in common with {self.upstream}"
                continue
            merged, known = self._merge(current, candidate, tree)
            if merged.conflicts:
                if not is_fallback:
                    self.conflicted[tree] = merged.conflicts
                    self.owners.start()
                continue
            message = f"Merge {tree} into next\n"
            parents = [current.commit, candidate]
            step = self.store.write_commit(merged.tree, parents, message, INTEGRATION_SIGNATURE)
            test = self._test(merged.tree, step)
            if test is not None and test.status == "failed":
                failed = failed or test
                continue
            self.good[tree] = candidate
            used = self.work.get(candidate)
            self.merged.update(used.commits if used else ())
            if known is not None:
                self._changed = self._changed | PathSet.of(known.changed)
            else:  # (what git changed is read when a carried merge needs it)
                self._unread.append((bytes.fromhex(current.tree), bytes.fromhex(merged.tree)))
            outcome = TreeOutcome(
                tree, head, True, candidate, is_fallback, commits, (), failed or test, problem
            )
            return _Step(step, merged.tree), outcome
        outcome = TreeOutcome(tree, head, False, None, False, commits, (), failed, problem)
        return current, outcome

    def with_collisions(self, outcome: TreeOutcome) -> TreeOutcome:
        """`outcome` with the collisions of its head's conflicts, if it had any."""
        paths = self.conflicted.get(outcome.subsystem)
        if not paths:
            return outcome
        return outcome._replace(conflicts=_collisions(self, outcome.subsystem, paths))


class _Owners:
    """Ownership as the upstream has it, compiled on a thread from the first conflict
    on (while the merges go on); only conflicts need it."""

    def __init__(self, project: Project, commit: str) -> None:
        self._project = project
        self._commit = commit
        self._thread: threading.Thread | None = None
        self._index: OwnershipIndex | None = None
        self._error: BaseException | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._compile, daemon=True)
            self._thread.start()

    def _compile(self) -> None:
        try:
            self._index = self._project.ownership_at(self._commit)
        except BaseException as exc:  # (raised again where the answer is wanted)
            self._error = exc

    def index(self) -> OwnershipIndex:
        self.start()
        assert self._thread is not None
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._index is not None
        return self._index


def _collisions(run: _Run, tree: str, paths: tuple[str, ...]) -> tuple[Collision, ...]:
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


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


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
    project: Project,
    result: NextResult,
    good: dict[str, str],
    tested: dict[str, dict[str, object]],
    trivial: set[str],
) -> None:
    keep = dict(list(tested.items())[-200:])  # recent verdicts are enough
    state = {
        "result": result.result,
        "good_heads": good,
        "tested": keep,
        "left_out": list(result.left_out),
        "conflict_pairs": [sorted(p) for p in _conflict_pairs(result)],
        "trivial_heads": sorted(trivial),
    }
    atomic_write(_state_path(project), json.dumps(state, indent=2) + "\n")
