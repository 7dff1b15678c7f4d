"""Trial merges leave nothing behind: the conflict forecast of request-pull and next's
pairwise matrix merge in an object directory of their own, thrown away afterwards, so
the workspace does not grow with every run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.git.project import Project
from tests.helpers import git
from treemerge.gitio.merge import MergeBatch, merge_tree


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    proj = Project(tmp_path, capsys).with_trees("net", "drivers", "wireless")
    proj.commit("net", {"README": "net's readme\n", "net/core.c": "v2\n"}, "net: work")
    proj.commit("drivers", {"README": "drivers' readme\n", "drivers/block.c": "v2\n"}, "d: work")
    proj.commit("wireless", {"net/wireless/wifi.c": "v2\n"}, "wireless: work")
    assert proj.run("sync").code == 0
    return proj


def objects(project: Project) -> set[str]:
    """Every object id in the workspace's object store (loose or packed)."""
    ws = project.root / ".treemerge" / "repo.git"
    out = git(ws, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)")
    return set(out.split())


def test_the_forecast_of_a_pull_writes_nothing(project: Project) -> None:
    before = objects(project)
    result = project.run("request-pull", "net", "--dry-run", "--allow-fresh")
    assert "README" in result.out  # the forecast saw the conflict with drivers
    assert objects(project) == before


def test_trial_merges_keep_their_conflicts_and_none_of_their_trees(project: Project) -> None:
    ws = project.root / ".treemerge" / "repo.git"
    before = objects(project)
    pairs = [("refs/trees/net", "refs/trees/drivers"), ("refs/trees/net", "refs/trees/wireless")]
    kept = MergeBatch(ws, pairs, where="test").merged()
    assert objects(project) != before  # (an ordinary batch writes its trees)
    before = objects(project)
    trial = MergeBatch(ws, pairs, where="test", trial=True).merged()
    assert [r.conflicts for r in trial] == [r.conflicts for r in kept] == [("README",), ()]
    assert [r.tree for r in trial] == [r.tree for r in kept]
    one = merge_tree(ws, "refs/trees/net", "refs/trees/drivers", trial=True)
    assert one.conflicts == ("README",)
    assert objects(project) == before


def test_next_keeps_only_what_its_ref_names(project: Project) -> None:
    assert project.run("next").code in (0, 1)
    ws = project.root / ".treemerge" / "repo.git"
    reachable = set(git(ws, "rev-list", "--objects", "--all").split())
    written = objects(project) - reachable
    # What no ref names: nothing but the work trees of the chain's own merges (none
    # here), never the matrix's trial trees.
    matrix_tree = merge_tree(ws, "refs/trees/net", "refs/trees/drivers", trial=True).tree
    assert matrix_tree not in written
