"""`review`: what the top maintainer wants to know before merging a pull request."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from treemerge.app.check import judge_range
from treemerge.app.project import Project
from treemerge.app.send import PULLS_DIR, records, records_kept
from treemerge.core.check import CheckResult
from treemerge.core.errors import UsageError
from treemerge.core.plain import as_dict
from treemerge.core.pullreq import escape_lines
from treemerge.gitio.merge import merge_tree
from treemerge.gitio.pullgit import PullGit
from treemerge.gitio.run import is_remote
from treemerge.gitio.workspace import PULLS

DAY = 86_400
# SUBSYS-for-UPSTREAM-YYYY-MM-DD[-N]: the date and serial order a subsystem's pull tags.
PULL_TAG = re.compile(r"^(?P<sub>.+?)-for-(?P<up>.+)-(?P<date>\d{4}-\d{2}-\d{2})(?:-(?P<n>\d+))?$")
# The line of git request-pull's text naming the commit the request is for (as a mail
# reader may quote it).
UP_TO_LINE = re.compile(
    r"^[>\s]*for you to fetch changes up to ([0-9a-f]{40}(?:[0-9a-f]{24})?):\s*$", re.M
)


@dataclass(frozen=True)
class PullTarget:
    subsystem: str
    upstream: str
    tag: str
    url: str
    commit: str  # what the tag points at
    ref: str  # the workspace ref holding the fetched tag
    tag_object: str  # the tag as fetched: read by id, whatever later fetches do to `ref`


class ReceivedRequest(NamedTuple):
    """A pull request as the reviewer received it."""

    text: str
    head: str  # the commit it asks to pull


@dataclass(frozen=True)
class ReviewWarning:
    kind: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return as_dict(self)


@dataclass(frozen=True)
class Review:
    target: PullTarget
    upstream_head: str
    check: CheckResult
    conflicts: tuple[tuple[str, tuple[str, ...]], ...]
    signature: tuple[str, str]  # (good | bad | unsigned, signer)
    warnings: tuple[ReviewWarning, ...]
    requested: str | None = None  # the commit the request named (None: no request known)

    @property
    def tag_moved(self) -> bool:
        """The tag no longer names the commit the request named: only a new request can
        be merged (no --force overrides this)."""
        return self.requested is not None and self.requested != self.target.commit

    @property
    def blocked(self) -> bool:
        bad = self.signature[0] == "bad"
        return bool(self.check.findings or self.conflicts or bad or self.tag_moved)

    def as_dict(self) -> dict[str, object]:
        document = self.check.as_dict()
        document.update(
            tag=self.target.tag,
            url=self.target.url,
            conflicts=[{"path": p, "owners": list(o)} for p, o in self.conflicts],
            signature={"status": self.signature[0], "signer": self.signature[1]},
            warnings=[w.as_dict() for w in self.warnings],
            requested_head=self.requested,
        )
        return document


def tag_order(name: str) -> tuple[str, int]:
    match = PULL_TAG.match(name)
    return (match.group("date"), int(match.group("n") or 1)) if match else ("", 0)


def resolve_target(project: Project, target: str, tag: str | None = None) -> PullTarget:
    """The pull a name stands for (a subsystem: its latest pull tag; a pull tag; or a URL
    with its tag), fetched into the workspace."""
    subsystem, url = _subsystem_and_url(project, target, tag)
    tree = project.subsystem_tree(subsystem)
    assert tree.upstream is not None
    if tag is None and PULL_TAG.match(target):
        tag = target
    if tag is None:
        names = [
            r.removeprefix("refs/tags/")
            for r in project.workspace.remote_refs(url, where=subsystem)
            if r.startswith(f"refs/tags/{subsystem}-for-")
        ]
        names = [n for n in names if not n.endswith("^{}")]
        if not names:
            raise UsageError(f"no pull request tag ({subsystem}-for-*) at {url}")
        tag = max(names, key=tag_order)
    ref = f"{PULLS}{subsystem}/{tag}"
    project.workspace.fetch_refs(url, [f"+refs/tags/{tag}:{ref}"], where=subsystem)
    # Read once, then by id: what is checked is what is merged, even when another run
    # fetches the tag again meanwhile.
    tag_object = project.workspace.git("rev-parse", "--verify", ref).decode().strip()
    commit = project.history().resolve(tag_object)
    assert commit is not None
    return PullTarget(subsystem, tree.upstream, tag, url, commit, ref, tag_object)


def _subsystem_and_url(project: Project, target: str, tag: str | None) -> tuple[str, str]:
    ids = {t.id: t for t in project.trees()}
    if target in ids and ids[target].upstream is not None:
        url = ids[target].url
        if url is None:
            raise UsageError(f"{target} has no `tree =` in maintainers.cfg")
        return target, url
    match = PULL_TAG.match(target)
    if match and match.group("sub") in ids:
        return _subsystem_and_url(project, match.group("sub"), tag)
    if is_remote(target) or Path(target).exists():
        for tree in ids.values():
            if tree.url and tree.url.rstrip("/") == target.rstrip("/"):
                return tree.id, target
        name = tag or ""
        sub = PULL_TAG.match(name)
        if sub and sub.group("sub") in ids:
            return sub.group("sub"), target
    raise UsageError(f"{target!r} names no subsystem, pull request tag or subsystem tree URL")


def upstream_head(project: Project, upstream: str) -> str:
    """The upstream as the top maintainer has it: the synced tip, plus merges made with
    `treemerge merge` and not pushed yet."""
    synced = project.synced(upstream)
    local = project.history().resolve(f"refs/merges/{upstream}")
    if local and local != synced and project.history().is_ancestor(synced, local):
        return local
    return synced


def received_request(name: str, text: str) -> ReceivedRequest:
    """The pull request a reviewer passes as received; a UsageError naming the file
    when it is empty or not a pull request (git request-pull's text names its commit)."""
    if not text.strip():
        raise UsageError(f"{name}: empty; --request takes the pull request as received")
    match = UP_TO_LINE.search(text)
    if match is None:
        raise UsageError(
            f"{name}: not a pull request (no 'for you to fetch changes up to COMMIT:' "
            "line, as git request-pull writes it)"
        )
    return ReceivedRequest(text, match.group(1))


def review_pull(
    project: Project, target: PullTarget, *, request: ReceivedRequest | None = None
) -> Review:
    """Signature, ownership and review check, trial merge into the upstream, request
    comparison.
    The request is the one received, else the pull's record and the request written."""
    head = upstream_head(project, target.upstream)
    git = PullGit(project.workspace.path, where=target.subsystem)
    check = judge_range(
        project, target.subsystem, target.upstream, head, target.commit, review=True
    )
    merged = merge_tree(project.workspace.path, head, target.commit, where=target.subsystem)
    index = project.ownership_at(head)
    conflicts = tuple(
        (p, tuple(s.name for s in index.owners(p).sections)) for p in merged.conflicts
    )
    signature = git.verify_tag(target.tag_object)
    text = request.text if request else _written_request(project, target)
    requested = request.head if request else _requested(project, target, text)
    warnings = _warnings(project, git, target, check, text)
    if requested is not None and requested != target.commit:
        warnings = (_moved(target, requested), *warnings)
    return Review(target, head, check, conflicts, signature, warnings, requested)


def _written_request(project: Project, target: PullTarget) -> str | None:
    saved = project.workspace.workspace / PULLS_DIR / f"{target.tag}.txt"
    return saved.read_text(encoding="utf-8", errors="replace") if saved.exists() else None


def _requested(project: Project, target: PullTarget, text: str | None) -> str | None:
    """The commit the pull's request named: its record's head, else its written text's."""
    if records_kept(project):
        with records(project) as store:
            record = store.by_tag(target.subsystem, target.tag)
        if record is not None:
            return record.head
    match = UP_TO_LINE.search(text) if text else None
    return match.group(1) if match else None


def _moved(target: PullTarget, requested: str) -> ReviewWarning:
    return ReviewWarning(
        "tag-moved",
        f"{target.tag} no longer names {requested[:12]}, the commit the request named "
        f"(it names {target.commit[:12]} now): re-pointed after the request was sent; "
        "a new pull request is needed",
    )


def _warnings(
    project: Project, git: PullGit, target: PullTarget, check: CheckResult, request: str | None
) -> tuple[ReviewWarning, ...]:
    found = []
    history = project.history()
    tagged = git.tag_time(target.ref)
    pending = history.pending(check.base, target.commit) if check.base else []
    late = [c for c in pending if tagged - c.time < DAY]
    if late:
        found.append(
            ReviewWarning(
                "recent-rebase",
                f"{len(late)} commit(s) committed within a day "
                "of the tag: rebased at the last minute?",
            )
        )
    for sha in check.backmerges:
        commit = history.commit(sha)
        if not commit.message.strip().partition("\n")[2].strip():
            found.append(
                ReviewWarning(
                    "unexplained-backmerge",
                    f"back-merge {sha[:12]} ({commit.subject}) does not say why",
                )
            )
    if check.ownership_files_changed:
        found.append(
            ReviewWarning(
                "ownership-file-edited",
                f"the pull edits {', '.join(check.ownership_files_changed)} (not honoured)",
            )
        )
    found += _request_warnings(git, target, check, request)
    return tuple(found)


def _request_warnings(
    git: PullGit, target: PullTarget, check: CheckResult, request: str | None
) -> list[ReviewWarning]:
    if request is None or check.base is None:
        return []
    real = git.diffstat(check.base, target.commit)
    if real in request or escape_lines(real) in request:
        return []
    return [
        ReviewWarning(
            "diffstat-mismatch",
            "the request's diffstat is not the one of "
            f"{check.base[:12]}..{target.commit[:12]}: the tree changed after the "
            "request was written",
        )
    ]
