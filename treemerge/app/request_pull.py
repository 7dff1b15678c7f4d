"""`request-pull`: the tag, the text, the lint, and (with --send) delivery and records."""

from __future__ import annotations

import hashlib
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from treemerge.app.check import check_subsystem, resolve_head
from treemerge.app.project import Project
from treemerge.core.check import CheckResult
from treemerge.core.errors import UsageError
from treemerge.core.pull_lint import PullFacts, counts_by_author, explanations, lint_pull
from treemerge.core.pullreq import Conflict, GitText, PullRequest
from treemerge.failpoints import failpoint
from treemerge.gitio.merge import merge_tree
from treemerge.gitio.pullgit import GitBlocks, PullGit


@dataclass(frozen=True)
class RequestOptions:
    date: str  # YYYY-MM-DD, for the tag name and the subject
    now: int  # Unix time, for the fresh-commits rule
    head: str | None = None
    tag: str | None = None
    message: str | None = None  # the summary (else the reused tag's, else a default)
    sign: bool = False
    dry_run: bool = False
    allow_fresh: bool = False


def tag_prefix(subsystem: str, upstream: str) -> str:
    return f"{subsystem}-for-{upstream}-"


def message_id(pull: PullRequest, domain: str) -> str:
    """The Message-Id of a pull: the same for the same pull, whatever the run."""
    digest = hashlib.sha256(f"{pull.subsystem}\0{pull.upstream}\0{pull.head}\0{pull.tag}".encode())
    return f"<treemerge.{pull.subsystem}.{digest.hexdigest()[:20]}@{domain}>"


def prepare_pull(project: Project, subsystem: str, options: RequestOptions) -> PullRequest:
    """The pull request of `subsystem`'s pending work. Unless `dry_run`, the tag is
    created (or reused: one tag per head) and pushed to the subsystem's tree.

    git's blocks and the conflict forecast only need the two ends of the range, so they
    run in the background while the ownership check runs here.
    """
    tree = project.subsystem_tree(subsystem)
    if tree.url is None:
        raise UsageError(f"{subsystem} has no `tree =` in maintainers.cfg: nowhere to pull from")
    assert tree.upstream is not None
    history = project.history()
    upstream_tip = project.synced(tree.upstream)
    head = resolve_head(project, history, subsystem, options.head)
    base = history.merge_base(upstream_tip, head)
    if base is None:
        raise UsageError(f"{subsystem}: no history in common with {tree.upstream}")
    git = PullGit(project.workspace.path, where=subsystem)
    with ThreadPoolExecutor(max_workers=2) as pool:
        forecast = pool.submit(_forecast, project, subsystem, tree.upstream, head, upstream_tip)
        blocks = pool.submit(_blocks, git, base, head, upstream_tip)
        check = check_subsystem(project, subsystem, head=head)
        tag, summary, exists = _choose_tag(project, git, check, options)
        if not options.dry_run:
            if not exists:
                git.create_tag(tag, check.head, summary, sign=options.sign)
            failpoint("before-tag-push")
            if git.remote_tag(tree.url, tag) != check.head:
                git.push_tag(tree.url, tag)
        text, messy = blocks.result()
        conflicts, against = forecast.result()
    return _assemble(
        project,
        git,
        check,
        tag=tag,
        summary=summary,
        options=options,
        url=tree.url,
        blocks=text,
        messy=messy,
        conflicts=conflicts,
        against=against,
    )


def _choose_tag(
    project: Project, git: PullGit, check: CheckResult, options: RequestOptions
) -> tuple[str, str, bool]:
    """(tag name, summary, whether the tag exists already)."""
    prefix = tag_prefix(check.subsystem, check.upstream)
    if options.tag:
        if git.tag_exists(options.tag):
            if options.tag not in git.tags_at(check.head, options.tag):
                raise UsageError(f"tag {options.tag} exists and does not point at the head")
            return options.tag, git.tag_message(options.tag), True
        return options.tag, _summary(project, check, options), False
    reusable = git.tags_at(check.head, prefix)
    if reusable:
        return reusable[-1], git.tag_message(reusable[-1]), True
    name = f"{prefix}{options.date}"
    serial = 1
    while git.tag_exists(name):
        serial += 1
        name = f"{prefix}{options.date}-{serial}"
    return name, _summary(project, check, options), False


