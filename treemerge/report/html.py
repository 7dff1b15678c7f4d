"""The `next --html` report: one self-contained page (inline CSS, no scripts, no URLs).

Everything in the document came from trees treemerge does not control (tree names, paths,
section names, test output), so every value reaches the page through
`treemerge.core.escape.escape_text` (control characters shown as `\\x1b`) and then
Jinja2's autoescaping. The template never marks document data safe.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from treemerge.core.check import owner_list
from treemerge.core.escape import escape_text

TEMPLATE = "next.html.j2"
SHORT = 12  # characters of a commit id shown; the full id is in the title attribute
LINE_BREAK = re.compile(r"\r?\n")


@dataclass(frozen=True)
class Cell:
    """One square of the conflict matrix."""

    css: str  # "cell self" | "cell clean" | "cell conflict"
    count: int
    title: str


@dataclass(frozen=True)
class Row:
    tree: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Conflict:
    path: str
    owners: str
    conflicts_with: str


@dataclass(frozen=True)
class TreeView:
    """What the page says about one subsystem tree."""

    name: str
    state: str  # "merged" | "fallback" | "left-out"
    head: str
    used_head: str  # "" unless another head than `head` was merged
    commits: str
    conflicts: tuple[Conflict, ...]
    test_status: str | None
    test_output: str
    stale_why: str = ""  # why the tree is stale ("" when it is not)


def render_next_html(document: Mapping[str, Any]) -> str:
    """The report of one `next` run as a complete HTML page.

    `document` is what `next --json` prints. The page needs nothing but itself: CSS is
    inline, there is no JavaScript and no reference to any URL. Every string taken from
    the document is shown as text: HTML-escaped, with control characters escaped.
    Optional keys (`upstream`, `generated`, `changes`, a tree's `test`, …) may be absent.
    """
    trees = [_tree_view(tree) for tree in document.get("trees") or ()]
    matrix = document.get("matrix") or {}
    names = [str(name) for name in matrix.get("trees") or ()]
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(
            upstream=str(document.get("upstream") or "upstream"),
            base=str(document.get("base") or ""),
            result=str(document.get("result") or ""),
            generated=str(document.get("generated") or ""),
            verdict=_verdict(trees),
            all_merged=all(tree.state != "left-out" for tree in trees),
            changes=[str(change) for change in document.get("changes") or ()],
            names=names,
            rows=_matrix_rows(names, matrix.get("cells") or ()),
            trees=trees,
        )
    )


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("treemerge.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # A guard behind the template's explicit `|shown`: any plain string printed
        # without it is still shown with its control characters escaped.
        finalize=_finalize,
    )
    environment.filters["shown"] = _shown
    environment.filters["shown_lines"] = _shown_lines
    environment.filters["short"] = _short
    return environment


def _shown(value: object) -> str:
    """`value` as text with control characters escaped (autoescaping follows)."""
    return escape_text(str(value))


def _shown_lines(value: object) -> Markup:
    """Multi-line text for a <pre>: line breaks kept, every line escaped twice over."""
    lines = LINE_BREAK.split(str(value))
    return Markup("\n").join(escape(escape_text(line)) for line in lines)


def _short(value: object) -> str:
    return escape_text(str(value))[:SHORT]


def _finalize(value: object) -> object:
    if isinstance(value, str) and not isinstance(value, Markup):
        return escape_text(value)
    return value


def _verdict(trees: Sequence[TreeView]) -> str:
    if not trees:
        return "no subsystem trees to merge"
    merged = sum(tree.state != "left-out" for tree in trees)
    noun = "tree" if len(trees) == 1 else "trees"
    return f"{merged} of {len(trees)} {noun} merged"


def _matrix_rows(names: Sequence[str], cells: Sequence[Sequence[Any]]) -> list[Row]:
    rows = []
    for i, name in enumerate(names):
        counts = list(cells[i]) if i < len(cells) else []
        row = tuple(
            _cell(name, other, int(counts[j]) if j < len(counts) else 0, same=i == j)
            for j, other in enumerate(names)
        )
        rows.append(Row(name, row))
    return rows


def _cell(tree: str, other: str, count: int, *, same: bool) -> Cell:
    if same:
        return Cell("cell self", 0, f"{tree}: the same tree")
    noun = "path" if count == 1 else "paths"
    css = "cell conflict" if count else "cell clean"
    return Cell(css, count, f"{tree} × {other}: {count} {noun}")


def _tree_view(tree: Mapping[str, Any]) -> TreeView:
    if not tree.get("merged"):
        state = "left-out"
    else:
        state = "fallback" if tree.get("fallback") else "merged"
    test = tree.get("test") or {}
    commits = tree.get("commits")
    head = str(tree.get("head") or "")
    used_head = str(tree.get("used_head") or "")
    return TreeView(
        name=str(tree.get("subsystem", "")),
        state=state,
        head=head,
        used_head="" if used_head == head else used_head,
        commits="" if commits is None else str(commits),
        conflicts=tuple(_conflict(conflict) for conflict in tree.get("conflicts") or ()),
        test_status=str(test["status"]) if test.get("status") else None,
        test_output=str(test.get("output") or ""),
        stale_why=str(tree.get("stale_why") or "") if tree.get("stale") else "",
    )


def _conflict(conflict: Mapping[str, Any]) -> Conflict:
    return Conflict(
        path=str(conflict.get("path", "")),
        owners=owner_list([str(owner) for owner in conflict.get("owners") or ()]),
        conflicts_with=", ".join(str(other) for other in conflict.get("with") or ()),
    )
