"""Mistakes met on real trees: a clear message and exit 2, never an internal error,
and nothing created, tagged or pushed on the way."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.git.project import CONFIG, Project
from tests.helpers import git


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    return Project(tmp_path, capsys)


def test_tree_create_at_a_regular_file(project: Project) -> None:
    target = project.root / "not-a-dir"
    target.write_text("precious\n")
    result = project.run("tree", "create", "net", "--at", str(target))
    assert result.code == 2, result.err
    assert result.err.strip() == (
        f"error: cannot create net at {target}: it is a file, not a directory"
    )
    below = project.run("tree", "create", "net", "--at", str(target / "net.git"))
    assert below.code == 2, below.err
    assert f"{target} is a file, not a directory" in below.err
    assert target.read_text() == "precious\n"


def test_cron_lock_that_is_a_directory(project: Project) -> None:
    lock = project.root / ".treemerge" / "cron.lock"
    lock.mkdir(parents=True)
    result = project.run("cron")
    assert result.code == 2, result.err
    assert "internal error" not in result.err
    assert result.err.strip() == f"error: cannot open the cron lock {lock}: Is a directory"


def test_a_bad_regex_stops_status_as_it_stops_check(project: Project) -> None:
    assert project.run("tree", "create", "net").code == 0
    project.commit("net", {"net/core.c": "x\n"}, "net: x")
    assert project.run("sync").code == 3  # (drivers and wireless have no trees)
    broken = CONFIG.replace("branch = for-main\n", "branch = for-main\nregex = (\n", 1)
    (project.root / "maintainers.cfg").write_text(broken)
    line = broken.splitlines().index("regex = (") + 1
    check = project.run("check", "net")
    status = project.run("status")
    assert (check.code, status.code) == (2, 2)
    assert check.err.startswith(f"error: maintainers.cfg:{line}: N: cannot compile '('")
    assert status.err == check.err
    assert status.out == ""


def test_request_pull_refuses_a_tag_under_refs_before_tagging(project: Project) -> None:
    assert project.run("tree", "create", "net").code == 0
    project.commit("net", {"net/core.c": "x\n"}, "net: x")
    project.run("sync")
    tree = project.root / "trees" / "net.git"
    before = git(tree, "show-ref")
    for tag in ("refs/heads/for-main", "-n"):
        result = project.run("request-pull", "net", "--tag", tag)
        assert result.code == 2, result.err
        assert "Invalid value for '--tag'" in result.err
    assert git(tree, "show-ref") == before
    good = project.run("request-pull", "net", "--tag", "net-pull-1")
    assert good.code == 0, good.err
    assert git(tree, "cat-file", "-t", "refs/tags/net-pull-1").strip() == "tag"
