"""The ownership check of a subsystem's pending work (ownership.md, SPEC.md `check`).

Every path of the net change (both sides of a rename) is `owned` when the subsystem's
section matches it, `acked` when every commit that touched it carries an `Acked-by:`
from a maintainer of a section that owns it, and `foreign` otherwise.
"""

# Records are NamedTuples: every start-up creates their classes and a check makes a
# verdict per path, and a NamedTuple costs a fraction of a frozen dataclass at both.

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Literal, NamedTuple

from treemerge.core.changes import Change, CommitInfo
from treemerge.core.matcher import OwnershipIndex
from treemerge.core.model import Section
from treemerge.core.people import emails

Verdict = Literal["owned", "acked", "foreign"]


class FileVerdict(NamedTuple):
    path: str
    status: Verdict
    owners: tuple[str, ...]  # sections owning a path that is not ours, primary first
    commits: tuple[str, ...]  # the commits that touched it (listed for non-owned paths)
    acks: tuple[str, ...] = ()  # who acked it, for `acked`
    change: str = "M"

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "status": self.status,
            "owners": list(self.owners),
            "commits": list(self.commits),
            "acks": list(self.acks),
            "change": self.change,
        }


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
        }


def paths_of(changes: Sequence[Change]) -> dict[str, str]:
    """Every path the net change touches, with its change letter (sorted by path)."""
    found: dict[str, str] = {}
    for change in changes:
        for path in change.paths():
            found[path] = change.status
    return dict(sorted(found.items()))


def owners_of(index: OwnershipIndex, paths: Collection[str]) -> dict[str, tuple[Section, ...]]:
    """The sections owning each path, most specific first."""
    return {p: index.owners(p).sections for p in paths}


def not_owned(subsystem: str, owners: Mapping[str, Sequence[Section]]) -> list[str]:
    """The paths no section of `subsystem` owns (these need per-commit attribution)."""
    return [p for p, sections in owners.items() if not _is_ours(subsystem, sections)]


def judge(
    subsystem: str,
    owners_by_path: Mapping[str, Sequence[Section]],
    paths: Mapping[str, str],
    touched: Mapping[str, Sequence[CommitInfo]],
) -> tuple[FileVerdict, ...]:
    """The verdict for each path; `touched` gives the commits behind each non-owned path."""
    unique = {c.sha: c for commits in touched.values() for c in commits}
    acked = {sha: c.acked_by() for sha, c in unique.items()}
    # Owners' names and addresses, worked out once per set of owning sections (the
    # sections live as long as the call: their ids are stable keys).
    foreign: dict[tuple[int, ...], tuple[tuple[str, ...], frozenset[str]]] = {}
    verdicts = []
    for path, change in paths.items():
        sections = owners_by_path[path]
        if _is_ours(subsystem, sections):
            verdicts.append(FileVerdict(path, "owned", (), (), change=change))
            continue
        key = tuple(id(s) for s in sections)
        if key not in foreign:
            owners = _foreign_owners(subsystem, sections)
            people = frozenset(e.lower() for s in owners for e in emails(s.maintainers))
            foreign[key] = (tuple(s.name for s in owners), people)
        names, maintainers = foreign[key]
        commits = touched.get(path, ())
        shas = tuple(c.sha for c in commits)
        acks = [acked[c.sha] & maintainers for c in commits]
        if commits and all(acks):
            who = tuple(sorted(set().union(*acks)))
            verdicts.append(FileVerdict(path, "acked", names, shas, who, change))
        else:
            verdicts.append(FileVerdict(path, "foreign", names, shas, change=change))
    return tuple(verdicts)


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


def backmerges(pending: Sequence[CommitInfo], in_upstream: Mapping[str, bool]) -> tuple[str, ...]:
    """Merges of the pending work that bring in upstream history (`in_upstream[parent]`)."""
    return tuple(
        c.sha
        for c in pending
        if c.is_merge and any(in_upstream.get(p, False) for p in c.parents[1:])
    )
