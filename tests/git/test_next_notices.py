"""The notices `next` decides, on real repositories: a conflict between two trees (once,
again when it changes, "resolved" when it is gone), a conflict with the upstream, a
failing test command, and stale trees."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.git.project import Project
from treemerge.app.integration import NextResult, build_next
from treemerge.app.project import open_project
from treemerge.core.notice import Notice

NOT_STALE = "\n[integration]\nstale-after = 0\nstale-cycles = 0\n"


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    project = Project(tmp_path, capsys).with_trees("net", "drivers", "wireless")
    configure(project, NOT_STALE)
    return project


def configure(project: Project, text: str) -> None:
    config = project.root / "maintainers.cfg"
    config.write_text(config.read_text() + text)


def run_next(project: Project, *, fallback: bool = True) -> NextResult:
    assert project.run("sync").code == 0
    return build_next(open_project(None, project.root), fallback=fallback)


def of_kind(result: NextResult, kind: str, *, new: bool = False) -> list[Notice]:
    return [
        n for n in result.notices if n.kind == kind and (not new or n.key in result.new_notices)
    ]


def test_a_conflict_is_noticed_once_again_when_it_changes_and_resolved_when_gone(
    project: Project,
) -> None:
    project.commit("net", {"README": "net's readme\n"}, "net: readme")
    project.commit("drivers", {"README": "drivers' readme\n"}, "drivers: readme")
    first = run_next(project)
    [notice] = of_kind(first, "conflict", new=True)
    assert notice.subject == "treemerge next: conflict between the drivers tree and the net tree"
    assert notice.to == ("Dee River <dee@example.org>", "Net Chief <net@example.org>")
    assert "  README  (THE REST)" in notice.body
    assert "<<<<<<< " in notice.body
    assert "drivers' readme\n=======\nnet's readme\n>>>>>>> " in notice.body
    assert "What next did: drivers: left it out of the integration; net: merged it" in (notice.body)

    second = run_next(project)
    assert [n.key for n in of_kind(second, "conflict")] == [notice.key]
    assert second.new_notices == ()

    project.commit("drivers", {"README": "drivers' second readme\n"}, "drivers: again")
    third = run_next(project)
    [changed] = of_kind(third, "conflict", new=True)
    assert changed.key != notice.key
    assert changed.reply_to_key == notice.key  # in the same thread
    assert "drivers' second readme" in changed.body
    assert of_kind(third, "resolved") == []

    project.commit("drivers", {"README": "readme\n"}, "drivers: give the readme back")
    fourth = run_next(project)
    assert of_kind(fourth, "conflict") == []
    [resolved] = of_kind(fourth, "resolved", new=True)
    assert (resolved.key, resolved.reply_to_key) == ("resolved:" + changed.key, changed.key)
    assert set(resolved.to) == {"Dee River <dee@example.org>", "Net Chief <net@example.org>"}
    assert run_next(project).notices == ()  # said once


def test_a_conflict_with_the_upstream_names_the_upstream(project: Project) -> None:
    project.commit("main", {"drivers/block.c": "main's block\n"}, "main: block")
    project.commit("drivers", {"drivers/block.c": "drivers' block\n"}, "drivers: block")
    [notice] = of_kind(run_next(project), "conflict")
    assert notice.trees == ("drivers", "main")
    assert "  drivers/block.c  (DRIVERS, THE REST)" in notice.body
    assert "main: the integration so far (its tip " in notice.body
    assert "main's block\n=======\ndrivers' block" in notice.body
    assert "Dee River <dee@example.org>" in notice.to
    document = project.json("next")
    assert [(n["kind"], n["new"]) for n in document["notices"]] == [("conflict", False)]


def test_a_failing_test_command_is_noticed_once_per_head(project: Project) -> None:
    configure(project, "test-command = test ! -e net/broken.c || { echo broken; exit 3; }\n")
    project.commit("net", {"net/core.c": "fine\n"}, "net: fine")
    assert of_kind(run_next(project), "test-failure") == []
    head = project.commit("net", {"net/broken.c": "oops\n"}, "net: break the build")
    first = run_next(project)
    [notice] = of_kind(first, "test-failure", new=True)
    assert notice.to == ("Net Chief <net@example.org>",)
    assert notice.subject == "treemerge next: the net tree fails the test command"
    assert f"  {head[:12]}  net: break the build" in notice.body
    assert "exit status  3" in notice.body
    assert "\nbroken\n" in notice.body
    again = run_next(project)
    assert [n.key for n in of_kind(again, "test-failure")] == [notice.key]
    assert of_kind(again, "test-failure", new=True) == []


def test_a_tree_left_out_run_after_run_becomes_stale(project: Project) -> None:
    config = project.root / "maintainers.cfg"
    config.write_text(config.read_text().replace("stale-cycles = 0", "stale-cycles = 2"))
    project.commit("net", {"README": "net's readme\n"}, "net: readme")
    drivers = project.commit("drivers", {"README": "drivers' readme\n"}, "drivers: readme")
    assert of_kind(run_next(project, fallback=False), "stale") == []
    second = run_next(project, fallback=False)
    [notice] = of_kind(second, "stale", new=True)
    assert notice.trees == ("drivers",)
    assert "left out of next 2 runs in a row (stale-cycles = 2)" in notice.body
    assert notice.key == of_kind(run_next(project, fallback=False), "stale")[0].key
    rows = {row["tree"]: row for row in project.json("status")["trees"]}
    assert rows["drivers"]["head"] == drivers
    assert (rows["drivers"]["stale"], rows["net"]["stale"]) == (True, False)
    assert rows["drivers"]["stale_why"] == "left out of next 3 runs in a row (stale-cycles = 2)"
    assert "stale: left out of next 3 runs" in project.run("status").out
    report = project.root / "next.html"
    project.run("next", "--no-fallback", "--html", str(report))
    assert "stale: left out of next 4 runs in a row" in report.read_text()


def test_a_branch_still_for_stale_after_days_is_stale(project: Project) -> None:
    config = project.root / "maintainers.cfg"
    config.write_text(config.read_text().replace("stale-after = 0", "stale-after = 365"))
    # The tests' commits carry a fixed date years ago, but no run has seen the branches
    # still for that long: nothing is stale on what no run saw.
    assert of_kind(run_next(project), "stale") == []
    # Then as if that run had been 400 days ago, and net had moved since.
    state_file = project.root / ".treemerge" / "next.json"
    state = json.loads(state_file.read_text())
    year_ago = int(time.time()) - 400 * 86400
    state["moves"] = {tree: [head, year_ago] for tree, (head, _) in state["moves"].items()}
    state_file.write_text(json.dumps(state))
    project.commit("net", {"net/core.c": "today\n"}, "net: today")
    result = run_next(project)
    stale = {n.trees[0]: n for n in of_kind(result, "stale")}
    assert sorted(stale) == ["drivers", "wireless"]
    assert "not moved for 400 days (stale-after = 365)" in stale["drivers"].body
    trees = {t.subsystem: t for t in result.trees}
    assert (trees["net"].stale, trees["drivers"].stale) == (False, True)


def told(project: Project) -> list[str]:
    """The notices delivered so far (delivery `none`: one file each), by kind."""
    return sorted(p.name.split("-")[0] for p in (project.root / ".treemerge/notices").glob("*"))


def test_no_notify_tells_no_one_and_the_next_run_tells_as_if_it_had_not_run(
    project: Project,
) -> None:
    project.commit("net", {"README": "net's readme\n"}, "net: readme")
    project.commit("drivers", {"README": "drivers' readme\n"}, "drivers: readme")
    assert project.run("sync").code == 0
    looked = project.json("next", "--no-notify")
    assert [(n["kind"], n["new"]) for n in looked["notices"]] == [("conflict", True)]
    assert told(project) == []

    delivered = project.json("next")
    assert [(n["kind"], n["new"]) for n in delivered["notices"]] == [("conflict", True)]
    assert told(project) == ["conflict"]

    project.commit("drivers", {"README": "readme\n"}, "drivers: give the readme back")
    assert project.run("sync").code == 0
    assert project.run("next", "--no-notify").code == 0
    assert told(project) == ["conflict"]  # the conflict is gone: still no one told
    assert project.run("next").code == 0
    assert told(project) == ["conflict", "resolved"]  # told by the run that delivers


def test_runs_with_no_notify_are_not_counted_towards_stale(project: Project) -> None:
    config = project.root / "maintainers.cfg"
    config.write_text(config.read_text().replace("stale-cycles = 0", "stale-cycles = 2"))
    project.commit("net", {"README": "net's readme\n"}, "net: readme")
    project.commit("drivers", {"README": "drivers' readme\n"}, "drivers: readme")
    assert project.run("sync").code == 0
    for _ in range(3):
        assert project.run("next", "--no-fallback", "--no-notify").code == 1
    told = project.json("next", "--no-fallback")  # the first run that counts
    assert [n["kind"] for n in told["notices"]] == ["conflict"]  # not stale yet
    again = project.json("next", "--no-fallback")
    assert sorted(n["kind"] for n in again["notices"]) == ["conflict", "stale"]
