"""What the `next` report puts first, and what it leaves out, so that it reads with
hundreds of trees: the trees that need a person, then the conflicting pairs, the matrix
over only the trees in conflict, and every tree on one line."""

from __future__ import annotations

from typing import Any

from tests.unit.test_report_html import (
    SCRIPT,
    Element,
    document,
    listed,
    matrix_rows,
    parse,
    tree,
)
from treemerge.core.escape import has_unsafe
from treemerge.report import render_next_html

NOT_SYNCED = "never synced: run `treemerge sync`"


def run() -> dict[str, Any]:
    """Five trees: net and drivers conflict (drivers left out), usb is held back at its
    last good head for a failing test, sound was never synced, fs merged cleanly."""
    net = tree("net")
    drivers = tree("drivers", merged=False, conflicts=[
        {"path": "drivers/net/core.c", "owners": ["NETWORKING", "DRIVERS"], "with": ["net"]},
        {"path": "drivers/base.c", "owners": [], "with": ["net", "main"]},
    ])  # fmt: skip
    usb = tree("usb", fallback=True, used_head="d" * 40,
               test={"status": "failed", "output": "CC usb.o\nmake: *** Error 2\n"})  # fmt: skip
    sound = tree("sound", head="", merged=False, commits=0, problem=NOT_SYNCED)
    fs = tree("fs", test={"status": "passed", "output": "CC fs.o\nok"})
    doc = document(net, drivers, usb, fs, cells=[[0, 2, 0, 0], [2, 0, 0, 0], [0] * 4, [0] * 4])
    return doc | {
        "trees": [net, drivers, usb, sound, fs],
        "changes": ["drivers gained a conflict with net"],
    }


def sections(page: Element) -> list[str]:
    return [section.attrs["id"] for section in page.find("section")]


def test_the_page_leads_with_what_needs_a_person() -> None:
    page = parse(render_next_html(run()))

    assert sections(page) == [
        "attention", "changes", "tests", "pairs", "matrix", "details", "trees",
    ]  # fmt: skip
    (first,) = page.find("ul", "attention")
    lines = [" ".join(item.text.split()) for item in first.find("li")]
    assert lines == [
        "drivers left out conflicts with net, main in 2 paths",
        f"sound left out {NOT_SYNCED}",
        "usb merged at its last good head fails the test command",
    ]
    (failing,) = page.find("ul", "failing")
    assert [" ".join(li.text.split()) for li in failing.find("li")] == [
        "usb merged at its last good head make: *** Error 2"
    ]
    assert [li.text for li in page.find("ul", "changes")[0].find("li")] == [
        "drivers gained a conflict with net"
    ]


def test_conflicting_pairs_name_their_paths_and_owners() -> None:
    page = parse(render_next_html(run()))

    (table,) = page.find("table", "pairs")
    (body,) = table.find("tbody")
    rows = [[" ".join(cell.text.split()) for cell in row.children] for row in body.find("tr")]
    assert rows == [
        ["net × drivers", "2", "drivers/net/core.c (NETWORKING, DRIVERS)drivers/base.c (no owner)"]
    ]


def test_a_pair_whose_paths_the_run_did_not_meet_says_so() -> None:
    doc = document(tree("net"), tree("drivers"), cells=[[0, 3], [3, 0]])
    page = parse(render_next_html(doc))

    (table,) = page.find("table", "pairs")
    assert "not named" in table.text
    assert not table.find("code")


def test_the_matrix_covers_only_the_trees_in_conflict() -> None:
    page = parse(render_next_html(run()))

    rows = matrix_rows(page)
    assert [row.find("th")[0].text for row in rows] == ["net", "drivers"]
    assert [len(row.find("td")) for row in rows] == [2, 2]
    assert [th.text for th in page.find("th", "col")] == ["net", "drivers"]
    assert "The 2 trees in conflict with another, of 4 compared" in page.text


def test_without_conflicts_there_is_no_matrix() -> None:
    page = parse(render_next_html(document(tree("net"), tree("fs"))))

    assert not page.find("table", "matrix")
    assert not page.find("table", "pairs")
    assert "Every pair of the 2 trees merges cleanly." in page.text
    assert "Nothing: every tree merged at its head." in page.text


def test_only_trees_whose_head_was_not_merged_get_a_block() -> None:
    page = parse(render_next_html(run()))

    cards = {card.find("h3")[0].text: card for card in page.find("article")}
    assert set(cards) == {"drivers", "usb", "sound"}
    assert NOT_SYNCED in cards["sound"].text
    assert cards["usb"].find("pre")[0].text == "CC usb.o\nmake: *** Error 2\n"
    every = listed(page)
    assert list(every) == ["net", "drivers", "usb", "sound", "fs"]  # merge order
    assert every["fs"] == ["merged", "cccccccccccc", "1", "passed"]
    assert every["sound"] == ["left out", "", "0", ""]
    assert "CC fs.o" not in page.text  # a passing test's output is not news


def test_a_stale_mark_is_shown_when_the_document_has_one() -> None:
    doc = run()
    doc["trees"][0] |= {"stale": "no new work in 90 days"}
    doc["trees"][4] |= {"stale": True}
    page = parse(render_next_html(doc))

    marks = {row: cells for row, cells in listed(page).items() if "stale" in row}
    assert set(marks) == {"net stale", "fs stale"}
    (first,) = page.find("ul", "attention")
    lines = [" ".join(item.text.split()) for item in first.find("li")]
    assert lines[-2:] == ["net merged stale stale: no new work in 90 days", "fs merged stale"]
    badges = [b for b in page.find("span", "stale") if b.attrs.get("title")]
    assert {b.attrs["title"] for b in badges} == {"no new work in 90 days", "stale"}
    assert not parse(render_next_html(run())).find("span", "stale")  # no mark, no badge


def test_hostile_reasons_and_stale_marks_stay_text() -> None:
    doc = run()
    doc["trees"][3] |= {"problem": f"{SCRIPT}\x1b[31m"}
    doc["trees"][0] |= {"stale": f'"><b onmouseover=x>{SCRIPT}\u202e'}
    html = render_next_html(doc)
    page = parse(html)

    assert not {"script", "b"} & {element.tag for element in page.iter()}
    assert not any(name.startswith("on") for e in page.iter() for name in e.attrs)
    assert not has_unsafe(html.replace("\n", ""))
    assert f"{SCRIPT}\\x1b[31m" in page.text
    titles = {b.attrs["title"] for b in page.find("span", "stale")}
    assert titles == {f'"><b onmouseover=x>{SCRIPT}\\u202e'}
