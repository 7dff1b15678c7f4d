"""Owner lists in human output say "no owner" when there is none; next.html says
"used X instead" only when X is another head than the tree's."""

from __future__ import annotations

import pytest

from tests.unit.test_report_html import document, parse, tree
from treemerge.cli.check import render
from treemerge.core.check import CheckResult, FileVerdict, owner_list
from treemerge.report import render_next_html


@pytest.mark.parametrize(
    ("owners", "shown"),
    [((), "no owner"), (("NET",), "NET"), (("WIRELESS", "NET"), "WIRELESS, NET")],
)
def test_owner_list(owners: tuple[str, ...], shown: str) -> None:
    assert owner_list(owners) == shown


def test_check_shows_a_path_without_owner_as_no_owner(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = CheckResult(
        subsystem="net",
        upstream="main",
        base="a" * 40,
        head="b" * 40,
        commits=1,
        files=(
            FileVerdict("orphan.txt", "foreign", (), ("c" * 40,)),
            FileVerdict("drivers/x.c", "foreign", ("DRIVERS",), ("c" * 40,)),
        ),
        ownership_files_changed=(),
        backmerges=(),
    )
    render(result, quiet=False)
    out = capsys.readouterr().out
    assert "foreign orphan.txt  (no owner)  commits: cccccccccccc" in out
    assert "foreign drivers/x.c  (DRIVERS)" in out
    assert "()" not in out


def test_next_html_says_no_owner_for_a_conflict_nobody_owns() -> None:
    conflict = {"path": "orphan.txt", "owners": [], "with": ["net"]}
    page = parse(render_next_html(document(tree("drivers", merged=False, conflicts=[conflict]))))
    (table,) = page.find("table", "paths")
    assert "no owner" in table.text


def test_next_html_names_another_head_only_when_it_was_used() -> None:
    head = "c" * 40
    same = render_next_html(document(tree("net", used_head=head)))
    assert "instead" not in same
    other = render_next_html(document(tree("net", fallback=True, used_head="d" * 40)))
    assert "instead" in other
    (facts,) = [p for p in parse(other).find("p", "facts") if "instead" in p.text]
    assert "dddddddddddd" in facts.text
