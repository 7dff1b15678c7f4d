"""The `next` HTML report: its structure, and that nothing from a tree becomes markup."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from importlib.resources import files
from typing import Any

import pytest

from treemerge.core.escape import has_unsafe
from treemerge.report import render_next_html

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip
SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element] = field(default_factory=list)
    text: str = ""  # the text of the element and everything in it

    def iter(self) -> Iterator[Element]:
        yield self
        for child in self.children:
            yield from child.iter()

    def find(self, tag: str, css: str = "") -> list[Element]:
        """Every element below of this tag whose class attribute contains `css`."""
        return [e for e in self.iter() if e.tag == tag and css in e.attrs.get("class", "")]


class TreeBuilder(HTMLParser):
    """html.parser events built into a tree of Elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.open[-1].children.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.open) - 1, 0, -1):
            if self.open[depth].tag == tag:
                del self.open[depth:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.text += data


def parse(html: str) -> Element:
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def tree(name: str, **fields: Any) -> dict[str, Any]:
    return {"subsystem": name, "head": "c" * 40, "merged": True, "fallback": False,
            "used_head": None, "commits": 1, "conflicts": [], "test": None, **fields}  # fmt: skip


def document(*trees: dict[str, Any], cells: list[list[int]] | None = None) -> dict[str, Any]:
    names = [t["subsystem"] for t in trees]
    return {
        "upstream": "main", "base": "a" * 40, "result": "b" * 40,
        "generated": "2026-11-22T09:30:00Z", "trees": list(trees),
        "matrix": {"trees": names, "cells": cells or [[0] * len(names) for _ in names]},
        "changes": [],
    }  # fmt: skip


NOVA = document(
    tree("libvirt", commits=12),
    tree("vmware", merged=False, conflicts=[
        {"path": "nova/compute/manager.py", "owners": ["COMPUTE"], "with": ["libvirt"]},
        {"path": "nova/virt/driver.py", "owners": ["VIRT", "COMPUTE"], "with": ["libvirt"]},
    ], test={"status": "failed", "output": "line one\nline two"}),
    tree("ironic", fallback=True, used_head="d" * 40, test={"status": "passed", "output": ""}),
    cells=[[0, 2, 0], [2, 0, 1], [0, 1, 0]],
)  # fmt: skip


def matrix_rows(page: Element) -> list[Element]:
    (table,) = page.find("table", "matrix")
    (body,) = table.find("tbody")
    return body.find("tr")


def test_the_matrix_has_a_row_per_tree_with_a_class_and_count_per_cell() -> None:
    rows = matrix_rows(parse(render_next_html(NOVA)))

    assert [row.find("th")[0].text for row in rows] == ["libvirt", "vmware", "ironic"]
    grid = [[(td.attrs["class"], td.text) for td in row.find("td")] for row in rows]
    assert grid == [
        [("cell self", ""), ("cell conflict", "2"), ("cell clean", "")],
        [("cell conflict", "2"), ("cell self", ""), ("cell conflict", "1")],
        [("cell clean", ""), ("cell conflict", "1"), ("cell self", "")],
    ]


def test_matrix_columns_and_titles_name_both_trees() -> None:
    page = parse(render_next_html(NOVA))

    assert [th.text for th in page.find("th", "col")] == ["libvirt", "vmware", "ironic"]
    titles = [td.attrs["title"] for row in matrix_rows(page) for td in row.find("td")]
    assert titles[1] == "libvirt × vmware: 2 paths"
    assert titles[5] == "vmware × ironic: 1 path"
    assert titles[2] == "libvirt × ironic: 0 paths"


def test_the_header_gives_the_verdict_commits_and_changes() -> None:
    doc = {**NOVA, "changes": ["vmware gained a conflict with libvirt", "ironic merges again"]}
    page = parse(render_next_html(doc))

    (header,) = [e for e in page.find("header") if e.find("h1")]
    assert "main" in header.text
    assert "aaaaaaaaaaaa → result bbbbbbbbbbbb" in " ".join(header.text.split())
    assert "2026-11-22T09:30:00Z" in header.text
    assert page.find("p", "verdict")[0].text == "2 of 3 trees merged"
    items = [li.text for li in page.find("ul", "changes")[0].find("li")]
    assert items == ["vmware gained a conflict with libvirt", "ironic merges again"]


def listed(page: Element) -> dict[str, list[str]]:
    """The one-line list of every tree: each row's cells by the tree's name."""
    (table,) = page.find("table", "trees")
    (body,) = table.find("tbody")
    rows = [[cell.text for cell in row.children] for row in body.find("tr")]
    return {row[0]: row[1:] for row in rows}


def test_each_tree_says_how_it_merged_and_what_conflicts() -> None:
    page = parse(render_next_html(NOVA))
    cards = {card.find("h3")[0].text: card for card in page.find("article")}

    assert set(cards) == {"vmware", "ironic"}  # libvirt merged cleanly: one line is enough
    assert listed(page)["libvirt"] == ["merged", "cccccccccccc", "12", ""]
    vmware = cards["vmware"]
    assert vmware.find("span", "badge")[0].text == "left out"
    rows = [[td.text for td in tr.find("td")] for tr in vmware.find("table", "paths")[0].find("tr")]
    assert rows[1:] == [["nova/compute/manager.py", "COMPUTE", "libvirt"],
                        ["nova/virt/driver.py", "VIRT, COMPUTE", "libvirt"]]  # fmt: skip
    assert [b.text for b in vmware.find("span", "badge")] == ["left out", "failed"]
    assert vmware.find("pre")[0].text == "line one\nline two"
    assert "merged at its last good head" in cards["ironic"].text
    assert "dddddddddddd" in cards["ironic"].text
    assert not cards["ironic"].find("pre")  # no output, no empty box


def test_a_stale_tree_is_marked_with_why() -> None:
    why = "left out of next 10 runs in a row (stale-cycles = 10)"
    doc = document(tree("zvm", stale=True, stale_why=why), tree("libvirt", stale=False))
    page = parse(render_next_html(doc))
    (attention,) = page.find("ul", "attention")
    items = attention.find("li")
    assert [li.find("strong")[0].text for li in items] == ["zvm"]  # merged, but stale
    assert [b.text for b in items[0].find("span", "badge")] == ["merged", "stale"]
    assert f"stale: {why}" in items[0].text
    assert listed(page)["libvirt"][0] == "merged"


HOSTILE = document(
    tree(SCRIPT, merged=False, conflicts=[
        {"path": BREAKOUT, "owners": ["<b>OWNER</b>"], "with": ["</td></tr></table><iframe>"]},
    ], test={"status": "failed\"><script>x</script>", "output": "</pre><script>alert(2)</script>"}),
    tree("ok"),
    cells=[[0, 1], [1, 0]],
) | {"upstream": "<svg onload=alert(3)>", "changes": ["<a href=javascript:alert(4)>x</a>"],
     "generated": "'><img src=y>"}  # fmt: skip


def test_hostile_names_paths_and_output_stay_text() -> None:
    html = render_next_html(HOSTILE)
    page = parse(html)

    tags = {element.tag for element in page.iter()}
    assert not tags & {"script", "img", "iframe", "svg", "a", "b"}
    assert not any(name.startswith("on") for e in page.iter() for name in e.attrs)
    assert page.find("h3")[0].text == SCRIPT
    assert page.find("code")[0].text == BREAKOUT
    assert page.find("pre")[0].text == "</pre><script>alert(2)</script>"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    titles = [td.attrs["title"] for row in matrix_rows(page) for td in row.find("td")]
    assert titles[1] == f"{SCRIPT} × ok: 1 path"  # stayed inside its attribute


@pytest.mark.parametrize(
    ("raw", "shown"),
    [("\x1b[31m", "\\x1b[31m"), ("\x00", "\\x00"), ("\x7f", "\\x7f"), ("\x9b", "\\x9b"),
     ("\u202e", "\\u202e"), ("\udcff", "\\xff"), ("\r", "\\r"), ("\t", "\\t")],
)  # fmt: skip
def test_control_characters_are_shown_escaped(raw: str, shown: str) -> None:
    doc = document(
        tree(f"evil{raw}", conflicts=[{"path": f"p{raw}.py", "owners": [f"O{raw}"], "with": []}],
             test={"status": "failed", "output": f"out{raw}put\nnext"}),
    ) | {"changes": [f"c{raw}"]}  # fmt: skip
    html = render_next_html(doc)

    assert not has_unsafe(html.replace("\n", ""))
    text = parse(html).text
    for expected in (f"evil{shown}", f"p{shown}.py", f"O{shown}", f"c{shown}"):
        assert expected in text
    assert f"out{shown}put\nnext" in text  # line breaks of test output are kept


def test_a_document_with_no_trees_renders() -> None:
    empty = {"base": "a" * 40, "result": "a" * 40, "trees": [],
             "matrix": {"trees": [], "cells": []}}  # fmt: skip
    page = parse(render_next_html(empty))

    assert page.find("p", "verdict")[0].text == "no subsystem trees to merge"
    assert not page.find("table")
    assert "No changes since the last run." in page.text


def test_the_page_refers_to_nothing_outside_itself() -> None:
    html = render_next_html(NOVA)
    page = parse(html)

    for reference in ("http://", "https://", "url(", "@import"):
        assert reference not in html
    for tag in ("link", "script", "img", "iframe", "object"):
        assert not page.find(tag)
    for element in page.iter():
        for name in ("src", "href", "srcset", "action"):
            assert name not in element.attrs, element


def test_the_template_ships_with_the_package_and_marks_nothing_safe() -> None:
    template = files("treemerge.report").joinpath("templates/next.html.j2").read_text("utf-8")
    code = re.sub(r"\{#.*?#\}", "", template, flags=re.DOTALL).replace(" ", "")

    assert "|safe" not in code
    assert "autoescape false" not in template
