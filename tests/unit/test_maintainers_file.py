"""The MAINTAINERS parser: sections, titles, letters, and what it reports (no git)."""

from __future__ import annotations

import pytest

from treemerge.core.maintainers_file import parse_maintainers


def test_sections_titles_and_entries() -> None:
    text = (
        "Header prose\n\tF: not an entry\n\n"
        "FIRST\nM:\tA <a@x>\nF:\tsrc/\n\n"
        "SECOND\nS:\tOrphan\nF:\tdoc/\n"
    )
    ownership = parse_maintainers(text)
    assert [(s.name, s.line) for s in ownership.sections] == [("FIRST", 4), ("SECOND", 8)]
    first = ownership.sections[0]
    assert [(e.letter, e.value, e.line) for e in first.entries] == [
        ("M", "A <a@x>", 5),
        ("F", "src/", 6),
    ]
    assert ownership.sections[1].status == "Orphan"
    assert ownership.diagnostics == ()


def test_blank_lines_do_not_end_a_section() -> None:
    ownership = parse_maintainers("ONE\nF:\ta/\n\nF:\tb/\n")
    assert [e.value for e in ownership.sections[0].entries] == ["a/", "b/"]


def test_title_is_the_line_right_before_the_entries() -> None:
    ownership = parse_maintainers("Some prose\nREAL TITLE\nF:\ta/\n")
    assert [s.name for s in ownership.sections] == ["REAL TITLE"]


def test_lists_keep_only_the_address() -> None:
    section = parse_maintainers("S\nL:\tlist@x.org (moderated for non-subscribers)\n").sections[0]
    assert section.lists == ("list@x.org",)


def test_catch_all_needs_both_patterns() -> None:
    sections = parse_maintainers("A\nF:\t*\nF:\t*/\n\nB\nF:\t*\n").sections
    assert [s.is_catch_all for s in sections] == [True, False]


@pytest.mark.parametrize(
    ("text", "code", "severity", "line"),
    [
        ("S\nZ:\tzap\n", "unknown-letter", "warning", 2),
        ("S\nF:\n", "empty-pattern", "error", 2),
        ("S\nF:\tsrc/ \n", "trailing-space", "warning", 2),
        ("F:\tsrc/\n", "no-title", "error", 1),
    ],
)
def test_diagnostics(text: str, code: str, severity: str, line: int) -> None:
    diagnostics = parse_maintainers(text, "M").diagnostics
    assert [(d.code, d.severity, d.line, d.file) for d in diagnostics] == [
        (code, severity, line, "M")
    ]


def test_unknown_letters_are_kept() -> None:
    section = parse_maintainers("S\nZ:\tzap\nF:\ta/\n").sections[0]
    assert [e.letter for e in section.entries] == ["Z", "F"]


def test_bytes_that_are_not_utf8_become_a_warning() -> None:
    ownership = parse_maintainers(b"S\nM:\tJ\xf6rg <j@x>\nF:\ta/\n")
    assert ownership.sections[0].maintainers == ("J\ufffdrg <j@x>",)
    assert [(d.code, d.line) for d in ownership.diagnostics] == [("not-utf8", 2)]


def test_nul_bytes_are_an_error() -> None:
    ownership = parse_maintainers(b"S\nF:\ta/\n\x00\x01")
    assert ownership.sections == ()
    assert [(d.code, d.line) for d in ownership.errors] == [("binary", 3)]


def test_crlf_line_ends() -> None:
    section = parse_maintainers("S\r\nF:\tsrc/\r\n").sections[0]
    assert section.name == "S"
    assert section.values("F") == ("src/",)
