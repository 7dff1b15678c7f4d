"""`sync` costs what changed: a tree whose branch has not moved is looked at, not
fetched; a tree that moved is fetched; the main tree (with its tags) always is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.git.project import Project
from tests.helpers import git
from treemerge.gitio.workspace import WorkspaceRepo


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The trees each fetch of the test asks for, in order."""
    seen: list[str] = []
    real = WorkspaceRepo.fetch

    def fetch(self: WorkspaceRepo, tree_id: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(tree_id)
        return real(self, tree_id, *args, **kwargs)

    monkeypatch.setattr(WorkspaceRepo, "fetch", fetch)
    return seen


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    proj = Project(tmp_path, capsys).with_trees("net", "drivers", "wireless")
    assert proj.run("sync").code == 0
    return proj


def test_a_sync_with_nothing_new_fetches_only_the_main_tree(
    project: Project, fetched: list[str]
) -> None:
    result = project.json("sync")
    assert sorted(fetched) == ["main"]
    assert not any(tree["changed"] for tree in result["trees"])


def test_a_tree_that_moved_is_fetched_and_the_others_are_not(
    project: Project, fetched: list[str]
) -> None:
    head = project.commit("net", {"net/core.c": "v2\n"}, "net: work")
    result = project.json("sync")
    assert sorted(fetched) == ["main", "net"]
    changed = {tree["tree"]: tree for tree in result["trees"] if tree["changed"]}
    assert list(changed) == ["net"]
    assert changed["net"]["new"] == head
    ws = project.root / ".treemerge" / "repo.git"
    assert git(ws, "rev-parse", "refs/trees/net").strip() == head


def test_a_tree_rewound_to_an_older_commit_is_fetched(project: Project, fetched: list[str]) -> None:
    old = git(project.root / "trees" / "drivers.git", "rev-parse", "for-main").strip()
    project.commit("drivers", {"drivers/block.c": "v2\n"}, "drivers: work")
    assert project.run("sync").code == 0
    git(project.root / "trees" / "drivers.git", "update-ref", "refs/heads/for-main", old)
    fetched.clear()
    assert project.run("sync").code == 0
    assert "drivers" in fetched
    ws = project.root / ".treemerge" / "repo.git"
    assert git(ws, "rev-parse", "refs/trees/drivers").strip() == old
