"""`merge`: a pull request into its upstream, the way the kernel's merge commits read."""

from __future__ import annotations

from dataclasses import dataclass

from treemerge.app.project import Project
from treemerge.app.review import Review, upstream_head
from treemerge.app.send import records, records_kept
from treemerge.core.errors import GitError, Refused, UsageError
from treemerge.core.plain import as_dict
from treemerge.failpoints import failpoint
from treemerge.gitio.merge import commit_tree, merge_tree
from treemerge.gitio.pullgit import PullGit
from treemerge.gitio.workspace import tree_ref

# How many commit subjects a merge message lists (git fmt-merge-msg's default).
SHORTLOG_LIMIT = 20


@dataclass(frozen=True)
class MergeResult:
    subsystem: str
    tag: str
    upstream: str
    parent: str  # the upstream head merged into
    commit: str | None  # the merge commit (None for a dry run)
    message: str
    pushed: bool
    forced: bool
    already_merged: bool = False  # the upstream (or a merge kept for it) had the pull

    def as_dict(self) -> dict[str, object]:
        return as_dict(self)


def problems(review: Review) -> list[str]:
    """Why a pull must not be merged as it is."""
    found = []
    if review.check.violations:
        paths = [f.path for f in review.check.files if f.status == "foreign"]
        found.append(f"{review.check.violations} foreign path(s) ({', '.join(paths[:5])})")
    if review.signature[0] == "bad":
        found.append("a bad tag signature")
    report = review.check.review
    if report is not None and report.findings:
        found.append(
            f"{report.findings} commit(s) without the review of {report.policy} core(s) "
            f"of {report.tree} ({', '.join(c.commit[:12] for c in report.unreviewed[:5])})"
        )
    return found


def merge_pull(
    project: Project,
    review: Review,
    *,
    dry_run: bool = False,
    force: bool = False,
    reason: str | None = None,
    push: bool = False,
) -> MergeResult:
    """Merge a reviewed pull into its upstream (no work tree). Refuses on conflicts
    always, and on violations, a bad signature or an unmet review policy unless forced
    with a reason, which the merge message then carries. A tag re-pointed since its
    request is refused even so: only the commit a request named is merged. A pull the
    upstream already has is not merged again (a merge kept in the workspace for it is
    pushed with `push`). Nothing is written on refusal or with `dry_run`."""
    target = review.target
    if force and not reason:
        raise UsageError("--force needs --reason TEXT (it goes into the merge message)")
    if review.tag_moved:
        assert review.requested is not None
        raise Refused(
            f"refusing to merge {target.tag}: the tag now names {target.commit[:12]}, not "
            f"{review.requested[:12]} as its request did (re-pointed after it was sent; "
            "--force does not override this): send a new pull request"
        )
    done = _already_merged(project, review, push=push and not dry_run, dry_run=dry_run)
    if done is not None:
        return done
    found = _refusable(review, force=force)
    parent = upstream_head(project, target.upstream)
    message = merge_message(project, review, forced=found if force else [], reason=reason)
    commit, pushed = None, False
    if not dry_run:
        commit, pushed = _merge(project, review, parent, message, push=push)
    return MergeResult(
        target.subsystem,
        target.tag,
        target.upstream,
        parent,
        commit,
        message,
        pushed=pushed,
        forced=bool(found),
    )


def _refusable(review: Review, *, force: bool) -> list[str]:
    """What could stop the merge (`problems`): raises Refused on conflicts, and on
    problems unless `force`."""
    target = review.target
    if review.conflicts:
        paths = ", ".join(p for p, _ in review.conflicts[:10])
        raise Refused(
            f"refusing to merge {target.tag}: conflicts with {target.upstream} in "
            f"{paths}; merge it in a checkout (git pull {target.url} tags/{target.tag})"
        )
    found = problems(review)
    if found and not force:
        raise Refused(
            f"refusing to merge {target.tag}: {'; '.join(found)}; --force --reason TEXT overrides"
        )
    return found


