"""`request-pull`: the tag, the text, the lint, and (with --send) delivery and records."""

from __future__ import annotations

from typing import NamedTuple

from treemerge.app.check import judge_pending, resolve_head
from treemerge.app.forecast import ConflictPicture
from treemerge.app.project import Project
from treemerge.background import Background
from treemerge.core.changes import CommitInfo
from treemerge.core.check import CheckResult
from treemerge.core.errors import UsageError
from treemerge.core.pull_lint import PullFacts, counts_by_author, explanations, lint_pull
from treemerge.core.pullplan import PULL_TAG, choose_tag, tag_prefix
from treemerge.core.pullreq import Conflict, GitText, PullRequest
from treemerge.core.shortlog import shortlog
from treemerge.failpoints import failpoint
from treemerge.gitio.merge import merge_tree
from treemerge.gitio.pullgit import GitBlocks, PullGit, Refs


class RequestOptions(NamedTuple):
    date: str  # YYYY-MM-DD, for the tag name and the subject
    now: int  # Unix time, for the fresh-commits rule
    head: str | None = None
    tag: str | None = None
    message: str | None = None  # the summary (else the reused tag's, else a default)
    sign: bool = False
    dry_run: bool = False
    allow_fresh: bool = False
    strict: bool = False  # lint warnings are errors


def message_id(pull: PullRequest, domain: str) -> str:
    """The Message-Id of a pull: the same for the same pull, whatever the run."""
    import hashlib  # noqa: PLC0415 - only for delivery

    digest = hashlib.sha256(f"{pull.subsystem}\0{pull.upstream}\0{pull.head}\0{pull.tag}".encode())
    return f"<treemerge.{pull.subsystem}.{digest.hexdigest()[:20]}@{domain}>"


def prepare_pull(
    project: Project,
    subsystem: str,
    options: RequestOptions,
    *,
    picture: ConflictPicture | None = None,
    refs: Refs | None = None,
) -> PullRequest:
    """The pull request of `subsystem`'s pending work: its facts read, then (unless
    `dry_run`) its tag made on the head, or reused, and pushed to the subsystem's tree,
    then its text assembled. Its conflict forecast comes from `picture` (a cron cycle's,
    for all its pulls), else from one of its own; the heads and tags from `refs` (read
    once for a cycle's pulls, none of which moves another's), else from the workspace."""
    draft = read_pull(project, subsystem, options, picture=picture, refs=refs)
    if not options.dry_run:
        draft = tag_and_push(project, draft, options)
    return assemble_pull(project, draft, options)


class PullDraft(NamedTuple):
    """Everything a pull request is made of, read before its tag is made."""

    url: str  # the subsystem tree's
    check: CheckResult
    pending: list[CommitInfo]
    known: _Known
    summary: str
    tag_at_url: str | None
    blocks: GitBlocks
    messy: bool  # several merge bases: the diffstat is against a temporary merge
    conflicts: tuple[Conflict, ...]
    against: tuple[str, ...]  # the trees the forecast merged with


def read_pull(
    project: Project,
    subsystem: str,
    options: RequestOptions,
    *,
    picture: ConflictPicture | None = None,
    refs: Refs | None = None,
) -> PullDraft:
    """The facts of the pull, changing nothing. git's blocks, the tag and the conflict
    forecast need only the two ends of the range, so they are read in the background
    while the ownership check runs here."""
    tree = project.subsystem_tree(subsystem)
    if tree.url is None:
        raise UsageError(f"{subsystem} has no `tree =` in maintainers.cfg: nowhere to pull from")
    url, upstream = tree.url, tree.upstream
    assert upstream is not None
    git = PullGit(project.workspace.path, where=subsystem)
    heads, tags = refs or git.refs()
    upstream_tip, head = _ends_of(project, heads, subsystem, upstream, options.head)
    # The diffstat, the longest of git's blocks, needs no merge base of ours: git finds
    # it (and the diffstat is not used when there is none, or several).
    diffstat = Background(lambda: git.diffstat(f"{upstream_tip}...{head}"))
    bases = git.merge_bases(upstream_tip, head)
    if not bases:
        raise UsageError(f"{subsystem}: no history in common with {upstream}")
    blocks = Background(lambda: _blocks(git, bases, head, upstream_tip, diffstat))
    prefix = tag_prefix(subsystem, upstream)
    known = Background(
        lambda: _Known.read(
            git, url, tags, base=bases[0], head=head, prefix=prefix, options=options
        )
    )
    if picture is None or picture.heads.get(subsystem) != head:
        picture = ConflictPicture(project, {**heads, subsystem: head}, [subsystem])
    forecast = Background(lambda: picture.forecast(subsystem))
    check, pending = judge_pending(
        project,
        subsystem,
        upstream,
        upstream_tip,
        head,
        base=bases[0],
        topological=False,
        review=True,
    )
    facts = known.result()
    summary = facts.tag_message
    if summary is None:
        summary = _summary(project, check, options)
    text, messy = _with_shortlog(blocks.result(), pending)
    forecast_of = forecast.result()
    conflicts = _conflicts(project, upstream_tip, forecast_of)
    against = tuple(name for name, _ in forecast_of)
    return PullDraft(
        url, check, pending, facts, summary, facts.tag_at_url, text, messy, conflicts, against
    )


def _ends_of(
    project: Project, heads: dict[str, str], subsystem: str, upstream: str, wanted: str | None
) -> tuple[str, str]:
    """The upstream's synced head, and the pull's head: the tree's synced head, or the
    `wanted` revision (--head)."""
    upstream_tip = heads.get(upstream) or project.synced(upstream)
    head = heads.get(subsystem) if wanted is None else None
    return upstream_tip, head or resolve_head(project, project.history(), subsystem, wanted)


