"""Benchmark: linux-next's size — N subsystem trees (400 by default) over the Nova main
tree, treemerge's cron cycle and `next` against the hand-run loops, in one run.

Each tree is a local bare repository sharing the main tree's objects, owning an area
of its own (in maintainers.cfg, with a daily schedule), with two commits of its own;
ten pairs of trees really conflict. Measured, in the same run:
  * the hand-run fetch loop: `git fetch` of every tree, one at a time, into a
    repository of the maintainer's (first fetch, then again with nothing new);
  * `treemerge cron` (delivery `none`): the first cycle (N pull requests, then the
    integration) and a cycle with nothing new, with its peak memory;
  * the hand-run merge loop: `git merge` of every tree, in order, in a work tree
    (`git merge --abort` on a conflict) against `treemerge next`;
  * the workspace after the cycles (`git count-objects -v`) and the report's size.

Usage: .venv/bin/python -m benchmarks.bench_scale [--trees 400] [--commits 60000]
       [--write FILE]
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.common import (
    TREEMERGE,
    arguments,
    configure_trees,
    new_tree,
    nova_fixture,
    publish,
    release_commit,
)
from treemerge.gitio.fastimport import Commit
from treemerge.gitio.run import git_call, run_git
from treemerge.sandbox.fixture import Fixture

CONFLICTING_PAIRS = 10


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


def objects(repo: Path) -> dict[str, int]:
    out = run_git(["count-objects", "-v"], cwd=repo).decode()
    return {
        k: int(v) for k, _, v in (line.partition(": ") for line in out.splitlines()) if v.isdigit()
    }


def main() -> None:
    parser_args = arguments(__doc__, trees=400)
    trees = parser_args.trees
    with tempfile.TemporaryDirectory() as tmp:
        fixture = nova_fixture(tmp, parser_args.commits)
        ids = add_scale_trees(fixture, trees)
        dest = fixture.dest
        config = fixture.config
        config.write_text(config.read_text().replace("method = email", "method = none"))
        hand = Path(tmp) / "hand"
        run_git(["clone", "-q", "--bare", "--shared", str(fixture.main), str(hand)])
        first_fetch = fetch_loop(hand, fixture, ids)
        noop_fetch = fetch_loop(hand, fixture, ids)
        first_cron = measured([*TREEMERGE, "cron", "-q"], dest)
        noop_cron = measured([*TREEMERGE, "cron", "-q"], dest)
        workspace = dest / ".treemerge" / "repo.git"
        after = objects(workspace)
        checkout = Path(tmp) / "checkout"
        run_git(["clone", "-q", "--shared", str(hand), str(checkout)])
        run_git(["fetch", "-q", str(hand), "+refs/remotes/*:refs/remotes/*"], cwd=checkout)
        base = run_git(["rev-parse", "refs/trees/main"], cwd=workspace).decode().strip()
        merge_seconds, hand_merged = merge_loop(checkout, base, ids)
        ours = measured(
            [*TREEMERGE, "next", "--no-test", "--html", str(Path(tmp) / "n.html")], dest
        )
        report_size = (Path(tmp) / "n.html").stat().st_size
    report = (
        f"{trees} subsystem trees over the Nova-scale fixture ({parser_args.commits:,} commits), "
        f"{CONFLICTING_PAIRS} pairs conflicting; one run; {os.cpu_count()} cores.\n\n"
        "| work | hand-run loop | treemerge | ratio |\n| --- | ---: | ---: | ---: |\n"
        f"| fetch every tree, first time / first `cron` cycle ({trees} pull requests, then "
        f"`next`) | {first_fetch:.1f} s | {first_cron[0]:.1f} s "
        f"| {first_cron[0] / first_fetch:.2f}× |\n"
        f"| fetch every tree, nothing new / a `cron` cycle with nothing new | {noop_fetch:.1f} s "
        f"| {noop_cron[0]:.1f} s | {noop_cron[0] / noop_fetch:.2f}× |\n"
        "| merge every tree in order (`git merge` in a work tree) / `next` "
        f"| {merge_seconds:.1f} s "
        f"| {ours[0]:.1f} s | {ours[0] / merge_seconds:.2f}× |\n\n"
        f"Peak memory: first cycle {first_cron[2] / 1024:.0f} MB, no-op cycle "
        f"{noop_cron[2] / 1024:.0f} MB. Workspace after both cycles: {after.get('count', 0):,} "
        f"loose objects ({after.get('size', 0) / 1024:.0f} MB), {after.get('in-pack', 0):,} "
        f"packed. next.html: {report_size / 1024:.0f} KB. The hand-run loop merged "
        f"{len(hand_merged)} trees."
    )
    publish(parser_args, "bench_scale", report)


if __name__ == "__main__":
    main()
