"""Benchmark: `treemerge request-pull --format text --dry-run` against `git request-pull`.

On the Nova-scale fixture (60,000 main-tree commits), the libvirt tree is given the
main tree's last 1,800 commits as its pending work (so they touch every area: the worst
case for the ownership verdict) and the main tree is set back to where they start;
`treemerge sync` then fetches both, as a maintainer would before asking for a pull.
The pull request is written by treemerge, with the ownership verdict and the conflict
forecast against the upstream and the fixture's six other subsystem trees, and by
`git request-pull` for the same range, tag and URL, in the same run.

Two figures for treemerge: after `sync` (which learns the paths each pending commit
changed, so the verdict finds them known) and with nothing learnt (that file removed
before every run, so the command reads every commit's changes itself).

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
from treemerge.store.changed import FILE_NAME

RANGE = 1800
TAG = "libvirt-for-main-bench"


def main() -> None:
    args = arguments(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        fixture = nova_fixture(tmp, args.commits)
        dest, tip = fixture.dest, fixture.head
        base = run_git(["rev-parse", f"{tip}~{RANGE}"], cwd=fixture.main).decode().strip()
        libvirt = fixture.trees["libvirt"]
        run_git(["push", "-q", "-f", str(libvirt), f"{tip}:refs/heads/for-main"], cwd=fixture.main)
        run_git(["update-ref", f"refs/heads/{fixture.branch}", base], cwd=fixture.main)
        subprocess.run([sys.executable, "-m", "treemerge", "sync", "-q"], cwd=dest, check=True)
        repo = dest / ".treemerge" / "repo.git"
        run_git(["tag", "-a", "-m", "Networking and virt work for main", TAG, tip], cwd=repo)
        run_git(["push", "-q", str(libvirt), f"refs/tags/{TAG}"], cwd=repo)
        command = [sys.executable, "-m", "treemerge", "request-pull", "libvirt", "--tag", TAG]
        command += ["--format", "text", "--dry-run"]
        theirs = wall(["git", "request-pull", base, str(libvirt), TAG], repo, args.runs)
        warm = wall(command, dest, args.runs)
        learnt = dest / ".treemerge" / FILE_NAME
        cold = wall(command, dest, args.runs, before=lambda: learnt.unlink(missing_ok=True))
    report = (
        f"Nova-scale fixture, {args.commits:,} commits; a pull of {RANGE:,} commits touching "
        f"every area; median of {args.runs} runs; {os.cpu_count()} cores.\n\n"
        "| command | median | ratio to git |\n| --- | ---: | ---: |\n"
        f"| `git request-pull` | {theirs * 1000:,.0f} ms | 1.00× |\n"
        f"| `treemerge request-pull --format text --dry-run` after `sync` (ownership verdict, "
        f"conflict forecast against 7 trees) | {warm * 1000:,.0f} ms | {warm / theirs:.2f}× |\n"
        f"| the same with nothing learnt (every commit's changes read by the command) "
        f"| {cold * 1000:,.0f} ms | {cold / theirs:.2f}× |"
    )
    print(report)
    if args.write:
        update_section(args.write, "bench_request_pull", report)


if __name__ == "__main__":
    main()
