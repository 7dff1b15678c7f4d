"""`gc`: the workspace packed, what nothing names removed (once old enough), and cron
running it once a day."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.git.project import Project
from tests.helpers import git
from treemerge.app.gc import CRON_EVERY, gc_due
from treemerge.app.project import Project as TreemergeProject
from treemerge.app.project import open_project

HOUR = 3600


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    proj = Project(tmp_path, capsys).with_trees("net", "drivers", "wireless")
    proj.commit("net", {"net/core.c": "v2\n"}, "net: work")
    assert proj.run("sync").code == 0
    return proj


def opened(project: Project) -> TreemergeProject:
    return open_project(project.root / "maintainers.cfg", project.root)


def workspace(project: Project) -> Path:
    return project.root / ".treemerge" / "repo.git"


def junk(project: Project, text: str, *, age: float) -> str:
    """A loose blob nothing names, written `age` seconds ago."""
    oid = git(workspace(project), "hash-object", "-w", "--stdin", input=text).strip()
    path = workspace(project) / "objects" / oid[:2] / oid[2:]
    os.utime(path, (time.time() - age, time.time() - age))
    return oid


def has(project: Project, oid: str) -> bool:
    out = git(workspace(project), "cat-file", "--batch-check", input=oid + "\n")
    return "missing" not in out


def test_gc_packs_the_workspace_and_prunes_old_unnamed_objects(project: Project) -> None:
    old = junk(project, "left by a trial merge long ago\n", age=2 * HOUR)
    fresh = junk(project, "written by a command running now\n", age=0)
    net = git(workspace(project), "rev-parse", "refs/trees/net").strip()
    result = project.json("gc")
    assert result["before"]["count"] > 0
    assert result["after"]["count"] <= 1  # (the fresh one, kept loose)
    assert result["after"]["in-pack"] > 0
    assert not has(project, old)
    assert has(project, fresh)
    assert has(project, net)
    assert project.run("check", "net").code == 0  # nothing anything names went


def test_cron_maintains_the_workspace_once_a_day(project: Project) -> None:
    assert gc_due(opened(project))
    old = junk(project, "stale\n", age=2 * HOUR)
    assert project.run("cron").code == 0
    assert not has(project, old)
    assert not gc_due(opened(project))
    again = junk(project, "stale again\n", age=2 * HOUR)
    assert project.run("cron").code == 0
    assert has(project, again)  # not a day yet
    assert gc_due(opened(project), now=time.time() + CRON_EVERY)
