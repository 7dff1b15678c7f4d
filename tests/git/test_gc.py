"""`gc`: the workspace packed, what nothing names removed (once old enough), and cron
running it when git's own rule (`git gc --auto`'s) says the workspace needs it."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from tests.git.project import Project
from tests.helpers import git
from treemerge.app.gc import gc_due
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


def loose_in_17(count: int) -> list[str]:
    """Texts of `count` blobs whose ids start with 17: the directory git counts."""
    texts: list[str] = []
    n = 0
    while len(texts) < count:
        text = f"loose {n}\n"
        n += 1
        if hashlib.sha1(f"blob {len(text)}\0{text}".encode()).hexdigest().startswith("17"):
            texts.append(text)
    return texts


def test_cron_packs_the_workspace_when_gits_rule_says_so(project: Project) -> None:
    """Not on the first cycle because nothing was packed yet: when there are more loose
    objects than `gc.auto` (27 in objects/17, as git counts), and then again only when
    there are."""
    old = junk(project, "stale\n", age=2 * HOUR)
    assert not gc_due(opened(project))
    assert project.run("cron").code == 0
    assert has(project, old)
    assert '"step": "gc"' not in (project.root / ".treemerge" / "cron.log").read_text()
    for text in loose_in_17(27):
        junk(project, text, age=2 * HOUR)
    assert not gc_due(opened(project))  # 27 is git's threshold: not above it
    junk(project, loose_in_17(28)[-1], age=2 * HOUR)
    assert gc_due(opened(project))
    assert project.run("cron").code == 0
    assert not has(project, old)
    assert '"step": "gc"' in (project.root / ".treemerge" / "cron.log").read_text()
    assert not gc_due(opened(project))
    again = junk(project, "stale again\n", age=2 * HOUR)
    assert project.run("cron").code == 0
    assert has(project, again)  # (one loose object: nothing to pack)


def test_too_many_packs_is_gits_rule_too(project: Project) -> None:
    repo = workspace(project)
    for n in range(51):
        oid = junk(project, f"pack {n}\n", age=0)
        git(repo, "pack-objects", "-q", str(repo / "objects" / "pack" / "pack"), input=oid + "\n")
    assert gc_due(opened(project))
    assert project.run("gc").code == 0
    assert not gc_due(opened(project))
