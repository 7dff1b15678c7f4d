"""The `next` report at linux-next's size, 400 trees, in headless Chromium.

The data is synthetic (treemerge.sandbox.linux_next): the report is pure rendering of a
`NextResult`, so its size and what a browser makes of it depend on the run's shape (400
trees, 30 conflicting pairs, trees left out, held back, never synced, failing tests),
not on real repositories. Chromium's load is checked by what it built (the whole page,
every section in place), never by how long it took.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.browser import chromium, dump_dom
from tests.unit.test_report_html import Element, parse
from treemerge.app.integration import NextResult
from treemerge.report import render_next_html
from treemerge.sandbox.linux_next import linux_next_result

pytestmark = pytest.mark.slow  # a report rendered in headless Chromium

__all__ = ["chromium"]  # the session fixture, used below by name

TREES = 400
LIMIT = 1_000_000  # bytes: the report must stay under a megabyte
SECTIONS = ["attention", "changes", "tests", "pairs", "matrix", "details", "trees"]


@pytest.fixture(scope="module")
def result() -> NextResult:
    return linux_next_result(TREES)


def report(result: NextResult, directory: Path) -> Path:
    page = directory / "next.html"
    page.write_text(render_next_html(result.as_dict()), encoding="utf-8")
    return page


def in_conflict(result: NextResult) -> list[str]:
    """The trees of the matrix that conflict with at least one other, in its order."""
    return [name for name, row in zip(result.matrix_trees, result.cells, strict=True) if any(row)]


def first_names(page: Element) -> list[str]:
    """The trees the first section names, in its order."""
    first = page.find("section")[0]
    assert first.attrs["id"] == "attention"
    return [item.find("strong")[0].text for item in first.find("li")]


def test_the_report_of_400_trees_stays_under_a_megabyte(result: NextResult, tmp_path: Path) -> None:
    page = report(result, tmp_path)

    assert page.stat().st_size < LIMIT
    # (The whole 400×400 grid alone took 11 MB; the size is not bought by leaving
    # trees out: every one of them is listed.)
    assert len(result.trees) == TREES
    assert len(in_conflict(result)) < TREES / 4


def test_the_first_section_lists_the_trees_that_need_attention(
    result: NextResult, tmp_path: Path
) -> None:
    page = parse(report(result, tmp_path).read_text(encoding="utf-8"))

    left_out = [tree.subsystem for tree in result.trees if not tree.merged]
    held_back = [tree.subsystem for tree in result.trees if tree.fallback]
    assert left_out
    assert held_back
    assert first_names(page) == left_out + held_back


def test_the_matrix_has_only_the_trees_in_conflict(result: NextResult, tmp_path: Path) -> None:
    page = parse(report(result, tmp_path).read_text(encoding="utf-8"))

    (matrix,) = page.find("table", "matrix")
    rows = matrix.find("tbody")[0].find("tr")
    conflicting = in_conflict(result)
    assert [row.find("th")[0].text for row in rows] == conflicting
    assert [th.text for th in matrix.find("th", "col")] == conflicting
    assert all(len(row.find("td")) == len(conflicting) for row in rows)
    for row in rows:
        assert [td for td in row.find("td") if td.attrs["class"] == "cell conflict"]


def test_chromium_loads_the_whole_report(
    chromium: Path, result: NextResult, tmp_path: Path
) -> None:
    page = report(result, tmp_path)

    loaded = parse(dump_dom(chromium, page, tmp_path))

    assert [section.attrs["id"] for section in loaded.find("section")] == SECTIONS
    assert first_names(loaded) == first_names(parse(page.read_text(encoding="utf-8")))
    (every,) = loaded.find("table", "trees")
    names = [row.find("th")[0].text for row in every.find("tbody")[0].find("tr")]
    assert names == [tree.subsystem for tree in result.trees]
    (matrix,) = loaded.find("table", "matrix")
    assert len(matrix.find("td", "cell")) == len(in_conflict(result)) ** 2
