"""A commit message's trailers, found by git's own rules (`git interpret-trailers --parse`
with no `trailer.*` configuration), so that treemerge and git agree on what a trailer is.

Those rules, from git's trailer.c: the message ends before a `---` divider line (unless
`divider` is off, as git has it for commit messages), before a scissors line, and
before trailing comment lines, blank lines and an old-style `Conflicts:` block. The
trailer block is the last paragraph of what remains, never the title paragraph, and
counts only when all its lines are trailers (`Token: value`, the token letters, digits
and `-`) or their continuation lines (starting with white space), or when it has a line
git writes itself (`Signed-off-by: `, `(cherry picked from commit `) and at least a
quarter of its lines are trailers. A quoted `> Acked-by: ...` is no trailer, and a
trailer in the subject or above the last paragraph is not in the block.
"""

from __future__ import annotations

import re
from typing import NamedTuple

COMMENT = "#"
SCISSORS = COMMENT + " ------------------------ >8 ------------------------\n"
GIT_GENERATED_PREFIXES = ("Signed-off-by: ", "(cherry picked from commit ")
# C's isspace() as git uses it: ASCII only (what strbuf_trim strips).
SPACE = " \t\n\v\f\r"


class Trailer(NamedTuple):
    token: str  # as written (git compares tokens without regard to case)
    value: str  # continuation lines unfolded into one line, as `--parse` prints it


def trailers(message: str, *, divider: bool = False) -> tuple[Trailer, ...]:
    """The trailers of `message`, in order, exactly as `git interpret-trailers --parse`
    gives them (with `--no-divider` unless `divider`)."""
    end = len(message)
    if divider:
        end = _divider(message)
    end = _end_of_message(message, end)
    text = message[:end]
    start = _trailer_block_start(text)
    return tuple(_parse_block(text[start:]))


def _lines_from(text: str, start: int) -> list[int]:
    """The offsets of the lines of `text` starting at or after `start`."""
    offsets = []
    at = start
    while at < len(text):
        offsets.append(at)
        newline = text.find("\n", at)
        at = len(text) if newline < 0 else newline + 1
    return offsets


def _divider(message: str) -> int:
    for at in _lines_from(message, 0):
        after = message[at + 3 : at + 4]
        if message.startswith("---", at) and after and after in SPACE:
            return at
    return len(message)


def _end_of_message(message: str, end: int) -> int:
    """`end` less trailing comments, blank lines and a `Conflicts:` block; a scissors
    line cuts everything after it (git's ignored_log_message_bytes)."""
    cutoff = end
    if message.startswith(SCISSORS):
        cutoff = 0
    else:
        found = message.find("\n" + SCISSORS)
        if found >= 0 and found + 1 < cutoff:
            cutoff = found + 1
    start_of_comments = 0  # 0 also means "none", as in git
    in_conflicts = False
    for at in _lines_from(message[:cutoff], 0):
        if message.startswith(COMMENT, at) or message[at] == "\n":
            start_of_comments = start_of_comments or at
        elif message.startswith("Conflicts:\n", at):
            in_conflicts = True
            start_of_comments = start_of_comments or at
        elif in_conflicts and message[at] == "\t":
            pass  # a path of the conflicts block
        elif start_of_comments:
            start_of_comments = 0
            in_conflicts = False
    return start_of_comments if start_of_comments else cutoff


def _is_blank(text: str, at: int) -> bool:
    newline = text.find("\n", at)
    line = text[at:] if newline < 0 else text[at:newline]
    return all(c in SPACE for c in line)


# git's find_separator: token characters (ASCII letters, digits, `-`), then white space
# (not at the start of the line), then the separator.
SEPARATOR = re.compile(r"[A-Za-z0-9-]*(?:(?<=[A-Za-z0-9-])[ \t]+)?:")


def _separator(line: str) -> int:
    """Where a trailer's `:` stands in `line` (>= 1), or -1 (git's find_separator)."""
    found = SEPARATOR.match(line)
    return found.end() - 1 if found else -1


def _trailer_block_start(text: str) -> int:
    """Where the trailer block of `text` starts, or len(text) when it has none (git's
    find_trailer_block_start, walking back from the last line)."""
    lines = _lines_from(text, 0)
    end_of_title = next(
        (at for at in lines if not text.startswith(COMMENT, at) and _is_blank(text, at)),
        len(text),
    )
    only_spaces = True
    recognized = False
    trailer_lines = non_trailer_lines = continuations = 0
    for at in reversed(lines):
        if at < end_of_title:
            break
        line = text[at:].split("\n", 1)[0]
        kind = _kind(line)
        if kind == "blank" and only_spaces:
            continue
        if kind == "blank":
            non_trailer_lines += continuations
            enough = recognized and trailer_lines * 3 >= non_trailer_lines
            if enough or (trailer_lines and not non_trailer_lines):
                return at + len(line) + 1
            return len(text)
        only_spaces = only_spaces and kind == "comment"
        if kind in ("git", "trailer"):
            trailer_lines += 1
            recognized = recognized or kind == "git"
            continuations = 0
        elif kind == "continuation":
            continuations += 1
        else:
            non_trailer_lines += continuations + (kind == "other")
            continuations = 0
    return len(text)


def _kind(line: str) -> str:
    """comment, blank, git (a trailer git writes itself), trailer, continuation or other."""
    if line.startswith(COMMENT):
        return "comment"
    if all(c in SPACE for c in line):
        return "blank"
    if line.startswith(GIT_GENERATED_PREFIXES):
        return "git"
    if line[0] in SPACE:
        return "continuation"
    return "trailer" if _separator(line) >= 1 else "other"


def _parse_block(block: str) -> list[Trailer]:
    """The block's trailers: continuation lines joined to the trailer above them."""
    entries: list[str] = []
    last_is_trailer = False
    starts = _lines_from(block, 0)
    for at, stop in zip(starts, [*starts[1:], len(block)], strict=False):
        line = block[at:stop]
        if last_is_trailer and line[0] in SPACE:
            entries[-1] += line
            continue
        entries.append(line)
        last_is_trailer = _separator(line) >= 1
    found = []
    for entry in entries:
        at = _separator(entry)
        if entry.startswith(COMMENT) or at < 1:
            continue
        found.append(Trailer(entry[:at].strip(SPACE), _unfold(entry[at + 1 :].strip(SPACE))))
    return found


def _unfold(value: str) -> str:
    """Each line break and the white space after it made one space (git's unfold_value)."""
    if "\n" not in value:
        return value.strip(SPACE)
    out = []
    i = 0
    while i < len(value):
        char = value[i]
        i += 1
        if char == "\n":
            while i < len(value) and value[i] in SPACE:
                i += 1
            out.append(" ")
        else:
            out.append(char)
    return "".join(out).strip(SPACE)