def _with_shortlog(
    blocks: tuple[GitBlocks, bool], pending: list[CommitInfo]
) -> tuple[GitBlocks, bool]:
    """git's blocks with the shortlog filled in from the pending commits when there is
    one merge base: they are then exactly shortlog's ^base head (git's own, else)."""
    text, messy = blocks
    if messy:
        return text, messy
    walked = ((c.name, c.oneline) for c in reversed(pending))
    return text._replace(shortlog=shortlog(walked)), messy


def _conflicts(
    project: Project, upstream_tip: str, forecast_of: list[tuple[str, tuple[str, ...]]]
) -> tuple[Conflict, ...]:
    """The forecast's conflicting paths, each with its owners at the upstream's tip."""
    index = project.ownership_at(upstream_tip)  # compiled by the check
    return tuple(
        Conflict(
            against, tuple((p, tuple(s.name for s in index.owners(p).sections)) for p in paths)
        )
        for against, paths in forecast_of
        if paths
    )


def tag_and_push(project: Project, draft: PullDraft, options: RequestOptions) -> PullDraft:
    """The draft with its tag made on the head (unless the tag exists: one tag per
    head) and pushed to the subsystem's tree; its summary becomes the tag's message."""
    git = PullGit(project.workspace.path, where=draft.check.subsystem)
    tag, summary = draft.known.tag, draft.summary
    if draft.known.tag_message is None:
        git.create_tag(tag, draft.check.head, summary, sign=options.sign)
        summary = git.tag_message(tag)
    failpoint("before-tag-push")
    if git.remote_tag(draft.url, tag) != draft.check.head:
        git.push_tag(draft.url, tag)
    return draft._replace(summary=summary, tag_at_url=git.remote_tag(draft.url, tag))


class _Known(NamedTuple):
    """What the repositories say about the pull's tag and URL, read at the start."""

    tag: str
    tag_message: str | None  # the summary of an existing tag (None: a tag to create)
    tag_at_url: str | None  # what the tag points at in the subsystem's tree (dry runs)
    display_url: str
    base_is_release: bool

    @classmethod
    def read(
        cls,
        git: PullGit,
        url: str,
        tags: dict[str, tuple[str, str]],
        *,
        base: str,
        head: str,
        prefix: str,
        options: RequestOptions,
    ) -> _Known:
        display_url = Background(lambda: git.display_url(url))
        tag, exists = choose_tag(
            tags, explicit=options.tag, head=head, prefix=prefix, date=options.date
        )
        message = git.tag_message(tag) if exists else None
        at_url = git.remote_tag(url, tag) if options.dry_run else None
        at_base = [name for name, (_, target) in tags.items() if target == base]
        release = any(not PULL_TAG.search(name) for name in at_base)
        return cls(tag, message, at_url, display_url.result(), release)


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


def assemble_pull(project: Project, draft: PullDraft, options: RequestOptions) -> PullRequest:
    """The pull request's text and findings from its draft."""
    check, pending, known, summary = draft.check, draft.pending, draft.known, draft.summary
    assert check.base is not None
    tag, blocks = known.tag, draft.blocks
    text = GitText(
        blocks.since,
        known.display_url,
        f"tags/{tag}",
        blocks.up_to,
        summary,
        blocks.shortlog,
        blocks.diffstat,
    )
    tag_at_url = draft.tag_at_url
    if options.dry_run and tag_at_url is None:
        tag_at_url = check.head  # the run that sends pushes the tag first
    by_sha = {c.sha: c for c in pending}
    merges = [by_sha[sha] for sha in check.backmerges if sha in by_sha]
    facts = PullFacts(
        tag=tag,
        url=draft.url,
        base=check.base,
        head=check.head,
        tag_at_url=tag_at_url,
        base_is_tag=known.base_is_release,
        summary=summary,
        check=check,
        backmerges=merges,
        pending=pending,
        now=options.now,
        allow_fresh=options.allow_fresh,
        strict=options.strict,
    )
    sub = project.config.subsystem(check.subsystem)
    foreign = [f.path for f in check.files if f.status == "foreign"]
    return PullRequest(
        subsystem=check.subsystem,
        title=sub.title if sub else check.subsystem,
        upstream=check.upstream,
        date=options.date,
        tag=tag,
        url=draft.url,
        base=check.base,
        head=check.head,
        summary=summary,
        git=text,
        check=check,
        conflicts=draft.conflicts,
        forecast_against=draft.against,
        messy_diffstat=draft.messy,
        authors=len(counts_by_author(pending)),
        findings=lint_pull(facts),
        backmerge_subjects=tuple((c.sha, c.subject) for c in merges),
        explanations=tuple(explanations(summary, foreign).items()),
    )


def _blocks(
    git: PullGit, bases: list[str], head: str, upstream_tip: str, diffstat: Background[str]
) -> tuple[GitBlocks, bool]:
    """git request-pull's blocks, and whether the diffstat had to use a temporary merge
    (several merge bases: the kernel's messy-diffstat rule) rather than `diffstat`'s."""
    messy = len(bases) > 1
    if messy:
        merged = merge_tree(git.repo, upstream_tip, head).tree
        diffstat = Background(lambda: git.diffstat(upstream_tip, merged))
    return git.blocks(bases[0], head, diffstat=diffstat.result, shortlog=messy), messy
