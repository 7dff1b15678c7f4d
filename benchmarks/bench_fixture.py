"""Benchmark: build the Nova-shaped fixture (main tree, subsystem trees, maintainers.cfg).

Times, in one go:
  * build_fixture at its default size (300 main-tree commits, every Nova path);
  * build_fixture at Nova's scale (60,000 main-tree commits over Nova's ~4,800 paths,
    10 releases, every scenario tree);
  * the Python side alone at Nova's scale: the fast-import stream written to /dev/null,
    to show how the time splits between generating the stream and git importing it.

Usage: .venv/bin/python benchmarks/bench_fixture.py [--runs 3] [--commits 60000]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks.common import timed
from treemerge.gitio.fastimport import StreamWriter
from treemerge.sandbox.fixture import Fixture, build_fixture, fixture_paths
from treemerge.sandbox.history import write_main

ROOT = Path(__file__).resolve().parents[1]
CONFIG = (ROOT / "maintainers.cfg").read_text(encoding="utf-8")
NOVA_RELEASES = 10


def build_in_temp(commits: int, releases: int, sizes: list[int]) -> None:
    """One build in a fresh directory; appends the size of main.git (bytes) to `sizes`."""
    with tempfile.TemporaryDirectory() as tmp:
        fixture = build_fixture(Path(tmp), CONFIG, commits=commits, releases=releases)
        sizes.append(disk_usage(fixture.main))
        check(fixture, commits)


def check(fixture: Fixture, commits: int) -> None:
    """A benchmark of a broken build measures nothing: insist on the shape."""
    if fixture.commits != commits or len(fixture.expected) != 7:
        raise SystemExit(f"unexpected fixture: {fixture}")


def stream_only(commits: int, releases: int) -> None:
    with open(os.devnull, "wb") as sink:
        stream = StreamWriter(sink)
        write_main(stream, fixture_paths(), commits=commits, releases=releases, seed=0)
        stream.flush()


def disk_usage(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of the Nova-scale build")
    parser.add_argument("--commits", type=int, default=60_000, help="Nova-scale main commits")
    args = parser.parse_args()
    small_sizes: list[int] = []
    big_sizes: list[int] = []
    small = timed(lambda: build_in_temp(300, 3, small_sizes), 5)
    big = timed(lambda: build_in_temp(args.commits, NOVA_RELEASES, big_sizes), args.runs)
    python = timed(lambda: stream_only(args.commits, NOVA_RELEASES), 1)
    rows = [
        ("default: 300 commits, 3 releases, 7 trees", small, small_sizes[0]),
        (f"Nova scale: {args.commits:,} commits, {NOVA_RELEASES} releases, 7 trees", big,
         big_sizes[0]),
        ("Nova scale, Python stream only (to /dev/null)", python, 0),
    ]  # fmt: skip
    print(render(rows, len(fixture_paths())))


def render(rows: list[tuple[str, list[float], int]], paths: int) -> str:
    git_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines = [
        f"Fixture over {paths:,} Nova paths; {os.cpu_count()} cores, "
        f"Python {sys.version.split()[0]}.",
        "",
        "| build | median | min | runs | main.git on disk |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, times, size in rows:
        on_disk = f"{size / 2**20:,.1f} MB" if size else "–"
        lines.append(
            f"| {name} | {statistics.median(times):.2f} s | {min(times):.2f} s "
            f"| {len(times)} | {on_disk} |"
        )
    lines += ["", f"Peak memory: Python {own_peak:.0f} MB, git (largest child) {git_peak:.0f} MB."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
