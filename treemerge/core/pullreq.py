"""The pull request: what `git request-pull` writes, plus treemerge's report (SPEC.md).

Pure rendering: the git blocks come in as git printed them; the text and markdown forms
escape control characters (commit text and file names come from untrusted trees), the
JSON form carries everything exactly.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from treemerge.core.check import CheckResult, owner_list
from treemerge.core.escape import escape_each, escape_keeping_lines, escape_text
from treemerge.core.plain import as_dict

RULE = "-" * 64
Severity = Literal["error", "warning"]


class Finding(NamedTuple):
    """One lint rule that fired: errors block sending, warnings go into the request."""

    rule: str
    severity: Severity
    message: str
    fix: str

    def as_dict(self) -> dict[str, object]:
        return as_dict(self)


class Conflict(NamedTuple):
    """Paths that conflict when this pull is merged with `against` (a tree id)."""

    against: str
    paths: tuple[tuple[str, tuple[str, ...]], ...]  # (path, its owners)

    def as_dict(self) -> dict[str, object]:
        return {
            "against": self.against,
            "paths": [{"path": p, "owners": list(o)} for p, o in self.paths],
        }


class GitText(NamedTuple):
    """The blocks of `git request-pull`, exactly as git printed them."""

    since: str
    url: str
    ref: str  # "tags/NAME"
    up_to: str
    tag_message: str
    shortlog: str
    diffstat: str

    def render(self) -> str:
        return (
            f"{self.since}  {self.url} {self.ref}\n{self.up_to}"
            f"{self.tag_message}\n{RULE}\n{self.shortlog}{self.diffstat}"
        )


class PullRequest(NamedTuple):
    subsystem: str
    title: str
    upstream: str
    date: str  # YYYY-MM-DD
    tag: str
    url: str
    base: str
    head: str
    summary: str
    git: GitText
    check: CheckResult
    conflicts: tuple[Conflict, ...] = ()
    forecast_against: tuple[str, ...] = ()
    messy_diffstat: bool = False
    authors: int = 0
    findings: tuple[Finding, ...] = ()
    backmerge_subjects: tuple[tuple[str, str], ...] = ()
    explanations: tuple[tuple[str, str], ...] = ()  # (path, summary line)

    @property
    def subject(self) -> str:
        return f"[GIT PULL] {self.title} for {self.upstream} {self.date}"

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    def render_text(self) -> str:
        """The plain-text request (an email body): git's blocks, then the report."""
        return escape_lines(self.git.render()) + "\n" + "\n".join(self._report_lines()) + "\n"

    def _report_lines(self) -> list[str]:
        lines = [RULE, "treemerge report", ""]
        if self.messy_diffstat:
            lines += [
                f"The history has several merge bases with {self.upstream}: the diffstat "
                "above is against a temporary merge with its tip.",
                "",
            ]
        lines += self._ownership_lines()
        lines += self._backmerge_lines()
        lines += self._conflict_lines()
        lines += self._review_lines()
        check = self.check
        lines += [
            "",
            f"Counts: {plural(check.commits, 'commit')}, {plural(self.authors, 'author')}, "
            f"{plural(len(check.files), 'path')} changed.",
        ]
        if self.findings:
            lines += ["", "Lint:"]
            lines += [f"  {f.severity}: {f.message} [{f.rule}]" for f in self.findings]
        return escape_each(lines)

    def _ownership_lines(self) -> list[str]:
        check = self.check
        owned = sum(1 for f in check.files if f.status == "owned")
        lines = [
            f"Ownership (judged by {self.upstream}'s ownership at its tip):",
            f"  {owned} of {len(check.files)} paths are {self.subsystem}'s own.",
        ]
        notes = dict(self.explanations)
        for entry in check.files:
            if entry.status == "owned":
                continue
            owners = owner_list(entry.owners)
            commits = ", ".join([c[:12] for c in entry.commits])
            if entry.status == "acked":
                lines.append(
                    f"  acked    {entry.path} ({owners}): acked by "
                    f"{', '.join(entry.acks)} in {commits}"
                )
            else:
                lines.append(f"  foreign  {entry.path} ({owners}) in {commits}")
                note = notes.get(entry.path)
                lines.append(
                    f"           explained: {note}"
                    if note
                    else "           not explained in the summary"
                )
        if check.ownership_files_changed:
            lines.append(
                f"  edits {', '.join(check.ownership_files_changed)}: reported, not honoured"
            )
        return lines

    def _backmerge_lines(self) -> list[str]:
        if not self.backmerge_subjects:
            return ["", "Back-merges: none."]
        return ["", "Back-merges:"] + [
            f"  {sha[:12]} {subject}" for sha, subject in self.backmerge_subjects
        ]

    def _conflict_lines(self) -> list[str]:
        against = ", ".join(self.forecast_against) or "nothing"
        lines = ["", f"Conflict forecast (against {against}):"]
        if not self.conflicts:
            return [*lines, "  merges cleanly."]
        for conflict in self.conflicts:
            lines.append(f"  with {conflict.against}:")
            lines += [f"    {path} ({owner_list(owners)})" for path, owners in conflict.paths]
        return lines

    def _review_lines(self) -> list[str]:
        """The review each commit had from the tree's cores (only with a policy)."""
        review = self.check.review
        if review is None:
            return []
        policy = f"{plural(review.policy, 'core review')} per commit" if review.policy else None
        lines = [
            "",
            f"Review (by {review.tree}'s cores; {policy or 'report only'}):",
            f"  {review.reviewed} of {plural(len(review.commits), 'commit')} reviewed.",
        ]
        lines += [
            f"  {reviewed} of {plural(total, 'commit')} from {tree}'s merged pulls reviewed "
            f"in {tree} (by its cores and policy)."
            for tree, (reviewed, total) in review.credited().items()
        ]
        lines += [f"  by {who}: {plural(n, 'commit')}" for who, n in review.reviewers().items()]
        for commit in review.unreviewed:
            lines.append(f"  unreviewed  {commit.commit[:12]} {commit.subject} ({commit.author})")
            where = f" (judged in {commit.tree})" if commit.tree != review.tree else ""
            lines.append(f"              {commit.why}{where}")
        return lines

    def render_markdown(self) -> str:
        """A forge pull-request description; git's text in a fenced block."""
        summary = escape_lines(self.summary).strip()
        git_text = escape_lines(self.git.render())
        report = "\n".join(self._report_lines())
        # The report carries tree text the git blocks do not (reviewers' trailers): no
        # run of backticks in either may close the fence.
        fence = "`" * max(3, _longest_backtick_run(git_text + "\n" + report) + 1)
        return "\n".join(
            [
                f"## {md(self.subject)}",
                "",
                md_block(summary),
                "",
                f"Pull `{md_code(self.url)}` tag `{md_code(self.tag)}` "
                f"(`{self.base[:12]}`..`{self.head[:12]}`).",
                "",
                "<details><summary>git request-pull</summary>",
                "",
                fence,
                git_text.rstrip("\n"),
                fence,
                "",
                "</details>",
                "",
                fence,
                report,
                fence,
                "",
            ]
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "subsystem": self.subsystem,
            "subject": self.subject,
            "upstream": self.upstream,
            "tag": self.tag,
            "url": self.url,
            "base": self.base,
            "head": self.head,
            "summary": self.summary,
            "request_pull": self.git.render(),
            "shortlog": self.git.shortlog,
            "diffstat": self.git.diffstat,
            "messy_diffstat": self.messy_diffstat,
            "check": self.check.as_dict(),
            "conflicts": [c.as_dict() for c in self.conflicts],
            "forecast_against": list(self.forecast_against),
            "backmerges": [{"commit": s, "subject": t} for s, t in self.backmerge_subjects],
            "counts": {
                "commits": self.check.commits,
                "authors": self.authors,
                "files": len(self.check.files),
            },
            "lint": [f.as_dict() for f in self.findings],
        } | ({"review": self.check.review.as_dict()} if self.check.review else {})


MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~&])")


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def escape_lines(text: str) -> str:
    """Control characters escaped on every line; the line structure kept."""
    return escape_keeping_lines(text)


def md(text: str) -> str:
    """Untrusted text for markdown prose: controls escaped, markdown syntax neutralised."""
    return MD_SPECIAL.sub(r"\\\1", escape_text(text))


def md_block(text: str) -> str:
    return "\n".join(md(line) for line in text.split("\n"))


def md_code(text: str) -> str:
    """Untrusted text inside an inline code span (backticks cannot end it early)."""
    return escape_text(text).replace("`", "'")


def _longest_backtick_run(text: str) -> int:
    return max((len(m) for m in re.findall(r"`+", text)), default=0)
