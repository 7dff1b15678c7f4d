"""`maintainers lint`: what is wrong with an ownership source, and how much it covers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from treemerge.core.matcher import OwnershipIndex
from treemerge.core.model import Diagnostic, Ownership
from treemerge.core.plain import as_dict

# Statuses whose sections are expected to have no M: line.
UNMAINTAINED_STATUSES = ("orphan", "obsolete")
# How many of the largest unowned directories a report lists.
UNOWNED_DIRS_SHOWN = 10


@dataclass(frozen=True)
class Coverage:
    paths: int
    owned: int
    unowned_dirs: tuple[tuple[str, int], ...]

    @property
    def unowned(self) -> int:
        return self.paths - self.owned

    @property
    def percent(self) -> float:
        return 100.0 * self.owned / self.paths if self.paths else 100.0

    def as_dict(self) -> dict[str, object]:
        return {
            "paths": self.paths,
            "owned": self.owned,
            "unowned": self.unowned,
            "percent": round(self.percent, 2),
            "unowned_dirs": [{"dir": d, "paths": n} for d, n in self.unowned_dirs],
        }


@dataclass(frozen=True)
class LintReport:
    errors: tuple[Diagnostic, ...]
    warnings: tuple[Diagnostic, ...]
    coverage: Coverage

    def as_dict(self) -> dict[str, object]:
        return as_dict(self)


def lint(
    ownership: Ownership,
    index: OwnershipIndex,
    paths: Sequence[str],
    *,
    extra: Sequence[Diagnostic] = (),
) -> LintReport:
    """Every finding about `ownership`, judged against the tree's `paths`, with `extra`
    findings about its configuration (review policies no tree can meet)."""
    found = list(ownership.diagnostics) + list(index.diagnostics) + list(extra)
    found += _section_findings(ownership)
    hit: set[int] = set()
    owned = 0
    unowned_dirs: Counter[str] = Counter()
    for path in paths:
        hits = index.matching_patterns(path)
        hit.update(p.ordinal for p in hits)
        if any(not m.section.is_catch_all for m in index.owners(path).matches):
            owned += 1
        else:
            unowned_dirs[_top_dir(path)] += 1
    for pattern in index.patterns:
        if pattern.ordinal not in hit:
            section = ownership.sections[pattern.section]
            found.append(
                Diagnostic(
                    "warning",
                    "unmatched-pattern",
                    pattern.file,
                    pattern.line,
                    f"{pattern.raw!r} ({section.name}) matches no path in the tree",
                    key=pattern.letter,
                )
            )
    found.sort(key=lambda d: (d.file, d.line or 0))
    coverage = Coverage(len(paths), owned, tuple(unowned_dirs.most_common(UNOWNED_DIRS_SHOWN)))
    return LintReport(
        tuple(d for d in found if d.severity == "error"),
        tuple(d for d in found if d.severity == "warning"),
        coverage,
    )


def _section_findings(ownership: Ownership) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    first_line: dict[str, int] = {}
    for section in ownership.sections:
        if section.name in first_line:
            found.append(
                Diagnostic(
                    "warning",
                    "duplicate-title",
                    section.file,
                    section.line,
                    f"section {section.name!r} also starts on line {first_line[section.name]}",
                )
            )
        else:
            first_line[section.name] = section.line
        status = section.status.lower()
        if not section.maintainers and not status.startswith(UNMAINTAINED_STATUSES):
            found.append(
                Diagnostic(
                    "warning",
                    "no-maintainer",
                    section.file,
                    section.line,
                    f"section {section.name!r} has no M: (maintainer) line",
                )
            )
    return found


def _top_dir(path: str) -> str:
    """The first two directory levels of a path ('' for a top-level file)."""
    parts = path.split("/")[:-1]
    return "/".join(parts[:2]) + "/" if parts else "/"
