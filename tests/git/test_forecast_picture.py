"""The conflict picture: the pairs it merges, and the forecasts read from it, against
git merging every pull with every tree."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest

from tests.git.project import Project
from tests.helpers import git
from treemerge.app import forecast
from treemerge.app.forecast import ConflictPicture, meeting_pairs
from treemerge.app.project import open_project
from treemerge.core.pullplan import forecast_targets
from treemerge.gitio.merge import MergeBatch

MORE = """
[subsystem "docs"]
title = DOCUMENTATION
tree = trees/docs.git
branch = for-main

[subsystem "old"]
tree = trees/old.git
branch = for-main
files = old/

[subsystem "late"]
tree = trees/late.git
branch = for-main
files = late/
"""


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    """Seven trees; some conflict, most do not. `old` stands on the first release and
    changes README, which main changed since; `late` stands on main after that change."""
    proj = Project(tmp_path, capsys)
    with (tmp_path / "maintainers.cfg").open("a") as config:
        config.write(MORE)
    proj.with_trees("net", "drivers", "wireless", "docs", "old")
    proj.commit("main", {"README": "main's readme\n", "main.txt": "m\n"}, "main: readme")
    proj.with_trees("late")
    proj.commit("net", {"drivers/char.c": "net's char\n", "net/core.c": "v2\n"}, "net: work")
    proj.commit("drivers", {"drivers/char.c": "drivers' char\n"}, "drivers: char")
    proj.commit("drivers", {"drivers/new.c": "new\n"}, "drivers: new")
    proj.commit("wireless", {"net/wireless/wifi.c": "wifi 2\n"}, "wireless: wifi")
    proj.commit("docs", {"Documentation/net.txt": "docs 2\n"}, "docs: net")
    proj.commit("old", {"README": "old's readme\n", "old/a": "a\n"}, "old: readme")
    proj.commit("late", {"late/b": "b\n"}, "late: b")
    assert proj.run("sync").code == 0
    return proj


def full_forecast(
    repo: Path, tree: str, upstream: str, heads: dict[str, str], trees: list[tuple[str, str | None]]
) -> list[tuple[str, tuple[str, ...]]]:
    """The pull merged with its upstream and every other tree, by git."""
    against = forecast_targets(tree, upstream, heads[upstream], heads=heads, trees=trees)
    batch = MergeBatch(repo, [(c, heads[tree]) for c in against.values()], trial=True)
    return [(name, r.conflicts) for name, r in zip(against, batch.merged(), strict=True)]


def changed_since_merge_base(repo: Path, one: str, two: str) -> set[str]:
    base = git(repo, "merge-base", one, two).strip()
    return set(git(repo, "diff", "--name-only", "--no-renames", base, one).split())


def test_the_pairs_are_those_whose_changes_since_their_merge_base_share_a_path(
    project: Project,
) -> None:
    proj = open_project(None, project.root)
    repo = proj.workspace.path
    heads = proj.workspace.tree_heads()
    trees = [(t.id, t.upstream) for t in proj.trees()]
    found = meeting_pairs(proj.history(), heads, trees)
    expected = set()
    for one, two in combinations([t for t, up in trees if up], 2):
        mine = changed_since_merge_base(repo, heads[one], heads[two])
        theirs = changed_since_merge_base(repo, heads[two], heads[one])
        if mine & theirs:
            expected.add(frozenset((one, two)))
    assert found == expected
    assert frozenset(("old", "late")) in found  # (README: late's base changed it)
    assert frozenset(("docs", "late")) not in found


@pytest.mark.parametrize("direct_limit", [0, forecast.DIRECT_LIMIT])
def test_every_forecast_from_the_picture_is_the_full_forecast(
    project: Project, monkeypatch: pytest.MonkeyPatch, direct_limit: int
) -> None:
    # With a limit of 0 a pull on its own is forecast from its picture too.
    monkeypatch.setattr(forecast, "DIRECT_LIMIT", direct_limit)
    proj = open_project(None, project.root)
    heads = proj.workspace.tree_heads()
    trees = [(t.id, t.upstream) for t in proj.trees()]
    pulls = [t for t, up in trees if up]
    picture = ConflictPicture(proj, heads, pulls)
    conflicting = 0
    for tree, upstream in trees:
        if upstream is None:
            continue
        full = full_forecast(proj.workspace.path, tree, upstream, heads, trees)
        assert picture.forecast(tree) == full
        alone = ConflictPicture(proj, heads, [tree]).forecast(tree)
        assert alone == full
        conflicting += sum(1 for _, paths in full if paths)
    assert conflicting >= 4  # net/drivers both ways, old with main and with late


def test_request_pull_names_a_conflict_with_a_tree_on_a_newer_base(project: Project) -> None:
    result = project.run("request-pull", "old", "--dry-run", "--format", "json")
    assert result.code in (0, 1), result.err
    assert '"against": "late"' in result.out
