"""`check` on real trees: owned, acked and foreign paths, renames, ownership-file edits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.git.project import Project
from tests.helpers import git


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    proj = Project(tmp_path, capsys)
    assert proj.run("sync", "main").code == 0
    for tree in ("net", "drivers"):
        result = proj.run("tree", "create", tree)
        assert result.code == 0, result.err
    return proj


def verdicts(document: Any) -> dict[str, str]:
    return {f["path"]: f["status"] for f in document["files"]}


def test_owned_work_passes(project: Project) -> None:
    project.commit("net", {"net/core.c": "faster\n", "net/new.c": "new\n"}, "net: faster")
    project.run("sync")
    result = project.run("check", "net")
    assert result.code == 0, result.out + result.err
    document = project.json("check", "net")
    assert verdicts(document) == {"net/core.c": "owned", "net/new.c": "owned"}
    assert document["violations"] == 0
    assert document["commits"] == 1
    assert set(document) >= {"subsystem", "base", "head", "commits", "files", "violations",
                             "ownership_file_changed", "backmerges"}  # fmt: skip


def test_foreign_path_without_ack(project: Project) -> None:
    sha = project.commit("net", {"drivers/char.c": "hack\n"}, "net: poke a driver")
    project.run("sync")
    result = project.run("check", "net")
    assert result.code == 1
    assert "foreign" in result.out
    document = project.json("check", "net")
    (entry,) = document["files"]
    assert entry == {
        "path": "drivers/char.c",
        "status": "foreign",
        "owners": ["DRIVERS"],
        "commits": [sha],
        "acks": [],
        "change": "M",
    }
    assert document["violations"] == 1


def test_foreign_path_acked_by_its_maintainer(project: Project) -> None:
    message = "net: fix a driver\n\nAcked-by: Dee River <Dee@Example.org>\n"
    project.commit("net", {"drivers/char.c": "fixed\n"}, message)
    project.run("sync")
    document = project.json("check", "net")
    assert verdicts(document) == {"drivers/char.c": "acked"}
    assert document["files"][0]["acks"] == ["dee@example.org"]
    assert project.run("check", "net").code == 0


def test_ack_from_the_wrong_person_does_not_count(project: Project) -> None:
    message = "net: fix a driver\n\nAcked-by: Doc Writer <doc@example.org>\n"
    project.commit("net", {"drivers/char.c": "fixed\n"}, message)
    project.run("sync")
    assert verdicts(project.json("check", "net")) == {"drivers/char.c": "foreign"}


def test_ack_on_only_one_of_two_commits(project: Project) -> None:
    project.commit("net", {"drivers/char.c": "one\n"},
                   "net: first\n\nAcked-by: Dee River <dee@example.org>\n")  # fmt: skip
    second = project.commit("net", {"drivers/char.c": "two\n"}, "net: second, no ack")
    project.run("sync")
    (entry,) = project.json("check", "net")["files"]
    assert entry["status"] == "foreign"
    assert entry["commits"][-1] == second
    assert len(entry["commits"]) == 2


def test_rename_across_ownership_boundaries_touches_both_paths(project: Project) -> None:
    project.commit("net", {}, "net: take over char", renames={"drivers/char.c": "net/char.c"})
    project.run("sync")
    document = project.json("check", "net")
    assert verdicts(document) == {"drivers/char.c": "foreign", "net/char.c": "owned"}
    changes = {f["path"]: f["change"] for f in document["files"]}
    assert changes == {"drivers/char.c": "R", "net/char.c": "R"}


def test_editing_maintainers_to_claim_more_is_reported_and_not_honoured(project: Project) -> None:
    greedy = (
        (project.main / "MAINTAINERS").read_text().replace("F:\tnet/\n", "F:\tnet/\nF:\tdrivers/\n")
    )
    project.commit("net", {"MAINTAINERS": greedy, "drivers/block.c": "mine now\n"},
                   "net: own drivers too")  # fmt: skip
    project.run("sync")
    document = project.json("check", "net")
    assert document["ownership_file_changed"] is True
    assert verdicts(document) == {"MAINTAINERS": "foreign", "drivers/block.c": "foreign"}
    assert "never honoured" in project.run("check", "net").out


def test_check_a_given_head(project: Project) -> None:
    first = project.commit("net", {"net/core.c": "a\n"}, "net: a")
    project.commit("net", {"drivers/char.c": "b\n"}, "net: b")
    project.run("sync")
    assert project.run("check", "net", "--head", first).code == 0
    assert project.run("check", "net").code == 1


def test_backmerge_is_listed(project: Project) -> None:
    project.commit("net", {"net/core.c": "net work\n"}, "net: work")
    project.commit("main", {"README": "newer\n"}, "main: newer readme")
    git(project.main, "tag", "-a", "-m", "release 1.1", "v1.1")
    result = project.run("tree", "update", "net", "--to", "v1.1")
    assert result.code == 0, result.err
    assert "Merge tag 'v1.1' into for-main" in result.out
    project.run("sync")
    document = project.json("check", "net")
    assert len(document["backmerges"]) == 1
    # The merge-base is now v1.1: main's README change is not net's pending work.
    assert verdicts(document) == {"net/core.c": "owned"}
    merge = document["backmerges"][0]
    message = git(project.root / "trees" / "net.git", "log", "-1", "--format=%B", merge)
    assert message.startswith("Merge tag 'v1.1' into for-main\n")


def test_unknown_subsystem_and_unsynced_tree(project: Project) -> None:
    unknown = project.run("check", "nope")
    assert unknown.code == 2
    assert "unknown tree 'nope'" in unknown.err
    project.commit("net", {"net/core.c": "x\n"}, "net: x")
    (project.root / ".treemerge").rename(project.root / "old-workspace")
    unsynced = project.run("check", "net")
    assert unsynced.code == 2
    assert "run `treemerge sync main`" in unsynced.err
