"""Caches in core/ are keyed by values (a pattern's ordinal, a tuple of sections), never
by `id()`: an id names an object only while it lives, so a cache keyed by one can answer
for another object made later at the same address."""

from __future__ import annotations

import ast
from pathlib import Path

from treemerge.core.maintainers_file import parse_maintainers
from treemerge.core.matcher import OwnershipIndex

CORE = Path(__file__).resolve().parents[2] / "treemerge" / "core"


def test_nothing_in_core_uses_id() -> None:
    found = [
        f"{path.name}:{node.lineno}"
        for path in sorted(CORE.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Name) and node.id == "id" and isinstance(node.ctx, ast.Load)
    ]
    assert found == [], f"id() in core (key caches by values): {', '.join(found)}"


def test_every_pattern_of_an_index_has_its_own_ordinal() -> None:
    text = "A\nF:\ta/\nX:\ta/b/\nN:\tfoo\n\nB\nF:\t(\nF:\tb/*.c\nF:\t*\n"
    index = OwnershipIndex(parse_maintainers(text))
    assert any(d.code == "bad-pattern" for d in index.diagnostics)
    assert [p.ordinal for p in index.patterns] == list(range(len(index.patterns)))
