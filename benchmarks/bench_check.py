"""Benchmark: `check` over ~1,800 pending commits, and a no-op `sync` + `status` of 20 trees.

On the Nova-scale fixture (60,000 main-tree commits over Nova's ~4,800 files):
  * `treemerge check` of a pending range of 1,800 commits against `git log --name-only`
    over the same range, in the same workspace repository. The range is 1,800 commits of
    the main tree's own history, made by every team across every area, given to the
    libvirt tree as its pending work (the main tree set back to where they start, then
    synced): thousands of foreign paths, the worst case for attribution. Also with
    nothing learnt (the paths each commit changed, which `sync` remembers, removed
    before every run);
  * the same check over a 20-commit range, to show the cost follows the pending work and
    not the 60,000 commits of history;
  * a no-op `treemerge sync` (every tree already fetched) followed by `treemerge status`,
    over 20 trees (the fixture's 7 plus 13 more).

Usage: .venv/bin/python -m benchmarks.bench_check [--commits 60000] [--runs 5] [--write FILE]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.common import TREEMERGE, add_trees, arguments, nova_fixture, publish, wall
from treemerge.app.check import check_subsystem
from treemerge.app.project import open_project
from treemerge.gitio.run import run_git
from treemerge.sandbox.fixture import Fixture
from treemerge.store.changed import FILE_NAME

TREES = 20
RANGE = 1800


def in_process(dest: Path, runs: int) -> float:
    """Median seconds of the check itself, in a warm process (no interpreter start-up)."""
    project = open_project(dest / "maintainers.cfg", dest)
    check_subsystem(project, "libvirt")  # warm: imports, ownership compiled
    times = []
    for _ in range(runs):
        project = open_project(dest / "maintainers.cfg", dest)
        started = time.perf_counter()
        check_subsystem(project, "libvirt")
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def give_libvirt(fixture: Fixture, size: int) -> str:
    """The libvirt tree made to carry the main tree's last `size` commits, the main tree
    set back to where they start, both synced (which learns what the pending commits
    changed); the base commit."""
    tip = fixture.head
    base = run_git(["rev-parse", f"{tip}~{size}"], cwd=fixture.main).decode().strip()
    libvirt = str(fixture.trees["libvirt"])
    run_git(["push", "-q", "-f", libvirt, f"{tip}:refs/heads/for-main"], cwd=fixture.main)
    run_git(["update-ref", f"refs/heads/{fixture.branch}", base], cwd=fixture.main)
    subprocess.run([*TREEMERGE, "sync", "-q"], cwd=fixture.dest, check=True)
    return base


def main() -> None:
    args = arguments(__doc__)
    treemerge = TREEMERGE
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        fixture = nova_fixture(tmp, args.commits)
        built = time.perf_counter() - started
        add_trees(fixture, TREES)
        dest = fixture.dest
        subprocess.run([*treemerge, "sync", "-q"], cwd=dest, check=True)
        sync_status = wall([*treemerge, "sync", "-q"], dest, args.runs) + wall(
            [*treemerge, "status"], dest, args.runs
        )
        repo = dest / ".treemerge" / "repo.git"
        tip = fixture.head
        learnt = dest / ".treemerge" / FILE_NAME
        rows = []
        for size in (RANGE, 20):
            base = give_libvirt(fixture, size)
            check = [*treemerge, "check", "libvirt", "--json"]
            ours = wall(check, dest, args.runs, ok=(0, 1))
            inside = in_process(dest, args.runs)
            cold = wall(
                check, dest, args.runs, ok=(0, 1), before=lambda: learnt.unlink(missing_ok=True)
            )
            log = wall(["git", "log", "--name-only", f"{base}..{tip}"], repo, args.runs)
            rows.append((size, ours, inside, cold, log))
        files = run_git(["diff", "--name-only", f"{tip}~{RANGE}", tip], cwd=repo).count(b"\n")
    report = render(args, built, sync_status, rows, files)
    publish(args, "bench_check", report)


def render(
    args: argparse.Namespace,
    built: float,
    sync_status: float,
    rows: list[tuple[int, float, float, float, float]],
    files: int,
) -> str:
    lines = [
        f"Nova-scale fixture: {args.commits:,} main-tree commits (built in {built:.1f} s), "
        f"{TREES} trees; median of {args.runs} runs; {os.cpu_count()} cores.",
        "",
        "| pending range | `git log --name-only` | `treemerge check` (command) | "
        "the check in process | the command with nothing learnt |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {size:,} commits | {log * 1000:,.0f} ms "
        f"| {ours * 1000:,.0f} ms ({ours / log:.2f}×) "
        f"| {inside * 1000:,.0f} ms ({inside / log:.2f}×) "
        f"| {cold * 1000:,.0f} ms ({cold / log:.2f}×) |"
        for size, ours, inside, cold, log in rows
    ]
    lines += [
        "",
        f"The {RANGE:,}-commit range changes {files:,} paths. "
        f"No-op `sync` + `status` over {TREES} trees: {sync_status * 1000:,.0f} ms.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