def _summary(project: Project, check: CheckResult, options: RequestOptions) -> str:
    if options.message is not None:
        return cleanup_message(options.message)
    sub = project.config.subsystem(check.subsystem)
    title = sub.title if sub else check.subsystem
    return (
        f"{title} changes for {check.upstream}\n\n"
        f"{check.commits} commit(s) from the {check.subsystem} tree.\n"
    )


def cleanup_message(text: str) -> str:
    """What `git tag -F` keeps of a message (its default `whitespace` cleanup)."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    while kept and not kept[-1]:
        kept.pop()
    return "\n".join(kept) + "\n" if kept else ""


def _assemble(
    project: Project,
    git: PullGit,
    check: CheckResult,
    *,
    tag: str,
    summary: str,
    options: RequestOptions,
    url: str,
    blocks: GitBlocks,
    messy: bool,
    conflicts: tuple[Conflict, ...],
    against: tuple[str, ...],
) -> PullRequest:
    assert check.base is not None
    upstream_tip = project.synced(check.upstream)
    message = git.tag_message(tag) if git.tag_exists(tag) else summary
    text = GitText(
        blocks.since,
        git.display_url(url),
        f"tags/{tag}",
        blocks.up_to,
        message,
        blocks.shortlog,
        blocks.diffstat,
    )
    pending = project.history().pending(upstream_tip, check.head)
    tag_at_url = git.remote_tag(url, tag)
    if options.dry_run and tag_at_url is None:
        tag_at_url = check.head  # the run that sends pushes the tag first
    by_sha = {c.sha: c for c in pending}
    merges = [by_sha[sha] for sha in check.backmerges if sha in by_sha]
    facts = PullFacts(
        tag=tag,
        url=url,
        base=check.base,
        head=check.head,
        tag_at_url=tag_at_url,
        base_is_tag=_is_release(project, check.base),
        summary=summary,
        check=check,
        backmerges=merges,
        pending=pending,
        now=options.now,
        allow_fresh=options.allow_fresh,
    )
    sub = project.config.subsystem(check.subsystem)
    foreign = [f.path for f in check.files if f.status == "foreign"]
    return PullRequest(
        subsystem=check.subsystem,
        title=sub.title if sub else check.subsystem,
        upstream=check.upstream,
        date=options.date,
        tag=tag,
        url=url,
        base=check.base,
        head=check.head,
        summary=summary,
        git=text,
        check=check,
        conflicts=conflicts,
        forecast_against=against,
        messy_diffstat=messy,
        authors=len(counts_by_author(pending)),
        findings=lint_pull(facts),
        backmerge_subjects=tuple((c.sha, c.subject) for c in merges),
        explanations=tuple(explanations(summary, foreign).items()),
    )


def _blocks(git: PullGit, base: str, head: str, upstream_tip: str) -> tuple[GitBlocks, bool]:
    """git request-pull's blocks, and whether the diffstat had to use a temporary merge
    (several merge bases: the kernel's messy-diffstat rule)."""
    messy = len(git.merge_bases(upstream_tip, head)) > 1
    diff = (base, head)
    if messy:
        diff = (upstream_tip, merge_tree(git.repo, upstream_tip, head).tree)
    return git.blocks(base, head, diff=diff), messy


# treemerge's own pull-request tags; any other tag at the base counts as a release.
PULL_TAG = re.compile(r"-for-.+-\d{4}-\d{2}-\d{2}(-\d+)?$")


def _is_release(project: Project, commit: str) -> bool:
    out = project.workspace.git("tag", "--points-at", commit).decode()
    return any(not PULL_TAG.search(name) for name in out.split())


def _forecast(
    project: Project, subsystem: str, upstream: str, head: str, upstream_tip: str
) -> tuple[tuple[Conflict, ...], tuple[str, ...]]:
    """Conflicts of the pull with the upstream's tip and with every other tree's work."""
    repo = project.workspace.path
    heads = {upstream: upstream_tip}
    synced = project.workspace.tree_heads()
    for tree in project.trees():
        other = tree.id not in (subsystem, upstream) and tree.upstream is not None
        if other and tree.id in synced:
            heads[tree.id] = synced[tree.id]
    results = {
        against: merge_tree(repo, other, head, where=subsystem) for against, other in heads.items()
    }
    index = project.ownership_at(upstream_tip)
    conflicts = tuple(
        Conflict(
            against,
            tuple((p, tuple(s.name for s in index.owners(p).sections)) for p in result.conflicts),
        )
        for against, result in results.items()
        if result.conflicts
    )
    return conflicts, tuple(heads)
