"""Benchmark: `treemerge request-pull --format text --dry-run` against `git request-pull`.

On the Nova-scale fixture (60,000 main-tree commits), a pull of 1,800 pending commits
(the main tree's last 1,800, so they touch every area: the worst case for the ownership
verdict) is written by treemerge, with the ownership verdict and the conflict forecast
against the upstream and the fixture's seven subsystem trees included, and by
`git request-pull` for the same range, tag and URL, in the same run.

Usage: .venv/bin/python -m benchmarks.bench_request_pull [--commits 60000] [--runs 5]
       [--write docs/performance.md]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from benchmarks.common import arguments, nova_fixture, update_section, wall
from treemerge.gitio.run import run_git

RANGE = 1800
TAG = "libvirt-for-main-bench"


def main() -> None:
    args = arguments(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        fixture = nova_fixture(tmp, args.commits)
        dest = fixture.dest
        subprocess.run([sys.executable, "-m", "treemerge", "sync", "-q"], cwd=dest, check=True)
        repo = dest / ".treemerge" / "repo.git"
        tip = fixture.head
        base = run_git(["rev-parse", f"{tip}~{RANGE}"], cwd=repo).decode().strip()
        run_git(["update-ref", "refs/trees/main", base], cwd=repo)
        run_git(["tag", "-a", "-m", "Networking and virt work for main", TAG, tip], cwd=repo)
        url = str(fixture.trees["libvirt"])
        run_git(["push", "-q", url, f"refs/tags/{TAG}"], cwd=repo)
        ours = wall(
            [
                sys.executable,
                "-m",
                "treemerge",
                "request-pull",
                "libvirt",
                "--head",
                tip,
                "--tag",
                TAG,
                "--format",
                "text",
                "--dry-run",
            ],
            dest,
            args.runs,
        )
        theirs = wall(["git", "request-pull", base, url, TAG], repo, args.runs)
    report = (
        f"Nova-scale fixture, {args.commits:,} commits; a pull of {RANGE:,} commits; median of "
        f"{args.runs} runs; {os.cpu_count()} cores.\n\n"
        "| command | median |\n| --- | ---: |\n"
        f"| `treemerge request-pull --format text --dry-run` (with ownership verdict and "
        f"conflict forecast against 8 trees) | {ours * 1000:,.0f} ms |\n"
        f"| `git request-pull` | {theirs * 1000:,.0f} ms |\n\n"
        f"Ratio: {ours / theirs:.2f}×."
    )
    print(report)
    if args.write:
        update_section(args.write, "bench_request_pull", report)


if __name__ == "__main__":
    main()
