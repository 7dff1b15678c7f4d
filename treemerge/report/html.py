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
    others: tuple[str, ...]  # the trees (or the upstream) it conflicts with

    @property
    def conflicts_with(self) -> str:
        return ", ".join(self.others)


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
    problem: str  # why it could not be merged at all ("" when it could)
    stale: str  # "" unless the document marks the tree stale: then why, or "stale"

    @property
    def test_failed(self) -> bool:
        return self.test_status == "failed"

    @property
    def test_last_line(self) -> str:
        """The last line the test command printed (often what went wrong)."""
        lines = [line for line in LINE_BREAK.split(self.test_output) if line.strip()]
        return lines[-1] if lines else ""

    @property
    def needs_look(self) -> bool:
        """Whether there is more to say than one line: its head was not merged."""
        return self.state != "merged" or bool(self.conflicts or self.problem) or self.test_failed


@dataclass(frozen=True)
class Attention:
    """A tree a person should look at, and why, in a few words."""

    tree: TreeView
    why: str


@dataclass(frozen=True)
class Pair:
    """Two trees whose work conflicts; the paths are those the run named (the paths
    where one tree's head met the other in the integration)."""

    first: str
    second: str
    count: int
    paths: tuple[Conflict, ...]


def render_next_html(document: Mapping[str, Any]) -> str:
    """The report of one `next` run as a complete HTML page.

    `document` is what `next --json` prints. The page leads with what needs a person
    (the trees left out or held back and why, what changed since the last run, failing
    tests), then the conflicting pairs with their paths, the matrix over only the trees
    that conflict, the trees that need a look, and every tree on one line: at
    linux-next's 400 trees it stays small enough to read. It needs nothing but itself:
    CSS is inline, there is no JavaScript and no reference to any URL. Every string
    taken from the document is shown as text: HTML-escaped, with control characters
    escaped. Optional keys (`upstream`, `generated`, `changes`, a tree's `test`,
    `problem` or `stale`, …) may be absent.
    """
    trees = [_tree_view(tree) for tree in document.get("trees") or ()]
    matrix = document.get("matrix") or {}
    names = [str(name) for name in matrix.get("trees") or ()]
    counts = _counts(len(names), matrix.get("cells") or ())
    shown = [i for i, row in enumerate(counts) if any(c for j, c in enumerate(row) if j != i)]
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
            attention=_attention(trees),
            changes=[str(change) for change in document.get("changes") or ()],
            failing=[tree for tree in trees if tree.test_failed],
            pairs=_pairs(names, counts, trees),
            names=[names[i] for i in shown],
            rows=_matrix_rows(names, counts, shown),
            compared=len(names),
            details=[tree for tree in trees if tree.needs_look],
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


def _counts(size: int, cells: Sequence[Sequence[Any]]) -> list[list[int]]:
    """The matrix's cells as a `size`×`size` grid of counts (missing ones are 0)."""
    grid = []
    for i in range(size):
        row = list(cells[i]) if i < len(cells) else []
        grid.append([int(row[j]) if j < len(row) else 0 for j in range(size)])
    return grid


def _matrix_rows(
    names: Sequence[str], counts: Sequence[Sequence[int]], shown: Sequence[int]
) -> list[Row]:
    """The grid over the trees `shown` (those in conflict with another): a tree that
    merges cleanly with every other would only add a row and a column of green."""
    return [
        Row(names[i], tuple(_cell(names[i], names[j], counts[i][j], same=i == j) for j in shown))
        for i in shown
    ]


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
        problem=str(tree.get("problem") or ""),
        stale=_stale(tree.get("stale_why") or tree.get("stale")),
    )


def _conflict(conflict: Mapping[str, Any]) -> Conflict:
    return Conflict(
        path=str(conflict.get("path", "")),
        owners=owner_list([str(owner) for owner in conflict.get("owners") or ()]),
        others=tuple(str(other) for other in conflict.get("with") or ()),
    )


def _stale(value: object) -> str:
    """A tree's `stale` mark: "" when absent or false, else its reason (or "stale")."""
    if not value:
        return ""
    return value if isinstance(value, str) else "stale"


ATTENTION_ORDER = {"left-out": 0, "fallback": 1, "merged": 2}


def _attention(trees: Sequence[TreeView]) -> list[Attention]:
    """The trees whose head is not in the integration (left out, never synced, or held
    back at a last good head), then those marked stale; in merge order within each."""
    wanted = [tree for tree in trees if tree.state != "merged" or tree.problem or tree.stale]
    wanted.sort(key=lambda tree: ATTENTION_ORDER.get(tree.state, 0))
    return [Attention(tree, _why(tree)) for tree in wanted]


def _why(tree: TreeView) -> str:
    said = [tree.problem] if tree.problem else []
    others = list(dict.fromkeys(other for c in tree.conflicts for other in c.others))
    if others:
        paths = len(tree.conflicts)
        noun = "path" if paths == 1 else "paths"
        said.append(f"conflicts with {', '.join(others)} in {paths} {noun}")
    if tree.test_failed:
        said.append("fails the test command")
    if tree.stale and tree.stale != "stale":
        said.append(f"stale: {tree.stale}")
    return "; ".join(said)


def _pairs(
    names: Sequence[str], counts: Sequence[Sequence[int]], trees: Sequence[TreeView]
) -> list[Pair]:
    """Every pair of trees in conflict, the most conflicting paths first, with the paths
    the run named for it."""
    named: dict[frozenset[str], dict[str, Conflict]] = {}
    for tree in trees:
        for conflict in tree.conflicts:
            for other in conflict.others:
                found = named.setdefault(frozenset((tree.name, other)), {})
                found.setdefault(conflict.path, conflict)
    pairs = [
        Pair(a, b, counts[i][j], tuple(named.get(frozenset((a, b)), {}).values()))
        for i, a in enumerate(names)
        for j, b in enumerate(names)
        if i < j and counts[i][j]
    ]
    return sorted(pairs, key=lambda pair: -pair.count)
