"""The ownership check of a subsystem's pending work (ownership.md, SPEC.md `check`).

Every path of the net change (both sides of a rename) is `owned` when the subsystem's
section matches it, `acked` when every commit that touched it carries an `Acked-by:`
from a maintainer of a section that owns it, and `foreign` otherwise.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Literal, NamedTuple

from treemerge.core.changes import CommitInfo, NetChange
from treemerge.core.matcher import OwnershipIndex
from treemerge.core.model import Section
from treemerge.core.people import emails
from treemerge.core.plain import as_dict
from treemerge.core.review import ReviewReport

Verdict = Literal["owned", "acked", "foreign"]


class FileVerdict(NamedTuple):
    path: str
    status: Verdict
    owners: tuple[str, ...]  # sections owning a path that is not ours, primary first
    commits: tuple[str, ...]  # the commits that touched it (listed for non-owned paths)
    acks: tuple[str, ...] = ()  # who acked it, for `acked`
    change: str = "M"

    def as_dict(self) -> dict[str, object]:
        return as_dict(self)


class CheckResult(NamedTuple):
    subsystem: str
    upstream: str
    base: str | None
    head: str
    commits: int
    files: tuple[FileVerdict, ...]
    ownership_files_changed: tuple[str, ...]
    backmerges: tuple[str, ...]
    oldest_pending: int | None = None  # commit time of the oldest pending commit
    review: ReviewReport | None = None  # when the subsystem has a review policy

    @property
    def findings(self) -> int:
        """What makes the check fail: foreign paths, and commits the review policy
        does not find reviewed enough."""
        return self.violations + (self.review.findings if self.review else 0)

    @property
    def violations(self) -> int:
        return sum(1 for f in self.files if f.status == "foreign")

    @property
    def ownership_file_changed(self) -> bool:
        return bool(self.ownership_files_changed)

    def as_dict(self) -> dict[str, object]:
        return {
            "subsystem": self.subsystem,
            "upstream": self.upstream,
            "base": self.base,
            "head": self.head,
            "commits": self.commits,
            "files": [f.as_dict() for f in self.files],
            "violations": self.violations,
            "ownership_file_changed": self.ownership_file_changed,
            "ownership_files": list(self.ownership_files_changed),
            "backmerges": list(self.backmerges),
        } | ({"review": self.review.as_dict()} if self.review else {})


NO_OWNER = "no owner"


def owner_list(owners: Sequence[str]) -> str:
    """Owners as human output shows them: comma-separated, or "no owner"."""
    return ", ".join(owners) or NO_OWNER


def paths_of(changes: Sequence[NetChange]) -> dict[str, str]:
    """Every path the net change touches, with its change letter (sorted by path); a
    path named again takes its last letter, so the net change followed by the pairing
    of its renames (`History.renames`) gives both sides of a rename R."""
    found: dict[str, str] = {}
    for change in changes:
        for path in change.paths():
            found[path] = change.status
    return dict(sorted(found.items()))


def pairable(changes: Sequence[NetChange]) -> bool:
    """Whether rename detection could pair anything: a path was added and one deleted.
    (The verdict never needs the pairing: both sides of a rename are judged anyway.)"""
    statuses = {change.status for change in changes}
    return "A" in statuses and "D" in statuses


def owners_of(index: OwnershipIndex, paths: Collection[str]) -> dict[str, tuple[Section, ...]]:
    """The sections owning each path, most specific first (paths with the same owners
    share one tuple)."""
    owning = index.owning_sections
    return {p: owning(p) for p in paths}


def not_owned(subsystem: str, owners: Mapping[str, Sequence[Section]]) -> list[str]:
    """The paths no section of `subsystem` owns (these need per-commit attribution)."""
    ours: dict[tuple[Section, ...], bool] = {}  # by owners, as in judge
    found = []
    for path, sections in owners.items():
        key = tuple(sections)
        known = ours.get(key)
        if known is None:
            known = ours[key] = _is_ours(subsystem, sections)
        if not known:
            found.append(path)
    return found


def judge(
    subsystem: str,
    owners_by_path: Mapping[str, Sequence[Section]],
    paths: Mapping[str, str],
    touched: Mapping[str, Sequence[CommitInfo]],
) -> tuple[FileVerdict, ...]:
    """The verdict for each path; `touched` gives the commits behind each non-owned path."""
    # What the owning sections decide, worked out once per sequence of them.
    decided: dict[tuple[Section, ...], tuple[bool, tuple[str, ...], frozenset[str]]] = {}
    acked: dict[str, frozenset[str]] = {}  # each commit's acks, read when first needed

    def acks(commit: CommitInfo) -> frozenset[str]:
        found = acked.get(commit.sha)
        if found is None:
            found = acked[commit.sha] = commit.acked_by()
        return found

    verdicts = []
    for path, change in paths.items():
        sections = tuple(owners_by_path[path])
        facts = decided.get(sections)
        if facts is None:
            facts = decided[sections] = _owner_facts(subsystem, sections)
        ours, names, maintainers = facts
        if ours:
            verdicts.append(FileVerdict(path, "owned", (), (), (), change))
            continue
        commits = touched.get(path, ())
        shas = tuple([c.sha for c in commits])
        # Stops at the first commit without a maintainer's ack: most paths have one.
        if commits and maintainers and all(acks(c) & maintainers for c in commits):
            who = tuple(sorted(frozenset().union(*[acks(c) & maintainers for c in commits])))
            verdicts.append(FileVerdict(path, "acked", names, shas, who, change))
        else:
            verdicts.append(FileVerdict(path, "foreign", names, shas, (), change))
    return tuple(verdicts)


def _owner_facts(
    subsystem: str, sections: Sequence[Section]
) -> tuple[bool, tuple[str, ...], frozenset[str]]:
    """Whether `sections` make a path ours; if not, the other owners' names and
    their maintainers' addresses (lower-cased)."""
    if _is_ours(subsystem, sections):
        return True, (), frozenset()
    owners = _foreign_owners(subsystem, sections)
    people = frozenset(e.lower() for s in owners for e in emails(s.maintainers))
    return False, tuple(s.name for s in owners), people


def _is_ours(subsystem: str, sections: Sequence[Section]) -> bool:
    return any(s.subsystem == subsystem for s in sections)


def _foreign_owners(subsystem: str, sections: Sequence[Section]) -> list[Section]:
    """Other sections owning the path, primary first; a catch-all only if alone."""
    others = [s for s in sections if s.subsystem != subsystem]
    specific = [s for s in others if not s.is_catch_all]
    return specific or others


def ownership_files_touched(
    paths: Collection[str], ownership_files: Collection[str]
) -> tuple[str, ...]:
    """The ownership files (MAINTAINERS, maintainers.cfg) the change edits."""
    return tuple(sorted(p for p in paths if p in ownership_files))


def backmerges(pending: Sequence[CommitInfo]) -> tuple[str, ...]:
    """Merges of the pending work that bring in upstream history. Every ancestor of the
    head is pending or the upstream's, so a merged parent that is not pending is the
    upstream's."""
    shas = {c.sha for c in pending}
    return tuple(c.sha for c in pending if c.is_merge and any(p not in shas for p in c.parents[1:]))
