"""Benchmark: `treemerge next` over 20 trees of the Nova-scale fixture, against git.

In the same run, on the same workspace repository, taking turns:
  * `treemerge next --no-test --json` (a fresh process: start-up, the pairwise matrix,
    the chained merges, the report);
  * the same in a warm process (the project opened, the integration built, its notices
    delivered, its JSON made): the integration's own work, without Python's start-up;
  * the same chain by hand with git: `git merge-tree --write-tree` then
    `git commit-tree` for each tree in order (no matrix);
  * the same chain with `git merge` in a work tree (a checkout of the upstream's tip,
    `git merge --no-ff` per tree, `git merge --abort` on a conflict).

Usage: .venv/bin/python -m benchmarks.bench_next [--commits 60000] [--runs 5] [--write FILE]
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

from benchmarks.common import (
    TREEMERGE,
    add_trees,
    arguments,
    by_turns,
    nova_fixture,
    process,
    publish,
)
from treemerge.app.integration import build_next, notify_next
from treemerge.app.project import open_project
from treemerge.gitio.run import git_call, run_git

TREES = 20


def merge_tree_chain(repo: Path, base: str, trees: list[str]) -> None:
    current = base
    for tree in trees:
        code, out = git_call(
            ["merge-tree", "--write-tree", current, f"refs/trees/{tree}"], cwd=repo, ok=(0, 1)
        )
        if code == 0:
            merged = out.decode().split()[0]
            current = (
                run_git(
                    [
                        "commit-tree",
                        merged,
                        "-p",
                        current,
                        "-p",
                        f"refs/trees/{tree}",
                        "-m",
                        f"Merge {tree}",
                    ],
                    cwd=repo,
                )
                .decode()
                .strip()
            )


def worktree_chain(checkout: Path, base: str, trees: list[str]) -> None:
    run_git(["checkout", "-q", "--detach", base], cwd=checkout)
    for tree in trees:
        code, _ = git_call(
            ["merge", "-q", "--no-ff", "--no-edit", f"refs/trees/{tree}"], cwd=checkout, ok=(0, 1)
        )
        if code:
            run_git(["merge", "--abort"], cwd=checkout)


def integrate(dest: Path) -> None:
    """What `next --no-test --json` does once Python is loaded."""
    project = open_project(dest / "maintainers.cfg", dest)
    result = build_next(project, run_tests=False)
    notify_next(project, result)
    json.dumps(result.as_dict())


def main() -> None:
    args = arguments(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        fixture = nova_fixture(tmp, args.commits)
        extra = add_trees(fixture, TREES)
        dest = fixture.dest
        treemerge = TREEMERGE
        subprocess.run([*treemerge, "sync", "-q"], cwd=dest, check=True)
        repo = dest / ".treemerge" / "repo.git"
        base = run_git(["rev-parse", "refs/trees/main"], cwd=repo).decode().strip()
        order = [*fixture.trees, *extra]
        checkout = Path(tmp) / "checkout"
        run_git(["clone", "-q", "--shared", str(repo), str(checkout)])
        run_git(["fetch", "-q", str(repo), "+refs/trees/*:refs/trees/*"], cwd=checkout)
        command = [*treemerge, "next", "--no-test", "--json"]
        integrate(dest)  # warm: imports, and the notices of the conflicting pair sent
        ours, inside, plumbing, worktree = by_turns(
            [
                process(command, dest),
                lambda: integrate(dest),
                lambda: merge_tree_chain(repo, base, order),
                lambda: worktree_chain(checkout, base, order),
            ],
            args.runs,
        )
    report = (
        f"Nova-scale fixture, {args.commits:,} commits; {len(order)} trees (one pair "
        f"conflicting); median of {args.runs} runs; {os.cpu_count()} cores.\n\n"
        "| how | median | treemerge next / it |\n| --- | ---: | ---: |\n"
        f"| `treemerge next --no-test --json` (with the pairwise matrix) | "
        f"{ours * 1000:,.0f} ms | 1.00× |\n"
        f"| `git merge-tree --write-tree` + `git commit-tree`, tree by tree | "
        f"{plumbing * 1000:,.0f} ms | {ours / plumbing:.2f}× |\n"
        f"| `git merge` in a work tree, tree by tree | {worktree * 1000:,.0f} ms | "
        f"{ours / worktree:.2f}× |\n\n"
        f"The integration's own work, in a warm process, is {inside * 1000:,.0f} ms: "
        f"{inside / plumbing:.2f}× the plumbing chain."
    )
    publish(args, "bench_next", report)


if __name__ == "__main__":
    main()
