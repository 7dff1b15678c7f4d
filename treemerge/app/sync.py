"""`sync`: fetch the main tree and every subsystem tree into the workspace, in parallel."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass

from treemerge.app.merged import MergeFindings, mark_merged
from treemerge.app.project import Project, TrackedTree
from treemerge.app.send import records, records_kept
from treemerge.core.errors import TreemergeError
from treemerge.core.plain import as_dict
from treemerge.failpoints import failpoint
from treemerge.gitio.workspace import MAIN, REVIEW_NOTES, FetchResult
from treemerge.store.files import atomic_write

# The trees' heads when merged pulls were last looked for (a digest).
MERGED_STAMP = "merged-checked"

DEFAULT_JOBS = 4

# Called as progress(tree_id, event) with event "start", "done" or "failed".
Progress = Callable[[str, str], None]


@dataclass(frozen=True)
class SyncFailure:
    tree: str
    message: str


@dataclass(frozen=True)
class SyncReport:
    fetched: tuple[FetchResult, ...]
    failures: tuple[SyncFailure, ...]
    merged: tuple[str, ...] = ()  # pull request tags found merged upstream
    # Pull request tags of which only some commits arrived upstream, with how many.
    partial: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "trees": [
                {"tree": r.tree, "old": r.old, "new": r.new, "changed": r.changed}
                for r in self.fetched
            ],
            "failures": [as_dict(f) for f in self.failures],
            "merged": list(self.merged),
            "partial": [{"tag": tag, "arrived": arrived} for tag, arrived in self.partial],
        }


def sync(
    project: Project,
    ids: Sequence[str] = (),
    *,
    jobs: int = DEFAULT_JOBS,
    progress: Progress | None = None,
) -> SyncReport:
    """Fetch the trees (all, or `ids`); a tree that fails is reported and the rest go on."""
    trees = project.trees(ids)
    project.workspace.ensure()
    notify = progress or (lambda _tree, _event: None)
    fetchable = [t for t in trees if t.url is not None]
    failures = [SyncFailure(t.id, "no `tree =` in maintainers.cfg") for t in trees if t.url is None]

    known = project.workspace.tree_heads()
    notes = project.workspace.review_notes_heads()

    def fetch(tree: TrackedTree) -> FetchResult | SyncFailure:
        notify(tree.id, "start")
        assert tree.url is not None
        try:
            result = _fetch_if_moved(project, tree, known.get(tree.id), notes.get(tree.id))
        except TreemergeError as exc:
            notify(tree.id, "failed")
            return SyncFailure(tree.id, exc.message)
        notify(tree.id, "done")
        return result

    # The main tree's first fetch brings the history every tree shares: alone and
    # first, so that the trees fetched with it do not each bring all of it again.
    first = [t for t in fetchable if t.id == MAIN and MAIN not in known]
    outcomes = [fetch(tree) for tree in first]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        outcomes += pool.map(fetch, [t for t in fetchable if t not in first])
    fetched = tuple(o for o in outcomes if isinstance(o, FetchResult))
    failures += [o for o in outcomes if isinstance(o, SyncFailure)]
    if any(result.changed for result in fetched):
        # Only an accelerator: everything works without it, more slowly.
        with suppress(TreemergeError):
            project.workspace.write_commit_graph()
        with suppress(TreemergeError):
            learn_pending(project)
    found = _look_for_merged(project)
    merged = tuple(r.tag for r in found.merged)
    partial = tuple((r.tag, r.partial) for r in found.partial)
    return SyncReport(fetched, tuple(failures), merged, partial)


def _look_for_merged(project: Project) -> MergeFindings:
    """mark_merged, when any tree's head differs from those of the last look that
    finished: trees that did not move have merged nothing since. The heads are noted
    only after the look, so a run killed before it ends is looked at again."""
    heads = project.workspace.tree_heads()
    seen = hashlib.sha256(json.dumps(sorted(heads.items())).encode()).hexdigest()
    stamp = project.workspace.workspace / MERGED_STAMP
    if stamp.exists() and stamp.read_text(encoding="utf-8").strip() == seen:
        return _nothing_merged(project)
    failpoint("before-merged-look")
    found = mark_merged(project)
    atomic_write(stamp, seen + "\n")
    return found


def _nothing_merged(project: Project) -> MergeFindings:
    """What a sync that moved no tree finds merged: nothing. The records are opened all
    the same, so that a damaged or lost file is refused as by any sync."""
    if records_kept(project):
        records(project).close()
    return MergeFindings((), ())


def _fetch_if_moved(
    project: Project, tree: TrackedTree, old: str | None, old_notes: str | None
) -> FetchResult:
    """Fetch the tree unless its branch and its review notes name the commits the
    workspace has already: a subsystem tree is asked for those two refs first (the main
    tree, whose tags come too, is always fetched), so a sync with nothing new costs a
    look at each tree. (Review notes are often written after the commits they review.)"""
    assert tree.url is not None
    workspace = project.workspace
    branch = f"refs/heads/{tree.branch}"
    if tree.id != MAIN and old is not None:
        remote = workspace.remote_commits(tree.url, [branch, REVIEW_NOTES], where=tree.id)
        if remote.get(branch) == old and remote.get(REVIEW_NOTES) == old_notes:
            return FetchResult(tree.id, old, old)
    return workspace.fetch(tree.id, tree.url, tree.branch, tags=tree.id == MAIN)


# At most this many commits are learnt per sync (newest first); older ones are learnt
# by the first command that needs them.
LEARN_PER_SYNC = 20_000


def learn_pending(project: Project) -> int:
    """Learn which paths every pending commit of every subsystem tree changed, so that
    `check`, `status` and `request-pull` find them known. Returns how many were new."""
    heads = project.workspace.tree_heads()
    by_upstream: dict[str, list[str]] = {}
    for tree in project.trees():
        if tree.upstream and tree.id in heads and tree.upstream in heads:
            by_upstream.setdefault(heads[tree.upstream], []).append(heads[tree.id])
    history = project.history()
    learnt = 0
    for upstream, tips in by_upstream.items():
        commits = history.commits_between(tips, upstream, limit=LEARN_PER_SYNC)
        learnt += len(history.learn(history.unknown(commits)))
    return learnt
