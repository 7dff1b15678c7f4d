"""Escaping untrusted text for human output: the whole-text forms agree with escaping
line by line."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from treemerge.core.escape import escape_each, escape_keeping_lines, escape_text
from treemerge.core.pullreq import escape_lines

AWKWARD = "\x00\x07\x1b\r\n\t\x0b\x7f\x85\x9f\xa0\u202e\u2066\u2028\udce9\ud800 a/\u00e9"
text = st.text(alphabet=st.one_of(st.sampled_from(AWKWARD), st.characters()), max_size=40)


@given(text)
@example("plain ascii\nlines\n")
@example("tab\there\nesc\x1b[31m\n")
@example("\udcff\n\u202e\n")
def test_escaping_keeps_lines_as_escaping_each_line_does(raw: str) -> None:
    expected = "\n".join(escape_text(line) for line in raw.split("\n"))
    assert escape_keeping_lines(raw) == expected
    assert escape_lines(raw) == expected


@given(st.lists(text, max_size=6))
@example(["ascii only", "and more"])
@example(["a path\nwith a line feed", "fine"])
@example(["caf\u00e9", "\x7f"])
def test_escape_each_is_escape_text_of_every_line(lines: list[str]) -> None:
    assert escape_each(lines) == [escape_text(line) for line in lines]


def test_escape_text_shows_controls() -> None:
    assert escape_text("a\x1b[1m\r\n\udcff\u202e") == "a\\x1b[1m\\r\\n\\xff\\u202e"