def _merge(
    project: Project, review: Review, parent: str, message: str, *, push: bool
) -> tuple[str, bool]:
    """The merge commit, kept as refs/merges/UPSTREAM and recorded; pushed with `push`.
    Returns the commit and whether it was pushed."""
    target = review.target
    repo = project.workspace.path
    merged = merge_tree(repo, parent, target.commit, where=target.subsystem)
    commit = commit_tree(
        repo, merged.tree, [parent, target.commit], message, where=target.subsystem
    )
    project.workspace.git("update-ref", f"refs/merges/{target.upstream}", commit)
    pushed = push and _push(project, target.upstream, commit)
    failpoint("before-merge-record")
    _record_merged(project, target.subsystem, target.commit)
    return commit, pushed


def merge_message(
    project: Project, review: Review, *, forced: list[str], reason: str | None
) -> str:
    target = review.target
    sub = project.config.subsystem(target.subsystem)
    title = sub.title if sub else target.subsystem
    who = sub.maintainers[0].split("<")[0].strip() if sub and sub.maintainers else target.subsystem
    git = PullGit(project.workspace.path, where=target.subsystem)
    summary = git.tag_message(target.tag_object).strip()
    lines = [
        f"Merge tag '{target.tag}' of {target.url}",
        "",
        f"Pull {title} updates from {who}:",
        "",
        summary,
        "",
    ]
    if forced:
        lines += [f"Merged despite {'; '.join(forced)}.", f"Reason: {reason}", ""]
    base = review.check.base or review.upstream_head
    subjects = [c.subject for c in project.history().pending(base, target.commit) if not c.is_merge]
    lines.append(f"* tag '{target.tag}' of {target.url}: ({len(subjects)} commits)")
    lines += [f"  {s}" for s in subjects[:SHORTLOG_LIMIT]]
    if len(subjects) > SHORTLOG_LIMIT:
        lines.append("  ...")
    return "\n".join(lines) + "\n"


def _already_merged(
    project: Project, review: Review, *, push: bool, dry_run: bool
) -> MergeResult | None:
    """The result for a pull whose commit the upstream has, or a merge kept in the
    workspace for it (then pushed with `push`); None when it is still to be merged. Its
    record becomes `merged`: a run killed before recording its merge is finished so."""
    target, kept = review.target, review.upstream_head
    history = project.history()
    synced = project.synced(target.upstream)
    if history.is_ancestor(target.commit, synced):
        commit, pushed = None, False
    elif kept != synced and history.is_ancestor(target.commit, kept):
        commit, pushed = kept, push and _push(project, target.upstream, kept)
    else:
        return None
    if not dry_run:
        _record_merged(project, target.subsystem, target.commit)
    return MergeResult(
        target.subsystem,
        target.tag,
        target.upstream,
        synced,
        commit,
        "",
        pushed=pushed,
        forced=False,
        already_merged=True,
    )


def _push(project: Project, upstream: str, commit: str) -> bool:
    """Push the merged upstream (never forced: git refuses when the upstream moved)."""
    tree = project.tree(upstream)
    if tree.url is None:
        raise UsageError(f"{upstream} has no URL to push to")
    try:
        project.workspace.push(tree.url, [f"{commit}:refs/heads/{tree.branch}"], where=upstream)
    except GitError as exc:
        exc.message += " (if it moved since the last sync: treemerge sync, then merge again)"
        raise
    project.workspace.fetch(upstream, tree.url, tree.branch, tags=tree.upstream is None)
    return project.history().resolve(tree_ref(upstream)) == commit


def _record_merged(project: Project, subsystem: str, head: str) -> None:
    if not records_kept(project):
        return
    with records(project) as store:
        for record in store.all():
            if record.subsystem != subsystem or record.head != head:
                continue
            if record.state not in ("merged", "superseded"):
                # A pull that went out owes a reply, sent once the upstream has it.
                owed = record.state == "sent" and project.config.notify.merged
                store.update(record.id, "merged", reply="due" if owed else "")
