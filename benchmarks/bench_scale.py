"""Benchmark: linux-next's size — N subsystem trees (400 by default) over the Nova main
tree, treemerge's cron cycle and `next` against the hand-run loops, in one run.

Each tree is a local bare repository sharing the main tree's objects, owning an area
of its own (in maintainers.cfg, with a daily schedule), with two commits of its own;
ten pairs of trees really conflict. Delivery is `none` and there is no test command
(the hand-run loops build nothing). Measured, in the same run:
  * the hand-run fetch loop: `git fetch` of every tree, one at a time, into a
    repository of the maintainer's (first fetch, then again with nothing new);
  * `treemerge cron` (delivery `none`): the first cycle (N pull requests, then the
    integration) and a cycle with nothing new, with its peak memory;
  * the hand-run merge loop: `git merge` of every tree, in order, in a work tree
    (`git merge --abort` on a conflict) against `treemerge next`;
  * eight more cycles, in each of which MOVED trees gain a commit (ten cycles in all):
    the workspace after them (`git count-objects -v`, its size on disk against a
    `git clone --mirror` of the main tree with every tree fetched into it), the
    highest peak memory of any cycle, and the report's size.

Usage: .venv/bin/python -m benchmarks.bench_scale [--trees 400] [--commits 60000]
       [--write FILE]
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from benchmarks.common import (
    TREEMERGE,
    arguments,
    configure_trees,
    new_tree,
    nova_fixture,
    publish,
    release_commit,
)
from treemerge.gitio.fastimport import Commit, import_commits
from treemerge.gitio.run import git_call, run_git
from treemerge.sandbox.fixture import Fixture

CONFLICTING_PAIRS = 10
CYCLES = 10
MOVED = 10  # trees that gain a commit in each cycle after the first two


def add_scale_trees(fixture: Fixture, count: int) -> list[str]:
    """`count` trees, each with two commits in an area of its own (and, for the first
    ten pairs, one file both trees of the pair change differently)."""
    base = release_commit(fixture)
    ids = []
    for n in range(count):
        ident = f"area{n}"
        first = {f"areas/{ident}/notes-{k}.txt": f"{ident} {k}\n".encode() for k in range(3)}
        second = {f"areas/{ident}/notes-0.txt": f"{ident} again\n".encode()}
        if n < 2 * CONFLICTING_PAIRS:
            second[f"shared/pair-{n // 2}.txt"] = f"as {ident} has it\n".encode()
        commits = [
            Commit(f"{ident}: notes", first, branch="for-main", parents=(base,)),
            Commit(f"{ident}: more notes", second, branch="for-main"),
        ]
        new_tree(fixture, ident, commits)
        ids.append(ident)
    configure_trees(fixture, ids, area="areas/{}/", schedule="daily")
    return ids


def fetch_loop(repo: Path, fixture: Fixture, ids: list[str]) -> float:
    started = time.perf_counter()
    for ident in ids:
        url = str(fixture.dest / "trees" / f"{ident}.git")
        run_git(
            ["fetch", "-q", "--no-tags", url, f"+refs/heads/for-main:refs/remotes/{ident}"],
            cwd=repo,
        )
    return time.perf_counter() - started


def merge_loop(checkout: Path, base: str, ids: list[str]) -> tuple[float, set[str]]:
    """Seconds of `git merge` tree by tree in a work tree; the trees that merged."""
    run_git(["checkout", "-q", "--detach", base], cwd=checkout)
    merged = set()
    started = time.perf_counter()
    for ident in ids:
        code, _ = git_call(
            ["merge", "-q", "--no-ff", "--no-edit", f"refs/remotes/{ident}"],
            cwd=checkout,
            ok=(0, 1),
        )
        if code:
            run_git(["merge", "--abort"], cwd=checkout)
        else:
            merged.add(ident)
    return time.perf_counter() - started, merged


def measured(argv: list[str], cwd: Path) -> tuple[float, int, int]:
    """Wall seconds, exit status and peak resident memory (KiB) of one process."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - started, os.waitstatus_to_exitcode(status), usage.ru_maxrss


def move_trees(fixture: Fixture, ids: list[str], cycle: int) -> None:
    """MOVED of the trees gain a commit each, in an area file of their own."""
    for n in range(MOVED):
        ident = ids[(cycle * MOVED + n) % len(ids)]
        files = {f"areas/{ident}/cycle-{cycle}.txt": f"{ident} {cycle}\n".encode()}
        tip = ("refs/heads/for-main^0",)
        commit = Commit(f"{ident}: cycle {cycle}", files, branch="for-main", parents=tip)
        import_commits(fixture.dest / "trees" / f"{ident}.git", [commit])


def later_cycles(fixture: Fixture, ids: list[str]) -> tuple[list[float], int]:
    """The cycles after the first two, trees moving: their seconds, and the highest
    peak memory (KiB) of any."""
    seconds, peak = [], 0
    for cycle in range(2, CYCLES):
        move_trees(fixture, ids, cycle)
        spent, status, rss = measured([*TREEMERGE, "cron", "-q"], fixture.dest)
        if status != 0:
            raise SystemExit(f"cron cycle {cycle + 1} failed ({status})")
        seconds.append(spent)
        peak = max(peak, rss)
    return seconds, peak


