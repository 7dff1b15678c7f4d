"""`next` with trees it cannot merge at all: a history of its own, or never synced.

One such tree is left out and reported, with the reason; every other tree is still
merged, and the exit code is 1 (a tree left out), never 3.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.git.project import Project
from tests.helpers import git


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    return Project(tmp_path, capsys).with_trees("net", "drivers", "wireless")


def replace_with_unrelated_history(project: Project, tree: str) -> str:
    """Force-push a history with nothing in common with main onto `tree`'s branch."""
    work = project.root / "unrelated"
    work.mkdir()
    git(work, "init", "-q", "-b", "for-main")
    (work / "other.txt").write_text("another project\n")
    git(work, "add", "other.txt")
    git(work, "commit", "-q", "-m", "an unrelated project")
    bare = project.root / "trees" / f"{tree}.git"
    git(work, "push", "-q", "--force", str(bare), "HEAD:for-main")
    return git(work, "rev-parse", "HEAD").strip()


def trees(document: Any) -> dict[str, Any]:
    return {t["subsystem"]: t for t in document["trees"]}


def test_a_tree_with_unrelated_history_is_left_out_and_the_others_merged(
    project: Project,
) -> None:
    project.commit("net", {"net/core.c": "net work\n"}, "net: work")
    project.commit("wireless", {"net/wireless/wifi.c": "wifi work\n"}, "wireless: work")
    head = replace_with_unrelated_history(project, "drivers")
    assert project.run("sync").code == 0
    result = project.run("next", "--json")
    assert result.code == 1, result.err
    document = trees(json.loads(result.out))
    drivers = document["drivers"]
    assert (drivers["head"], drivers["merged"]) == (head, False)
    assert drivers["problem"] == "no history in common with main"
    assert document["net"]["merged"]
    assert document["wireless"]["merged"]
    human = project.run("next")
    assert human.code == 1
    assert "no history in common with main" in human.out
    # The integration holds the others' work and none of the unrelated history.
    ws = project.root / ".treemerge" / "repo.git"
    files = git(ws, "ls-tree", "-r", "--name-only", "refs/next/main").split()
    assert "net/core.c" in files
    assert "other.txt" not in files
    assert git(ws, "show", "refs/next/main:net/wireless/wifi.c") == "wifi work\n"


def test_a_tree_that_had_a_good_head_falls_back_to_it(project: Project) -> None:
    project.commit("drivers", {"drivers/block.c": "v2\n"}, "drivers: work")
    assert project.run("sync").code == 0
    good = trees(project.json("next"))["drivers"]["head"]
    replace_with_unrelated_history(project, "drivers")
    assert project.run("sync").code == 0
    drivers = trees(project.json("next"))["drivers"]
    assert (drivers["merged"], drivers["fallback"], drivers["used_head"]) == (True, True, good)
    assert drivers["problem"] == "no history in common with main"


def test_trees_never_synced_are_counted_and_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = Project(tmp_path, capsys)  # drivers' and wireless's trees: not made yet
    assert project.run("tree", "create", "net").code == 0
    project.commit("net", {"net/core.c": "net work\n"}, "net: work")
    assert project.run("sync", "main", "net").code == 0
    result = project.run("next")
    assert result.code == 1
    assert "next: 1 of 3 trees merged" in result.out
    assert result.out.count("never synced") == 2
    document = trees(project.json("next"))
    assert document["drivers"] == document["drivers"] | {
        "head": "",
        "merged": False,
        "problem": "never synced: run `treemerge sync`",
    }
    assert document["net"]["merged"] is True
