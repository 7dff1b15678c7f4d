"""Text from untrusted trees made safe for a terminal, a mail header or markdown.

Commit text and file names come from trees treemerge does not control. Human output
shows control characters escaped (`\\x1b`, `\\r`), never raw; JSON carries them exactly.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls, bidi overrides and isolates (which can reorder what a
# reader sees), and lone surrogates (bytes of a name that were not UTF-8).
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# The same but for the line feed.
UNSAFE_IN_LINES = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in NAMED:
        return NAMED[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the original byte
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def has_unsafe(text: str) -> bool:
    """Whether `text` has anything `escape_text` would escape."""
    return not _nothing_to_escape(text) and UNSAFE.search(text) is not None


def escape_text(text: str) -> str:
    """`text` with every control character shown as an escape."""
    if _nothing_to_escape(text):
        return text
    return UNSAFE.sub(_escape_char, text)


def escape_keeping_lines(text: str) -> str:
    """`escape_text` of every line of `text`, its line feeds kept (in one pass)."""
    if _nothing_to_escape(text.replace("\n", " ")):
        return text
    return UNSAFE_IN_LINES.sub(_escape_char, text)


def escape_each(lines: list[str]) -> list[str]:
    """`escape_text` of every line; one test of them all when, as usual, no line has
    anything to escape."""
    if not has_unsafe("".join(lines)):
        return lines
    return [escape_text(line) for line in lines]


def _nothing_to_escape(text: str) -> bool:
    """A quick test for the usual text: in ASCII, the printable characters are exactly
    those UNSAFE leaves alone (False says nothing: ask UNSAFE)."""
    return text.isascii() and text.isprintable()
