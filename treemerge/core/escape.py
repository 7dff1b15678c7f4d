"""Text from untrusted trees made safe for a terminal, a mail header or markdown.

Commit text and file names come from trees treemerge does not control. Human output
shows control characters escaped (`\\x1b`, `\\r`), never raw; JSON carries them exactly.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls, bidi overrides and isolates (which can reorder what a
# reader sees), and lone surrogates (bytes of a name that were not UTF-8).
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
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


def escape_text(text: str) -> str:
    """`text` with every control character shown as an escape."""
    return UNSAFE.sub(_escape_char, text)
