"""Ownership as a GitHub/Gitea CODEOWNERS file.

MAINTAINERS patterns (regexes, `*` crossing `/`, X: exclusions, depth order) do not
translate into gitignore globs one by one, so the export is computed from the tree:
every path gets its primary owner (the most specific section that has maintainers),
then the fewest rules that reproduce those owners under CODEOWNERS' last-match-wins
reading: `*` for the most common owner, then `/dir/` and `/file` rules, shallow
before deep, wherever the owner changes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from treemerge.core.matcher import OwnershipIndex
from treemerge.core.model import Section
from treemerge.core.people import emails

# Characters that CODEOWNERS (gitignore syntax) reads specially inside a path.
SPECIAL = re.compile(r"([\\ #*?\[\]!])")

Owners = tuple[str, ...]


def primary_owners(sections: Sequence[Section]) -> Owners:
    """The maintainers of the most specific section that has any."""
    for section in sections:
        found = emails(section.maintainers)
        if found:
            return found
    return ()


@dataclass
class _Dir:
    files: dict[str, Owners] = field(default_factory=dict)
    dirs: dict[str, _Dir] = field(default_factory=dict)
    counts: Counter[Owners] = field(default_factory=Counter)


def export_codeowners(index: OwnershipIndex, paths: Iterable[str], *, header: str = "") -> str:
    """A CODEOWNERS text giving every path of `paths` its primary owners."""
    root = _Dir()
    for path in paths:
        owners = primary_owners(index.owners(path).sections)
        node = root
        node.counts[owners] += 1
        *parents, name = path.split("/")
        for part in parents:
            node = node.dirs.setdefault(part, _Dir())
            node.counts[owners] += 1
        node.files[name] = owners
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    top = _choose(root.counts, ())
    lines.append(_rule("*", top))
    _emit(root, "/", top, lines)
    return "\n".join(lines) + "\n"


def _choose(counts: Counter[Owners], inherited: Owners) -> Owners:
    """The most common owners below a directory; the inherited ones win a tie."""
    best = max(counts.values())
    if counts.get(inherited) == best:
        return inherited
    return next(owners for owners, n in counts.most_common() if n == best)


def _emit(node: _Dir, prefix: str, inherited: Owners, lines: list[str]) -> None:
    for name in sorted(node.files):
        if node.files[name] != inherited:
            lines.append(_rule(_escape(prefix + name), node.files[name]))
    for name in sorted(node.dirs):
        child = node.dirs[name]
        owners = _choose(child.counts, inherited)
        path = prefix + name + "/"
        if owners != inherited:
            lines.append(_rule(_escape(path), owners))
        _emit(child, path, owners, lines)


def _rule(pattern: str, owners: Owners) -> str:
    return " ".join((pattern, *owners))


def _escape(path: str) -> str:
    return SPECIAL.sub(r"\\\1", path)
