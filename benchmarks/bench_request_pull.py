"""Benchmark: `treemerge request-pull --format text --dry-run` against `git request-pull`.

On the Nova-scale fixture (60,000 main-tree commits), two pulls of 1,800 commits, each
written by treemerge (with the ownership verdict and the conflict forecast against the
upstream and the fixture's six other subsystem trees) and by `git request-pull` for the
same range, tag and URL, in the same run:

  * every area: the libvirt tree is given the main tree's last 1,800 commits as its
    pending work and the main tree is set back to where they start, so the pull touches
    every area (the worst case for the ownership verdict: thousands of foreign paths,
    and the largest diffstat);
  * the subsystem's own: 1,800 commits of the libvirt tree's own on the main tree's tip,
    inside its paths (the usual pull: a small diffstat, no foreign path).

`treemerge sync` runs first, as a maintainer would before asking for a pull; it learns
the paths each pending commit changed. The every-area pull is also timed with nothing
learnt (that file removed before every run, so the command reads every commit's
changes itself).

Usage: .venv/bin/python -m benchmarks.bench_request_pull [--commits 60000] [--runs 5]
       [--write docs/performance.md]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.common import (
    TREEMERGE,
    arguments,
    libraries_of,
    nova_fixture,
    publish,
    timed,
    wall,
    walls,
)
from treemerge.app.project import open_project
from treemerge.app.request_pull import RequestOptions, prepare_pull
from treemerge.core.pullplan import pull_date
from treemerge.gitio.fastimport import Commit, import_commits
from treemerge.gitio.run import run_git
from treemerge.sandbox.fixture import Fixture
from treemerge.store.changed import FILE_NAME

RANGE = 1800


def main() -> None:
    args = arguments(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        fixture = nova_fixture(tmp, args.commits)
        dest, tip = fixture.dest, fixture.head
        base = run_git(["rev-parse", f"{tip}~{RANGE}"], cwd=fixture.main).decode().strip()
        wide = measure(fixture, base, tip, "libvirt-for-main-wide", args.runs)
        inside = in_process(dest, "libvirt-for-main-wide", args.runs)
        files, foreign = verdict(dest)
        learnt = dest / ".treemerge" / FILE_NAME
        cold = wall(
            pull_command("libvirt-for-main-wide"),
            dest,
            args.runs,
            before=lambda: learnt.unlink(missing_ok=True),
        )
        own_head = own_work(fixture, tip)
        own = measure(fixture, tip, own_head, "libvirt-for-main-own", args.runs)
        # Python, click and the command's modules loaded, nothing asked of git.
        loaded = wall([*TREEMERGE, "request-pull", "--help"], dest, args.runs)
        libraries = libraries_of("treemerge.cli.main", "treemerge.cli.request_pull")
        floor = wall(libraries, dest, args.runs)
    report = (
        f"Nova-scale fixture, {args.commits:,} commits; pulls of {RANGE:,} commits; median of "
        f"{args.runs} runs; {os.cpu_count()} cores. treemerge's figures include the ownership "
        "verdict and the conflict forecast against 7 trees.\n\n"
        "| pull | `git request-pull` | `treemerge request-pull --format text --dry-run` "
        "| ratio |\n| --- | ---: | ---: | ---: |\n"
        f"| every area ({files:,} files, {foreign:,} of them foreign) | {wide[0] * 1000:,.0f} ms "
        f"| {wide[1] * 1000:,.0f} ms | {wide[1] / wide[0]:.2f}× |\n"
        f"| the same, nothing learnt by `sync` | {wide[0] * 1000:,.0f} ms "
        f"| {cold * 1000:,.0f} ms | {cold / wide[0]:.2f}× |\n"
        f"| the subsystem's own (inside its paths) | {own[0] * 1000:,.0f} ms "
        f"| {own[1] * 1000:,.0f} ms | {own[1] / own[0]:.2f}× |\n\n"
        f"Of each command's time, {loaded * 1000:,.0f} ms is Python, click and the command "
        "loaded (`treemerge request-pull --help`); Python with the libraries the command "
        f"loads, and no treemerge code, takes {floor * 1000:,.0f} ms. In a warm process "
        f"the every-area pull takes {inside * 1000:,.0f} ms; with those libraries, the "
        f"least a command could take is {(floor + inside) / wide[0]:.2f}× git request-pull."
    )
    publish(args, "bench_request_pull", report)


def in_process(dest: Path, tag: str, runs: int) -> float:
    """Median seconds of the pull's text made in a warm process (no interpreter
    start-up), the project opened afresh each time as the command opens it."""
    now = int(time.time())
    options = RequestOptions(date=pull_date(now), now=now, tag=tag, dry_run=True)

    def pull() -> None:
        project = open_project(dest / "maintainers.cfg", dest)
        prepare_pull(project, "libvirt", options).render_text()

    pull()  # warm: imports
    return statistics.median(timed(pull, runs))


def verdict(dest: Path) -> tuple[int, int]:
    """How many files the libvirt tree's pending work changes, and how many are foreign."""
    done = subprocess.run(
        [*TREEMERGE, "check", "libvirt", "--json"], cwd=dest, capture_output=True, check=False
    )
    document = json.loads(done.stdout)
    return len(document["files"]), int(document["violations"])


def pull_command(tag: str) -> list[str]:
    return [*TREEMERGE, "request-pull", "libvirt", "--tag", tag, "--format", "text", "--dry-run"]


def measure(fixture: Fixture, base: str, head: str, tag: str, runs: int) -> tuple[float, float]:
    """The libvirt tree at `head`, the main tree at `base`, synced and tagged: the median
    seconds of `git request-pull` and of treemerge's."""
    libvirt = str(fixture.trees["libvirt"])
    run_git(["push", "-q", "-f", libvirt, f"{head}:refs/heads/for-main"], cwd=fixture.main)
    run_git(["update-ref", f"refs/heads/{fixture.branch}", base], cwd=fixture.main)
    subprocess.run([*TREEMERGE, "sync", "-q"], cwd=fixture.dest, check=True)
    repo = fixture.dest / ".treemerge" / "repo.git"
    run_git(["tag", "-a", "-m", "Virt work for main", tag, head], cwd=repo)
    run_git(["push", "-q", libvirt, f"refs/tags/{tag}"], cwd=repo)
    theirs, ours = walls(
        [(["git", "request-pull", base, libvirt, tag], repo), (pull_command(tag), fixture.dest)],
        runs,
    )
    return theirs, ours


def own_work(fixture: Fixture, tip: str) -> str:
    """1,800 commits on `tip`, each changing one of the libvirt driver's files (written
    into the main tree's repository, which the libvirt tree is then given)."""
    listing = run_git(["ls-tree", "-r", "--name-only", tip, "nova/virt/libvirt/"], cwd=fixture.main)
    files = listing.decode().split()
    branch = "libvirt-own"
    commits = [
        Commit(
            f"libvirt: change {n}\n",
            {files[n % len(files)]: f"change {n}\n".encode()},
            branch=branch,
            author=f"Dev {n % 17} <dev{n % 17}@example.org>",
            timestamp=1_764_000_000 + n,
            parents=(tip,) if n == 0 else (),
        )
        for n in range(RANGE)
    ]
    import_commits(Path(fixture.main), commits)
    return run_git(["rev-parse", f"refs/heads/{branch}"], cwd=fixture.main).decode().strip()


if __name__ == "__main__":
    main()
