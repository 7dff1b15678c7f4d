"""`status` reuses each tree's judged range while its head, its upstream's tip and the
configuration stay the same, and judges it again when any of them moves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.git.project import Project


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    proj = Project(tmp_path, capsys).with_trees("net", "drivers", "wireless")
    proj.commit("net", {"net/core.c": "v2\n", "drivers/char.c": "net's\n"}, "net: work")
    assert proj.run("sync").code == 0
    return proj


def rows(project: Project) -> dict[str, dict[str, object]]:
    return {row["tree"]: row for row in project.json("status")["trees"]}


def test_a_judged_range_is_reused_until_what_it_was_judged_from_moves(project: Project) -> None:
    fresh = rows(project)
    assert (fresh["net"]["ahead"], fresh["net"]["violations"]) == (1, 1)
    kept = project.root / ".treemerge" / "judged.json"
    saved = json.loads(kept.read_text())
    (key,) = [k for k in saved["ranges"] if k.startswith("net ")]
    saved["ranges"][key][0] = 99  # what a reused answer would show
    kept.write_text(json.dumps(saved))
    assert rows(project)["net"]["ahead"] == 99
    assert rows(project)["drivers"] == fresh["drivers"]
    project.commit("net", {"net/more.c": "more\n"}, "net: more")
    assert project.run("sync").code == 0
    assert rows(project)["net"]["ahead"] == 2  # a new head: judged again
    saved = json.loads(kept.read_text())
    (key,) = [k for k in saved["ranges"] if k.startswith("net ")]
    saved["ranges"][key][0] = 99
    kept.write_text(json.dumps(saved))
    config = project.root / "maintainers.cfg"
    config.write_text(config.read_text() + "\n# edited\n")
    assert rows(project)["net"]["ahead"] == 2  # another configuration: judged again
