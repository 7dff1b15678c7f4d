"""`git shortlog`'s default output, from the commits' author names and subjects.

The same text git prints (the authors sorted byte-wise, each with its count and its
subjects oldest first, a leading `[PATCH ...]` dropped), made from a log treemerge reads
anyway instead of a second walk of the same history.
"""

from __future__ import annotations

from collections.abc import Iterable

# What git's own ctype calls space (not \v or \f).
GIT_SPACE = " \t\n\r"


def shortlog(walked: Iterable[tuple[str, str]]) -> str:
    """`walked`: (author name after mailmap, subject as `%s` gives it) of each commit,
    in the order git walks them (newest first)."""
    by_author: dict[str, list[str]] = {}
    for name, subject in walked:
        by_author.setdefault(name, []).append(_oneline(subject))
    out: list[str] = []
    for name in sorted(by_author, key=lambda n: n.encode("utf-8", "surrogateescape")):
        subjects = by_author[name]
        out.append(f"{name} ({len(subjects)}):\n")
        out.extend(f"      {subject}\n" for subject in reversed(subjects))
        out.append("\n")
    return "".join(out)


def _oneline(subject: str) -> str:
    """What shortlog keeps of a subject (builtin/shortlog.c, insert_one_record)."""
    text = subject.lstrip(GIT_SPACE)
    if text.startswith("[PATCH"):
        end = text.find("]")
        if end >= 0:
            text = text[end + 1 :].lstrip(" \t\r")
    return text.rstrip(GIT_SPACE)
