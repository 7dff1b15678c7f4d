"""Lint of a pull request before it is sent, after the rules kernel maintainers live by.

Errors (the request is broken) block sending; warnings are written into the request so
the top maintainer sees them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from treemerge.core.changes import CommitInfo
from treemerge.core.check import CheckResult
from treemerge.core.pullreq import Finding

DAY = 86_400
BASE_REASON_PREFIX = "base:"
# What may follow a directory named in prose ("touches drivers/, as agreed").
DIRECTORY_END = frozenset(" \t,.:;)]")


class PullFacts(NamedTuple):
    """What the rules look at."""

    tag: str
    url: str
    base: str
    head: str
    tag_at_url: str | None  # the commit the tag names at the URL, None when absent there
    base_is_tag: bool  # an upstream tag names the base
    summary: str
    check: CheckResult
    backmerges: Sequence[CommitInfo]
    pending: Sequence[CommitInfo]
    now: int
    allow_fresh: bool = False
    strict: bool = False  # every warning is an error: the pull is not sent


def explanations(summary: str, paths: Sequence[str]) -> dict[str, str]:
    """For each path the summary talks about, the first line that names it (or its
    directory, written with a trailing '/')."""
    lines = [line.strip() for line in summary.splitlines() if line.strip()]
    # A line that names a path or a directory has it in `text` too, so one search
    # rules most paths out; and a directory is looked for once, however many paths
    # it holds.
    text = "\n".join(lines)
    by_directory: dict[str, int | None] = {}  # the first line naming each directory
    found: dict[str, str] = {}
    for path in paths:
        first = None
        if path in text:
            first = next((i for i, line in enumerate(lines) if path in line), None)
        if "/" in path:
            directory = path.rsplit("/", 1)[0] + "/"
            if directory not in by_directory:
                by_directory[directory] = _first_naming(lines, text, directory)
            named = by_directory[directory]
            if named is not None and (first is None or named < first):
                first = named
        if first is not None:
            found[path] = lines[first]
    return found


def _first_naming(lines: list[str], text: str, directory: str) -> int | None:
    """Which of `lines` (joined: `text`) first names `directory` itself, if any does."""
    if directory not in text:
        return None
    return next((i for i, line in enumerate(lines) if _names_directory(line, directory)), None)


def _names_directory(line: str, directory: str) -> bool:
    """`line` names `directory` (ending in '/') itself, not a longer path inside it."""
    start = line.find(directory)
    while start >= 0:
        end = start + len(directory)
        if end == len(line) or line[end] in DIRECTORY_END:
            return True
        start = line.find(directory, start + 1)
    return False


def lint_pull(facts: PullFacts) -> tuple[Finding, ...]:
    """Every rule that fires, errors first; with `strict`, the warnings are errors too."""
    warnings = _warnings(facts)
    if facts.strict:
        warnings = [f._replace(severity="error") for f in warnings]
    found = _broken(facts) + warnings
    return tuple(sorted(found, key=lambda f: f.severity != "error"))


def _broken(facts: PullFacts) -> list[Finding]:
    found = []
    if facts.base == facts.head or not facts.pending:
        found.append(
            Finding(
                "empty",
                "error",
                "base and head are the same commit: nothing to pull",
                "commit the work first",
            )
        )
    if facts.tag_at_url is None:
        found.append(
            Finding(
                "no-tag-at-url",
                "error",
                f"tag {facts.tag} is not at {facts.url}",
                f"push it: git push {facts.url} tags/{facts.tag}",
            )
        )
    elif facts.tag_at_url != facts.head:
        found.append(
            Finding(
                "tag-not-at-head",
                "error",
                f"tag {facts.tag} at {facts.url} points at "
                f"{facts.tag_at_url[:12]}, not at the head {facts.head[:12]}",
                "tag the head again under a new name",
            )
        )
    return found


def _warnings(facts: PullFacts) -> list[Finding]:
    found = []
    has_reason = any(
        line.strip().lower().startswith(BASE_REASON_PREFIX) for line in facts.summary.splitlines()
    )
    if not facts.base_is_tag and not has_reason:
        found.append(
            Finding(
                "base-not-tag",
                "warning",
                f"the base {facts.base[:12]} is not a tag of the upstream",
                "base the work on a release tag, or say why in a line 'Base: ...' of the summary",
            )
        )
    for merge in facts.backmerges:
        if not merge.message.strip().partition("\n")[2].strip():
            found.append(
                Finding(
                    "unexplained-backmerge",
                    "warning",
                    f"back-merge {merge.sha[:12]} ({merge.subject}) does not say why",
                    "explain the back-merge in its commit message",
                )
            )
    fresh = [c for c in facts.pending if facts.now - c.time < DAY]
    if fresh and not facts.allow_fresh:
        found.append(
            Finding(
                "fresh-commits",
                "warning",
                f"{len(fresh)} commit(s) committed in the last day "
                f"(newest {fresh[-1].sha[:12]}): a last-minute rebase?",
                "let the work sit in the tree for a while, or --allow-fresh",
            )
        )
    found += _ownership_warnings(facts)
    found += _review_warnings(facts)
    return found


def _review_warnings(facts: PullFacts) -> list[Finding]:
    """Commits short of the tree's review policy (`review = N`, N > 0)."""
    review = facts.check.review
    if review is None or not review.findings:
        return []
    shas = [c.commit[:12] for c in review.unreviewed if c.required > 0]
    listed = ", ".join(shas[:5]) + (" ..." if len(shas) > 5 else "")
    children = sorted({c.tree for c in review.unreviewed if c.required and c.tree != review.tree})
    whose = f" (or of {', '.join(children)}, for what it pulled)" if children else ""
    return [
        Finding(
            "unreviewed",
            "warning",
            f"{review.findings} commit(s) lack the review of {review.policy} core(s) "
            f"of {review.tree}{whose} other than their author: {listed}",
            f"get a Reviewed-by from {review.tree}'s cores (maintainers.cfg `cores =`) "
            "into each of them",
        )
    ]


def _ownership_warnings(facts: PullFacts) -> list[Finding]:
    found = []
    foreign = [f.path for f in facts.check.files if f.status == "foreign"]
    explained = explanations(facts.summary, foreign)
    missing = [p for p in foreign if p not in explained]
    if missing:
        listed = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        found.append(
            Finding(
                "unexplained-foreign",
                "warning",
                f"{len(missing)} foreign path(s) not explained: {listed}",
                "say in the summary why each one changes (name the path), "
                "or get an Acked-by from its maintainer",
            )
        )
    if facts.check.ownership_files_changed:
        found.append(
            Finding(
                "ownership-file-edited",
                "warning",
                f"the pull edits {', '.join(facts.check.ownership_files_changed)}",
                "send ownership changes to the top maintainer separately",
            )
        )
    return found


def counts_by_author(pending: Sequence[CommitInfo]) -> Mapping[str, int]:
    counts: dict[str, int] = {}
    for commit in pending:
        if not commit.is_merge:
            counts[commit.author] = counts.get(commit.author, 0) + 1
    return counts
