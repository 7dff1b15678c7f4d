"""The ownership model shared by both file formats: sections made of lettered entries."""

from __future__ import annotations

from typing import Literal, NamedTuple

Severity = Literal["error", "warning"]

# The letters of the kernel's MAINTAINERS format (see ownership.md).
KNOWN_LETTERS = frozenset("MRLSWQBCPTFXNK")
PATTERN_LETTERS = frozenset("FXN")


class Diagnostic(NamedTuple):
    """One finding about a configuration or ownership file."""

    severity: Severity
    code: str
    file: str
    line: int | None
    message: str
    key: str = ""

    def location(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def as_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity,
            "code": self.code,
            "file": self.file,
            "line": self.line,
            "key": self.key,
            "message": self.message,
        }


class SectionEntry(NamedTuple):
    """One `X: value` line of a section (or its equivalent from maintainers.cfg)."""

    letter: str
    value: str
    line: int
    file: str | None = None  # when it differs from its section's (a cfg line added to MAINTAINERS)


class Section(NamedTuple):
    """A named area with its people and its path patterns, in file order."""

    name: str
    entries: tuple[SectionEntry, ...]
    file: str
    line: int
    # The maintainers.cfg subsystem id this section belongs to, when there is one.
    subsystem: str | None = None

    def values(self, letter: str) -> tuple[str, ...]:
        return tuple(e.value for e in self.entries if e.letter == letter)

    @property
    def maintainers(self) -> tuple[str, ...]:
        return self.values("M")

    @property
    def reviewers(self) -> tuple[str, ...]:
        return self.values("R")

    @property
    def lists(self) -> tuple[str, ...]:
        # "L: list@host (moderated for non-subscribers)": the address is the first word.
        return tuple(v.split()[0] for v in self.values("L") if v.split())

    @property
    def status(self) -> str:
        statuses = self.values("S")
        return statuses[0] if statuses else ""

    @property
    def is_catch_all(self) -> bool:
        """True for a section like the kernel's THE REST (patterns `*` and `*/`)."""
        files = set(self.values("F"))
        return "*" in files and "*/" in files


class Ownership(NamedTuple):
    """Every section of an ownership source, with what parsing found wrong."""

    sections: tuple[Section, ...]
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")
