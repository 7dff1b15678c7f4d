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


# Forty lines: an edited copy stays similar enough for git's rename detection.
BIG = "".join(f"static int line_{n};\n" for n in range(40))
# Files the main tree has before the trees fork, for work that deletes many.
MANY = {f"drivers/many/f{n}.c": f"driver file {n}\n" * (n + 1) for n in range(150)}


@pytest.fixture
def spread(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    """A project whose main tree has a large driver file and many small ones, then
    the net tree."""
    proj = Project(tmp_path, capsys)
    proj.commit("main", {"drivers/big.c": BIG, "drivers/gone.c": "gone\n", **MANY}, "more")
    assert proj.run("sync", "main").code == 0
    return proj.with_trees("net")


def git_letters(project: Project, base: str, head: str) -> dict[str, str]:
    """Each path of base..head with the letter `git diff -M` gives it (both sides of a
    rename R): what check showed when it ran that diff itself."""
    repo = project.root / ".treemerge" / "repo.git"
    fields = git(repo, "diff", "-z", "--name-status", "-M", base, head).split("\0")[:-1]
    letters, i = {}, 0
    while i < len(fields):
        letter = fields[i][0]
        width = 3 if letter in "RC" else 2
        for path in fields[i + 1 : i + width]:
            letters[path] = letter
        i += width
    return letters


def git_runs(trace: Path) -> list[str]:
    """The git commands GIT_TRACE recorded."""
    return [line for line in trace.read_text().splitlines() if "trace: built-in: git" in line]


def test_renames_with_edits_copies_adds_and_deletes_show_as_git_pairs_them(
    spread: Project,
) -> None:
    edited = BIG.replace("line_7;", "line_7 = 1;")
    spread.commit("net", {"net/big.c": edited, "drivers/gone.c": None, "net/fresh.c": "new\n",
                          "net/copy.c": "core\n", "drivers/block.c": "edited\n"},
                  "net: take the big driver", renames={"drivers/big.c": "net/big.c"})  # fmt: skip
    spread.run("sync")
    document = spread.json("check", "net")
    changes = {f["path"]: f["change"] for f in document["files"]}
    assert changes == {"drivers/big.c": "R", "net/big.c": "R", "drivers/gone.c": "D",
                       "net/fresh.c": "A", "net/copy.c": "A", "drivers/block.c": "M"}  # fmt: skip
    assert changes == git_letters(spread, document["base"], document["head"])
    assert [f["path"] for f in document["files"]] == sorted(changes)
    assert verdicts(document) == {"drivers/big.c": "foreign", "drivers/gone.c": "foreign",
                                  "drivers/block.c": "foreign", "net/big.c": "owned",
                                  "net/fresh.c": "owned", "net/copy.c": "owned"}  # fmt: skip


@pytest.mark.parametrize("work", ["adds", "deletes"])
def test_many_adds_or_many_deletes_alone_run_no_rename_detection(
    spread: Project, work: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files: dict[str, str | None] = dict.fromkeys(MANY)  # deleted
    if work == "adds":
        files = {f"net/many/f{n}.c": f"net file {n}\n" for n in range(150)}
    spread.commit("net", {**files, "net/core.c": "faster\n"}, f"net: {work}")
    spread.run("sync")
    trace = tmp_path / "trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    document = spread.json("check", "net")
    diffs = [run for run in git_runs(trace) if " diff " in run]
    assert len(diffs) == 1
    assert "--no-renames" in diffs[0]
    letter = "A" if work == "adds" else "D"
    expected = dict.fromkeys(files, letter) | {"net/core.c": "M"}
    assert {f["path"]: f["change"] for f in document["files"]} == expected
    assert expected == git_letters(spread, document["base"], document["head"])


def test_adds_with_deletes_are_paired_by_git(
    spread: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    added = {f"net/many/f{n}.c": f"driver file {n}\n" * (n + 1) for n in range(0, 150, 2)}
    spread.commit("net", {**added, **dict.fromkeys(MANY)}, "net: take half the drivers")
    spread.run("sync")
    trace = tmp_path / "trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    document = spread.json("check", "net")
    assert sum(" -M " in run for run in git_runs(trace)) == 1
    changes = {f["path"]: f["change"] for f in document["files"]}
    assert changes == git_letters(spread, document["base"], document["head"])
    assert changes["drivers/many/f0.c"] == changes["net/many/f0.c"] == "R"
    assert changes["drivers/many/f1.c"] == "D"
    assert len(changes) == len(added) + len(MANY)


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


def test_before_any_sync_says_which_tree_to_sync(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = Project(tmp_path, capsys)
    result = fresh.run("check", "net")
    assert result.code == 2
    assert "no copy of the main tree yet: run `treemerge sync main`" in result.err
    assert fresh.run("sync", "main").code == 0
    result = fresh.run("check", "net")
    assert result.code == 2
    assert "no copy of the net tree yet: run `treemerge sync net`" in result.err
