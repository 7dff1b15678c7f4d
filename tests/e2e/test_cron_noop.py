"""A cron cycle with nothing new costs what changed: nothing fetched but the main
tree's tags, `next` and its report left as they are, no tree judged again by `status`,
and the same lines logged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.test_cron import make_fixture
from treemerge.sandbox.fixture import Fixture


def cron(fixture: Fixture, trace: Path | None = None) -> list[dict[str, object]]:
    """One cycle as cron runs it; the steps it logged, without their times."""
    log = fixture.dest / ".treemerge" / "cron.log"
    seen = len(log.read_text().splitlines()) if log.exists() else 0
    env = {k: v for k, v in os.environ.items() if k != "TREEMERGE_FAILPOINT"}
    if trace is not None:
        env["GIT_TRACE"] = str(trace)
    done = subprocess.run(
        [sys.executable, "-m", "treemerge", "cron"],
        cwd=fixture.dest, capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in log.read_text().splitlines()[seen:]]
    return [{k: v for k, v in line.items() if k not in ("time", "run")} for line in lines]


def test_a_cycle_with_nothing_new_fetches_and_rebuilds_nothing(tmp_path: Path) -> None:
    fixture = make_fixture(tmp_path)
    workspace = fixture.dest / ".treemerge"
    first = cron(fixture)
    assert sum(1 for s in first if s["status"] == "sent") == 3
    (workspace / "next.html").unlink()  # (so the next cycle builds next again)
    rebuilt = cron(fixture)
    assert [s for s in rebuilt if s["step"] == "next"] == [s for s in first if s["step"] == "next"]
    kept = {name: (workspace / name).stat().st_mtime_ns for name in ("next.json", "next.html")}
    trace = tmp_path / "git-trace"
    again = cron(fixture, trace)
    assert again == rebuilt
    assert {name: (workspace / name).stat().st_mtime_ns for name in kept} == kept
    traced = trace.read_text()
    assert "merge-tree" not in traced  # next not rebuilt
    assert "ls-remote" not in traced  # the trees' branches read from their files
    assert "--left-right" not in traced  # status: every tree's range judged before
    assert traced.count("git fetch") == 1  # the main tree's, for its tags
