"""Parser for the kernel's MAINTAINERS format, with get_maintainer.pl's reading of it.

An entry line is `^[A-Z]:` at the very start of a line; any other non-blank line is a
title candidate, and the title of a section is the last such line before its first
entry. Blank lines are skipped entirely (they do not end a section), exactly as
get_maintainer.pl drops them before it looks for sections.
"""

from __future__ import annotations

import re

from treemerge.core.model import (
    KNOWN_LETTERS,
    PATTERN_LETTERS,
    Diagnostic,
    Ownership,
    Section,
    SectionEntry,
)

ENTRY_LINE = re.compile(r"([A-Z]):\s*(.*)", re.DOTALL)
BLANK_LINE = re.compile(r"\s*")


def decode(data: bytes, file: str) -> tuple[str, list[Diagnostic]]:
    """Text of an ownership file; bytes that are not UTF-8 become U+FFFD, with a warning."""
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        warning = Diagnostic(
            "warning",
            "not-utf8",
            file,
            line,
            "bytes that are not UTF-8; they are read as U+FFFD",
        )
        return data.decode("utf-8", errors="replace"), [warning]


def parse_maintainers(data: bytes | str, file: str = "MAINTAINERS") -> Ownership:
    """Parse a kernel-style MAINTAINERS file. Never raises: problems become diagnostics."""
    diagnostics: list[Diagnostic] = []
    if isinstance(data, bytes):
        if b"\0" in data:
            where = data.count(b"\n", 0, data.index(b"\0")) + 1
            diag = Diagnostic("error", "binary", file, where, "NUL byte: not a MAINTAINERS file")
            return Ownership((), (diag,))
        text, decode_warnings = decode(data, file)
        diagnostics.extend(decode_warnings)
    else:
        text = data

    sections: list[Section] = []
    title: tuple[str, int] | None = None  # last non-entry line seen, with its number
    entries: list[SectionEntry] = []
    section_title: tuple[str, int] | None = None

    def close() -> None:
        if section_title is not None and entries:
            name, where = section_title
            sections.append(Section(name, tuple(entries), file, where))

    for number, raw in enumerate(text.split("\n"), start=1):
        content = raw.removesuffix("\r")
        if BLANK_LINE.fullmatch(content):
            continue
        match = ENTRY_LINE.match(content)
        if match is None:
            title = (content, number)
            continue
        if title is None:
            diagnostics.append(
                Diagnostic("error", "no-title", file, number, "entry line before any section title")
            )
            continue
        if title != section_title:
            close()
            section_title, entries = title, []
        letter, value = match.group(1), match.group(2)
        entries.append(SectionEntry(letter, value.rstrip(), number))
        diagnostics.extend(_entry_diagnostics(file, number, letter, value))
    close()
    return Ownership(tuple(sections), tuple(diagnostics))


def _entry_diagnostics(file: str, number: int, letter: str, value: str) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    if letter not in KNOWN_LETTERS:
        found.append(
            Diagnostic(
                "warning",
                "unknown-letter",
                file,
                number,
                f"unknown entry letter {letter}: (kept, but it means nothing to treemerge)",
                key=letter,
            )
        )
    if letter in PATTERN_LETTERS:
        if not value.strip():
            found.append(
                Diagnostic("error", "empty-pattern", file, number, "empty pattern", key=letter)
            )
        elif value != value.rstrip():
            found.append(
                Diagnostic(
                    "warning",
                    "trailing-space",
                    file,
                    number,
                    "white space after the pattern (get_maintainer.pl would never match it)",
                    key=letter,
                )
            )
    return found
