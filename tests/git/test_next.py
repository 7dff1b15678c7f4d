"""`next` on real trees: the integration chain, the matrix, fallbacks and test runs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.git.project import Project
from tests.helpers import git, run_cli
from treemerge.sandbox.fixture import build_fixture

ROOT = Path(__file__).resolve().parents[2]


def merge_tree_conflicts(repo: Path, one: str, two: str) -> bool:
    done = subprocess.run(
        ["git", "merge-tree", "--write-tree", one, two], cwd=repo, capture_output=True, check=False
    )
    assert done.returncode in (0, 1)
    return done.returncode == 1


def test_seven_trees_with_two_that_conflict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = (ROOT / "maintainers.cfg").read_text(encoding="utf-8")
    fixture = build_fixture(tmp_path / "nova", config, commits=40, files=150, releases=2)
    assert run_cli(capsys, "-C", str(fixture.dest), "sync").code == 0
    result = run_cli(capsys, "-C", str(fixture.dest), "next", "--json", "--no-test")
    assert result.code == 1
    document: Any = json.loads(result.out)
    trees = {t["subsystem"]: t for t in document["trees"]}
    assert len(trees) == 7
    left_out = [t for t, row in trees.items() if not row["merged"]]
    assert left_out == ["conductor"]  # compute is merged first, in the configured order
    (conflict,) = trees["conductor"]["conflicts"]
    assert conflict["path"] == "nova/compute/rpcapi.py"
    assert conflict["with"] == ["compute"]
    assert conflict["owners"] == ["COMPUTE SERVICE AND VIRT LAYER"]
    # The matrix says what git merge-tree says, pair by pair.
    repo = fixture.dest / ".treemerge" / "repo.git"
    names = document["matrix"]["trees"]
    for i, one in enumerate(names):
        for j, two in enumerate(names):
            if i < j:
                expected = merge_tree_conflicts(repo, f"refs/trees/{one}", f"refs/trees/{two}")
                assert (document["matrix"]["cells"][i][j] > 0) == expected, (one, two)
    # The integration result holds every merged head, and not the one left out.
    for tree, row in trees.items():
        contained = (
            subprocess.run(
                ["git", "merge-base", "--is-ancestor", row["head"], document["result"]],
                cwd=repo,
                check=False,
            ).returncode
            == 0
        )
        assert contained == row["merged"], tree
    assert git(repo, "rev-parse", "refs/next/main").strip() == document["result"]


def test_the_chain_ends_on_the_tree_git_merging_tree_by_tree_ends_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = (ROOT / "maintainers.cfg").read_text(encoding="utf-8")
    fixture = build_fixture(tmp_path / "nova", config, commits=40, files=150, releases=2)
    assert run_cli(capsys, "-C", str(fixture.dest), "sync").code == 0
    document: Any = json.loads(
        run_cli(capsys, "-C", str(fixture.dest), "next", "--json", "--no-test").out
    )
    repo = fixture.dest / ".treemerge" / "repo.git"
    current = document["base"]
    for tree in document["trees"]:
        done = subprocess.run(
            ["git", "merge-tree", "--write-tree", current, tree["head"]],
            cwd=repo,
            capture_output=True,
            text=True,
            check=False,
        )
        assert (done.returncode == 0) == tree["merged"], tree["subsystem"]
        if done.returncode == 0:
            merged = done.stdout.split()[0]
            current = git(repo, "commit-tree", merged, "-p", current, "-p", tree["head"], "-m", "m")
            current = current.strip()
    assert git(repo, "rev-parse", f"{document['result']}^{{tree}}") == git(
        repo, "rev-parse", f"{current}^{{tree}}"
    )


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    return Project(tmp_path, capsys).with_trees("net", "drivers", "wireless")


def trees_of(project: Project, *args: str) -> dict[str, Any]:
    document = project.json("next", *args)
    return {t["subsystem"]: t for t in document["trees"]}


def test_fallback_to_the_last_good_head(project: Project) -> None:
    project.commit("net", {"net/core.c": "net work\n"}, "net: work")
    project.run("sync")
    first = trees_of(project)
    assert all(t["merged"] for t in first.values())
    good_drivers = first["drivers"]["head"]
    project.commit("net", {"README": "net's readme\n"}, "net: readme")
    project.commit("drivers", {"README": "drivers' readme\n"}, "drivers: readme")
    project.run("sync")
    second = trees_of(project)
    drivers = second["drivers"]
    assert (drivers["merged"], drivers["fallback"], drivers["used_head"]) == (
        True,
        True,
        good_drivers,
    )
    assert [(c["path"], c["with"]) for c in drivers["conflicts"]] == [("README", ["net"])]
    strict = trees_of(project, "--no-fallback")
    assert strict["drivers"]["merged"] is False
    changes = project.json("next", "--no-fallback")["changes"]
    assert changes == []  # the same as the run before: nothing new to say
    human = project.run("next")
    assert human.code == 0
    assert "fallback" in human.out


def test_failing_test_command_leaves_the_tree_out(project: Project) -> None:
    config = project.root / "maintainers.cfg"
    config.write_text(
        config.read_text() + "\n[integration]\ntest-command = test ! -e net/broken.c\n"
    )
    project.commit("net", {"net/core.c": "fine\n"}, "net: fine")
    project.run("sync")
    good = trees_of(project)["net"]
    assert (good["merged"], good["test"]["status"]) == (True, "passed")
    project.commit("net", {"net/broken.c": "oops\n"}, "net: break the build")
    project.run("sync")
    strict = trees_of(project, "--no-fallback")["net"]
    assert strict["merged"] is False
    assert strict["test"]["status"] == "failed"
    relaxed = trees_of(project)["net"]
    assert (relaxed["merged"], relaxed["fallback"], relaxed["used_head"]) == (
        True,
        True,
        good["head"],
    )
    assert relaxed["test"]["status"] == "failed"  # the head's run, reported


def test_changes_since_the_last_run_and_the_html_report(project: Project) -> None:
    project.run("sync")
    assert project.json("next")["changes"] == []
    project.commit("net", {"README": "net\n"}, "net: readme")
    project.commit("drivers", {"README": "drivers\n"}, "drivers: readme")
    project.run("sync")
    report = project.root / "next.html"
    document = project.json("next", "--no-fallback", "--html", str(report))
    assert document["changes"] == ["drivers gained a conflict with net", "drivers was left out"]
    html = report.read_text()
    assert "drivers gained a conflict with net" in html
    assert "<script" not in html


def test_a_report_file_that_cannot_be_written_is_said_before_any_work(project: Project) -> None:
    project.run("sync")
    nowhere = project.root / "no-such-dir" / "next.html"
    result = project.run("next", "--html", str(nowhere))
    assert result.code == 2
    assert f"cannot write {nowhere}: no directory {nowhere.parent}" in result.err
    assert "internal error" not in result.err
    refs = git(project.root / ".treemerge" / "repo.git", "for-each-ref", "refs/next/")
    assert refs == ""  # (nothing built)


def test_quiet_says_only_what_went_wrong(project: Project) -> None:
    project.commit("net", {"net/core.c": "net work\n"}, "net: work")
    project.run("sync")
    clean = project.run("next", "--quiet")
    assert (clean.code, clean.out, clean.err) == (0, "", "")
    project.commit("net", {"README": "net's readme\n"}, "net: readme")
    project.commit("drivers", {"README": "drivers' readme\n"}, "drivers: readme")
    project.run("sync")
    left_out = project.run("next", "--quiet", "--no-fallback")
    assert left_out.code == 1
    assert left_out.out.splitlines() == [
        "next: drivers LEFT OUT  README (THE REST) with net",
        "  net x drivers: 1 conflicting path(s)",
    ]
    fallback = project.run("next", "--quiet")
    assert fallback.code == 0
    assert fallback.out.splitlines()[0] == "next: drivers fallback  README (THE REST) with net"
