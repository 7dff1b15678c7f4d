"""`sync`, `check` and `status` on the generated Nova-shaped project agree with what the
generator says each tree holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli
from treemerge.sandbox.fixture import Fixture, build_fixture

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fixture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Fixture:
    config = (ROOT / "maintainers.cfg").read_text(encoding="utf-8")
    built = build_fixture(tmp_path / "nova", config, commits=40, files=150, releases=2)
    result = run_cli(capsys, "-C", str(built.dest), "sync")
    assert result.code == 0, result.err
    return built


def test_every_tree_checks_as_expected(
    fixture: Fixture, capsys: pytest.CaptureFixture[str]
) -> None:
    for ident, expected in fixture.expected.items():
        result = run_cli(capsys, "-C", str(fixture.dest), "check", ident, "--json")
        assert result.code == (1 if expected.foreign else 0), (ident, result.err)
        document = json.loads(result.out)
        by_status: dict[str, set[str]] = {"owned": set(), "acked": set(), "foreign": set()}
        for entry in document["files"]:
            by_status[entry["status"]].add(entry["path"])
        assert by_status["owned"] == expected.owned, ident
        assert by_status["acked"] == expected.acked, ident
        assert by_status["foreign"] == expected.foreign, ident
        assert (document["base"], document["head"]) == (expected.base, expected.head), ident
        assert document["commits"] == expected.commits, ident


def test_status_lists_every_tree(fixture: Fixture, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "-C", str(fixture.dest), "status", "--json")
    assert result.code == 0
    rows = {row["tree"]: row for row in json.loads(result.out)["trees"]}
    assert set(rows) == {"main", *fixture.expected}
    for ident, expected in fixture.expected.items():
        assert rows[ident]["ahead"] == expected.commits
        assert rows[ident]["violations"] == len(expected.foreign)
        assert rows[ident]["upstream"] == expected.upstream
    assert rows["libvirt"]["behind"] > 0  # main moved on after the release it forked from
