"""A forge pull request's description: the pull's Markdown, cut to the forge's limit
when it has one (`cap_body`), then treemerge's marker, which must stay whole and last.

GitHub refuses longer bodies ("body is too long (maximum is 65536 characters)"); a
pull of thousands of files easily has one. The cut says where the whole text is.
"""

from __future__ import annotations

import re

from treemerge.core.pullreq import md_code
from treemerge.deliver import PullMessage

# Each forge's limit on a description, in characters (Gitea has none).
BODY_LIMITS = {"github": 65_536}
FENCE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")
OMITTED = "[… "  # how the line standing for the lines cut from a code block starts
OMISSION_ROOM = 40  # characters that line may take


def pull_body(kind: str, message: PullMessage, marker: str, *, kept_at: str | None) -> str:
    """The description for `message` on forge `kind`: its Markdown, capped to the
    forge's limit (the note naming `kept_at`, where the whole text is), `marker` last."""
    ending = f"\n\n{marker}\n"
    text = message.body_markdown.rstrip()
    limit = BODY_LIMITS.get(kind)
    if limit is not None:  # cut before the marker, which must stay whole
        text = cap_body(text, limit - len(ending), _cut_note(message, kept_at, limit))
    return text + ending


def _cut_note(message: PullMessage, kept_at: str | None, limit: int) -> str:
    kept = f"`{md_code(kept_at)}` where it was sent from" if kept_at else ""
    return (
        f"*This description is cut to the forge's limit of {limit:,} characters. "
        + (f"The whole pull request is in {kept}. " if kept else "")
        + f"Its summary is the message of tag `{md_code(message.tag)}` at "
        f"`{md_code(message.url)}`.*"
    )


def cap_body(text: str, room: int, note: str) -> str:
    """`text` when it has at most `room` characters; else cut to fit, `note` last.

    The middle of the longest fenced code blocks goes first (git's shortlog and
    diffstat, a long list of files), so the beginning (the summary) and the end
    (treemerge's report) stay; the end is cut only when that is not enough. Code
    fences and <details> are kept balanced: the rest renders as it did."""
    if len(text) <= room:
        return text
    tail = f"\n\n{note}"
    lines = text.split("\n")
    while (excess := len("\n".join(lines)) + len(tail) - room) > 0:
        inner = [(first + 1, end) for first, end, _ in _fences(lines) if end - first >= 2]
        inner = [(a, b) for a, b in inner if not (b - a == 1 and lines[a].startswith(OMITTED))]
        if not inner:
            break
        first, end = max(inner, key=lambda block: sum(map(len, lines[block[0] : block[1]])))
        lines = _cut_middle(lines, first, end, excess)
    kept = "\n".join(lines)
    if len(kept) + len(tail) > room:
        kept = _cut_end(kept[: room - len(tail)].split("\n")[:-1], room - len(tail))
    return kept + tail


def _fences(lines: list[str]) -> list[tuple[int, int, str]]:
    """CommonMark's fenced code blocks: (opening line, closing line or len(lines)
    when unclosed, the fence)."""
    blocks: list[tuple[int, int, str]] = []
    start, fence = -1, ""
    for index, line in enumerate(lines):
        match = FENCE.fullmatch(line)
        if not fence:
            if match:
                start, fence = index, match.group(1)
        elif match and not match.group(2).strip() and _closes(match.group(1), fence):
            blocks.append((start, index, fence))
            fence = ""
    if fence:
        blocks.append((start, len(lines), fence))
    return blocks


def _closes(candidate: str, fence: str) -> bool:
    return candidate[0] == fence[0] and len(candidate) >= len(fence)


def _cut_middle(lines: list[str], first: int, end: int, excess: int) -> list[str]:
    """`lines` without a run of the lines first..end-1 around their middle, long enough
    to remove `excess` characters (all of them if need be), an omission line instead."""
    middle = low = high = (first + end) // 2
    removed = 0
    while removed < excess + OMISSION_ROOM and (low > first or high < end):
        if high < end and (high - middle <= middle - low or low == first):
            removed += len(lines[high]) + 1
            high += 1
        else:
            low -= 1
            removed += len(lines[low]) + 1
    return [*lines[:low], f"{OMITTED}{high - low:,} lines cut here …]", *lines[high:]]


def _cut_end(lines: list[str], room: int) -> str:
    """The first whole lines of `lines` that fit in `room` with the fence and the
    </details> they leave open closed."""
    kept = list(lines)
    while kept:
        fences = _fences(kept)
        closing = [fences[-1][2]] if fences and fences[-1][1] == len(kept) else []
        outside = [line for i, line in enumerate(kept) if not _inside(i, fences)]
        opened = sum(line.count("<details") - line.count("</details") for line in outside)
        text = "\n".join([*kept, *closing, *["</details>"] * max(opened, 0)])
        if len(text) <= room:
            return text
        kept.pop()
    return ""


def _inside(index: int, fences: list[tuple[int, int, str]]) -> bool:
    return any(start < index < end for start, end, _ in fences)
