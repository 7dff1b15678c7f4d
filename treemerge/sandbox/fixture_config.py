"""A maintainers.cfg rewritten for the fixture: the same people and paths, the fixture's trees.

The rewrite works on the text, so comments, people, paths, schedules and upstreams stay
exactly as they were; only where the trees are changes, and the subsystems without a
tree in the fixture are left out (with the comments that stand right above them).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from treemerge.core.config import KEY_LINE, SECTION_HEADER

MAIN_URL = "main.git"  # relative to the maintainers.cfg, like every path in it
TREE_BRANCH = "for-main"


def fixture_config(text: str, built: Collection[str]) -> str:
    """`text` with [main] url = main.git and, for each subsystem in `built`,
    tree = trees/<id>.git and branch = for-main; other subsystems are dropped, from
    [integration] order too.
    """
    out: list[str] = []
    for kind, name, lines in _blocks(text.split("\n")):
        if kind == "subsystem" and name not in built:
            continue
        out.extend(_rewrite(kind, name, lines, built))
    return "\n".join(out)


def _rewrite(kind: str, name: str | None, lines: list[str], built: Collection[str]) -> list[str]:
    if kind == "main":
        return _set(lines, {"url": MAIN_URL})
    if kind == "subsystem":
        return _set(lines, {"tree": f"trees/{name}.git", "branch": TREE_BRANCH})
    if kind == "integration":
        return _set(lines, {"order": " ".join(_order(lines, built))}, keep_missing=True)
    return lines


def _blocks(lines: list[str]) -> list[tuple[str, str | None, list[str]]]:
    """(kind, id, lines) per section; the comments right above a header belong to it."""
    blocks: list[tuple[str, str | None, list[str]]] = [("", None, [])]
    for line in lines:
        header = SECTION_HEADER.fullmatch(line)
        if header is None:
            blocks[-1][2].append(line)
            continue
        previous = blocks[-1][2]
        start = len(previous)
        while start > 0 and _is_comment(previous[start - 1]):
            start -= 1
        above = previous[start:]
        del previous[start:]
        blocks.append((header.group(1).lower(), header.group(2), [*above, line]))
    return blocks


def _set(lines: list[str], values: Mapping[str, str], *, keep_missing: bool = False) -> list[str]:
    """`lines` with each key of `values` set (its continuation lines dropped).

    A key the section lacks is added below the header, unless `keep_missing`.
    """
    out: list[str] = []
    skipping = False
    for line in lines:
        if skipping and _is_comment(line):
            out.append(line)  # comments may stand between a key and its continuations
            continue
        if skipping and line[:1].isspace() and line.strip():
            continue  # a continuation of the value being replaced
        skipping = False
        match = KEY_LINE.fullmatch(line)
        if match and match.group(1).lower() in values:
            key = match.group(1).lower()
            out.append(f"{key} = {values[key]}".rstrip())
            skipping = True
        else:
            out.append(line)
    if not keep_missing:
        present = {m.group(1).lower() for m in map(KEY_LINE.fullmatch, lines) if m}
        at = next(i for i, line in enumerate(out) if SECTION_HEADER.fullmatch(line)) + 1
        out[at:at] = [f"{k} = {v}" for k, v in values.items() if k not in present]
    return out


def _order(lines: list[str], built: Collection[str]) -> list[str]:
    """The ids of `[integration] order` that are in `built`, in their order."""
    words: list[str] = []
    collecting = False
    for line in lines:
        match = KEY_LINE.fullmatch(line)
        if _is_comment(line):
            continue
        if match:
            collecting = match.group(1).lower() == "order"
            words += match.group(2).split() if collecting else []
        elif collecting and line[:1].isspace() and line.strip():
            words += line.split()
        else:
            collecting = False
    return [w for w in words if w in built]


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith(("#", ";"))