def disk_size(path: Path) -> int:
    """Bytes of every file under `path`."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def mirror_size(fixture: Fixture, hand: Path, where: Path) -> int:
    """A `git clone --mirror` of the main tree with every tree's branch fetched into it
    (from the hand-run loop's repository, in one fetch)."""
    run_git(["clone", "-q", "--mirror", str(fixture.main), str(where)])
    run_git(["fetch", "-q", str(hand), "+refs/remotes/*:refs/trees/*"], cwd=where)
    return disk_size(where)


def objects(repo: Path) -> dict[str, int]:
    out = run_git(["count-objects", "-v"], cwd=repo).decode()
    return {
        k: int(v) for k, _, v in (line.partition(": ") for line in out.splitlines()) if v.isdigit()
    }


class Figures(NamedTuple):
    first_fetch: float
    noop_fetch: float
    first_cron: tuple[float, int, int]
    noop_cron: tuple[float, int, int]
    merge_seconds: float
    hand_merged: int
    next_run: tuple[float, int, int]
    report_size: int
    after_two: dict[str, int]
    later: list[float]
    later_peak: int
    after_ten: dict[str, int]
    workspace_size: int
    mirror_size: int


def measure(tmp: Path, commits: int, trees: int) -> Figures:
    fixture = nova_fixture(str(tmp), commits)
    ids = add_scale_trees(fixture, trees)
    dest = fixture.dest
    config = fixture.config
    # Delivery `none`, and no test command: the hand-run loops build nothing either
    # (what testing every merged step costs is the command's own, once per tree).
    text = config.read_text().replace("method = email", "method = none")
    config.write_text(text.replace("test-command = python -P -m compileall -q nova\n", ""))
    hand = tmp / "hand"
    run_git(["clone", "-q", "--bare", "--shared", str(fixture.main), str(hand)])
    first_fetch = fetch_loop(hand, fixture, ids)
    noop_fetch = fetch_loop(hand, fixture, ids)
    first_cron = measured([*TREEMERGE, "cron", "-q"], dest)
    noop_cron = measured([*TREEMERGE, "cron", "-q"], dest)
    workspace = dest / ".treemerge" / "repo.git"
    after_two = objects(workspace)
    checkout = tmp / "checkout"
    run_git(["clone", "-q", "--shared", str(hand), str(checkout)])
    run_git(["fetch", "-q", str(hand), "+refs/remotes/*:refs/remotes/*"], cwd=checkout)
    base = run_git(["rev-parse", "refs/trees/main"], cwd=workspace).decode().strip()
    merge_seconds, hand_merged = merge_loop(checkout, base, ids)
    next_run = measured([*TREEMERGE, "next", "--no-test", "--html", str(tmp / "n.html")], dest)
    later, later_peak = later_cycles(fixture, ids)
    return Figures(
        first_fetch,
        noop_fetch,
        first_cron,
        noop_cron,
        merge_seconds,
        len(hand_merged),
        next_run,
        (tmp / "n.html").stat().st_size,
        after_two,
        later,
        later_peak,
        objects(workspace),
        disk_size(dest / ".treemerge"),
        mirror_size(fixture, hand, tmp / "mirror.git"),
    )


def main() -> None:
    parser_args = arguments(__doc__, trees=400)
    with tempfile.TemporaryDirectory() as tmp:
        figures = measure(Path(tmp), parser_args.commits, parser_args.trees)
    publish(parser_args, "bench_scale", render(figures, parser_args.trees, parser_args.commits))


def render(f: Figures, trees: int, commits: int) -> str:
    mb = 1024 * 1024
    first_limit = f.first_fetch + f.merge_seconds
    return (
        f"{trees} subsystem trees over the Nova-scale fixture ({commits:,} commits), "
        f"{CONFLICTING_PAIRS} pairs conflicting; one run; {os.cpu_count()} cores.\n\n"
        "| work | hand-run loop | treemerge | ratio |\n| --- | ---: | ---: | ---: |\n"
        f"| fetch every tree, first time, plus the merge loop / first `cron` cycle ({trees} "
        f"pull requests, then `next`) | {first_limit:.1f} s | {f.first_cron[0]:.1f} s "
        f"| {f.first_cron[0] / first_limit:.2f}× |\n"
        f"| fetch every tree, nothing new / a `cron` cycle with nothing new "
        f"| {f.noop_fetch:.1f} s | {f.noop_cron[0]:.1f} s "
        f"| {f.noop_cron[0] / f.noop_fetch:.2f}× |\n"
        "| merge every tree in order (`git merge` in a work tree) / `next` "
        f"| {f.merge_seconds:.1f} s | {f.next_run[0]:.1f} s "
        f"| {f.next_run[0] / f.merge_seconds:.2f}× |\n\n"
        f"The first fetch loop alone: {f.first_fetch:.1f} s. Peak memory: first cycle "
        f"{f.first_cron[2] / 1024:.0f} MB, no-op cycle {f.noop_cron[2] / 1024:.0f} MB, "
        f"cycles 3 to {CYCLES} ({MOVED} trees moving in each, "
        f"{min(f.later):.1f} to {max(f.later):.1f} s) {f.later_peak / 1024:.0f} MB. "
        f"Workspace after two cycles: {f.after_two.get('count', 0):,} loose objects, "
        f"{f.after_two.get('packs', 0)} packs; after {CYCLES}: "
        f"{f.after_ten.get('count', 0):,} loose objects, {f.after_ten.get('packs', 0)} packs, "
        f"{f.workspace_size / mb:.0f} MB on disk against {f.mirror_size / mb:.0f} MB for a "
        f"`git clone --mirror` with every tree fetched ({f.workspace_size / f.mirror_size:.2f}×). "
        f"next.html: {f.report_size / 1024:.0f} KB. The hand-run loop merged "
        f"{f.hand_merged} trees."
    )


if __name__ == "__main__":
    main()
