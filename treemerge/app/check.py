"""`check`: the ownership check of a subsystem's pending work, judged as upstream sees it."""

from __future__ import annotations

from collections.abc import Sequence

from treemerge.app.project import Project
from treemerge.background import Background
from treemerge.core.changes import CommitInfo, NetChange
from treemerge.core.check import (
    CheckResult,
    FileVerdict,
    backmerges,
    judge,
    not_owned,
    owners_of,
    ownership_files_touched,
    pairable,
    paths_of,
)
from treemerge.core.config import Config
from treemerge.core.errors import UsageError
from treemerge.core.matcher import OwnershipIndex
from treemerge.core.model import Section
from treemerge.core.review import Credit, ReviewReport, judge_review, pulled_in, review_policy
from treemerge.gitio.history import History


def check_subsystem(project: Project, subsystem: str, *, head: str | None = None) -> CheckResult:
    """Judge `upstream..head` of `subsystem` by the ownership at the upstream's tip.

    The net change is computed first (merge-base..head) and judged; commits are looked
    up only for the paths the subsystem does not own.
    """
    tree = project.subsystem_tree(subsystem)
    assert tree.upstream is not None
    if head is None:
        upstream, tip = project.synced_all([tree.upstream, subsystem])
    else:
        upstream = project.synced(tree.upstream)
        tip = resolve_head(project, project.history(), subsystem, head)
    return judge_range(project, subsystem, tree.upstream, upstream, tip, review=True)


def judge_range(
    project: Project,
    subsystem: str,
    upstream_name: str,
    upstream: str,
    head: str,
    *,
    review: bool = False,
) -> CheckResult:
    """The ownership check of `head` as a pull into the upstream commit `upstream`,
    judged by the ownership the upstream has at that commit (and with `review`, the
    review each commit had, when the subsystem has a review policy)."""
    return judge_pending(project, subsystem, upstream_name, upstream, head, review=review)[0]


def judge_pending(
    project: Project,
    subsystem: str,
    upstream_name: str,
    upstream: str,
    head: str,
    *,
    base: str | None = None,
    topological: bool = True,
    review: bool = False,
) -> tuple[CheckResult, list[CommitInfo]]:
    """judge_range, with the pending commits it read (oldest first, as
    `History.pending` orders them); `base` when the caller knows the merge base."""
    history = project.history()
    # The pending log needs no merge base: it starts first, the longest of the reads.
    found = Background(lambda: history.pending(upstream, head, topological=topological))
    base = base or history.merge_base(upstream, head)
    if base is None:
        found.result()
        raise UsageError(f"{subsystem}: no history in common with {upstream_name}")
    changes = Background(lambda: net_change(history, base, head))
    index = project.ownership_at(upstream)
    pending = found.result()
    # The review's git processes (notes, a child tree's commits) run meanwhile.
    reviewed = (
        Background(
            lambda: judge_pending_review(project, subsystem, index.sections, pending, hide=upstream)
        )
        if review
        else None
    )
    change = changes.result()
    files, paths = _verdicts(history, subsystem, index, pending, change, head=head, hide=upstream)
    result = CheckResult(
        subsystem=subsystem,
        upstream=upstream_name,
        base=base,
        head=head,
        commits=len(pending),
        files=files,
        ownership_files_changed=ownership_files_touched(paths, project.ownership_files()),
        backmerges=backmerges(pending),
        oldest_pending=min((c.time for c in pending), default=None),
        review=reviewed.result() if reviewed else None,
    )
    return result, pending


def _verdicts(
    history: History,
    subsystem: str,
    index: OwnershipIndex,
    pending: list[CommitInfo],
    change: tuple[list[NetChange], Background[list[NetChange]] | None],
    *,
    head: str,
    hide: str,
) -> tuple[tuple[FileVerdict, ...], dict[str, str]]:
    """Every path of the net `change` (from `net_change`) judged, and those paths with
    their change letters; commits are looked up only for paths `subsystem` does not own."""
    changed, renames = change
    paths = paths_of(changed)
    owners = owners_of(index, paths)
    shas = [c.sha for c in pending]
    touched = history.commits_touching(shas, not_owned(subsystem, owners), head=head, hide=hide)
    infos = {c.sha: c for c in pending}
    commits_by_path = {path: [infos[sha] for sha in found] for path, found in touched.items()}
    if renames is not None:
        paths = paths_of([*changed, *renames.result()])
    return judge(subsystem, owners, paths, commits_by_path), paths


def net_change(
    history: History, base: str, head: str
) -> tuple[list[NetChange], Background[list[NetChange]] | None]:
    """The net change `base..head`, renames not paired, and the pairing of its added and
    deleted paths started beside it (None when nothing can pair).

    The verdict judges both sides of a rename whether paired or not; only the change
    letter shown for each path (R) needs the pairing, the one costly part of the diff."""
    changed = history.net_diff(base, head)
    if not pairable(changed):
        return changed, None
    return changed, Background(lambda: history.renames(base, head))


def judge_pending_review(
    project: Project,
    subsystem: str,
    sections: Sequence[Section],
    pending: Sequence[CommitInfo],
    *,
    hide: str,
    config: Config | None = None,
) -> ReviewReport | None:
    """The review of the pending commits (those `hide`, the upstream, lacks), judged by
    the subsystem's cores as `config` (default: maintainers.cfg) and the upstream's
    ownership name them, those that merged pulls of child trees brought in by the
    child's; None when it has no review policy."""
    config = config or project.config
    policy = review_policy(config, subsystem, sections)
    if policy is None:
        return None
    notes = project.workspace.review_notes(subsystem, [c.sha for c in pending if not c.is_merge])
    credits = trust_credits(project, config, subsystem, sections, pending, hide=hide)
    return judge_review(policy, pending, notes, credits)


def trust_credits(
    project: Project,
    config: Config,
    tree: str,
    sections: Sequence[Section],
    pending: Sequence[CommitInfo],
    *,
    hide: str,
) -> list[Credit]:
    """For each child tree of `tree` (and theirs, below them) with a review policy, the
    commits of `pending` that merges of its pulls brought in. A child's commits are
    those its synced head, its fetched pull tags and its merged pulls' records reach."""
    found: list[Credit] = []
    shas = {c.sha for c in pending}
    for child in (s.id for s in config.subsystems if s.upstream == tree):
        tips = project.workspace.tree_tips(child) + merged_heads(project, child)
        theirs = pulled_in(pending, shas & project.history().reachable(tips, hide))
        if not theirs:
            continue
        brought = [c for c in pending if c.sha in theirs]
        policy = review_policy(config, child, sections)
        if policy is not None:
            judged = [c.sha for c in brought if not c.is_merge]
            found.append(Credit(policy, theirs, project.workspace.review_notes(child, judged)))
        found += trust_credits(project, config, child, sections, brought, hide=hide)
    return found


def merged_heads(project: Project, subsystem: str) -> list[str]:
    """The heads of `subsystem`'s pulls recorded as merged."""
    from treemerge.app.send import records, records_kept  # noqa: PLC0415 - send needs check

    if not records_kept(project):
        return []
    with records(project) as store:
        return [r.head for r in store.all("merged") if r.subsystem == subsystem]


def resolve_head(project: Project, history: History, subsystem: str, head: str | None) -> str:
    if head is None:
        return project.synced(subsystem)
    commit = history.resolve(head)
    if commit is None:
        raise UsageError(f"--head {head}: not a commit in the workspace (run `treemerge sync`?)")
    return commit
