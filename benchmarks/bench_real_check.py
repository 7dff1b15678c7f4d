"""Benchmark: `check` on Nova's real history, from a release to master.

Nova's own repository is needed; anyone can make a copy:

    git clone --mirror https://opendev.org/openstack/nova nova.git

A workspace is set up over it the way the Nova-scale fixture's is (this repository's
maintainers.cfg, every subsystem with a tree): the main tree at BASE, every subsystem
tree at BASE too except libvirt, at HEAD, so that all of BASE..HEAD (every team's work,
renames included) is libvirt's pending work. The trees and the workspace borrow the
repository's objects (git alternates), so that `treemerge sync` copies nothing; it then
runs as usual (fetch, commit-graph, learning what every pending commit changed).
Timed, the commands taking turns: `treemerge check libvirt --json` against
`git log --name-only BASE..HEAD` in the workspace repository, and for context the net
diff with and without rename detection.

Usage: .venv/bin/python -m benchmarks.bench_real_check --repo nova.git
           [--base 29.0.0] [--head master] [--runs 11] [--write docs/performance.md]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from pathlib import Path

from benchmarks.bench_check import in_process
from benchmarks.common import ROOT, TREEMERGE, arguments, libraries_of, publish, walls
from treemerge.app.project import open_project
from treemerge.core.config import parse_config
from treemerge.gitio.run import run_git
from treemerge.sandbox.fixture_config import fixture_config

SUBSYSTEM = "libvirt"


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", type=Path, required=True, help="a clone of Nova")
    parser.add_argument("--base", default="29.0.0", help="where the main tree stands")
    parser.add_argument("--head", default="master", help="where the libvirt tree stands")


def commit_of(repo: Path, rev: str) -> str:
    return run_git(["rev-parse", "--verify", f"{rev}^{{commit}}"], cwd=repo).decode().strip()


def borrowing(path: Path, objects: str, refs: dict[str, str]) -> None:
    """A bare repository at `path` (made when missing) that borrows `objects`, with `refs`."""
    if not (path / "HEAD").is_file():
        run_git(["init", "-q", "--bare", str(path)])
    (path / "objects" / "info" / "alternates").write_text(objects + "\n")
    for ref, commit in refs.items():
        run_git(["update-ref", ref, commit], cwd=path)


def workspace(dest: Path, repo: Path, base: str, head: str) -> Path:
    """The project at `dest` (maintainers.cfg, main.git, trees/*.git) over `repo`,
    synced; its workspace repository."""
    objects = run_git(["rev-parse", "--path-format=absolute", "--git-path", "objects"], cwd=repo)
    borrow = objects.decode().strip()
    text = (ROOT / "maintainers.cfg").read_text(encoding="utf-8")
    ids = [s.id for s in parse_config(text).subsystems]
    (dest / "maintainers.cfg").write_text(fixture_config(text, ids), encoding="utf-8")
    borrowing(dest / "main.git", borrow, {"refs/heads/master": base})
    for ident in ids:
        tip = head if ident == SUBSYSTEM else base
        borrowing(dest / "trees" / f"{ident}.git", borrow, {"refs/heads/for-main": tip})
    project = open_project(dest / "maintainers.cfg", dest)
    project.workspace.ensure()
    # Refs of its own to the commits it borrows: git's check that a fetch brought
    # everything then stops at once, instead of walking all of Nova's history.
    ours = {"refs/borrowed/base": base, "refs/borrowed/head": head}
    borrowing(project.workspace.path, borrow, ours)
    subprocess.run([*TREEMERGE, "sync", "-q"], cwd=dest, check=True)
    return project.workspace.path


def main() -> None:
    args = arguments(__doc__, commits=False, more=options)
    repo = args.repo.resolve()
    base, head = commit_of(repo, args.base), commit_of(repo, args.head)
    span = f"{base}..{head}"
    with tempfile.TemporaryDirectory() as tmp:
        dest = Path(tmp)
        git_dir = workspace(dest, repo, base, head)
        check = [*TREEMERGE, "check", SUBSYSTEM, "--json"]
        diff = ["git", "diff", "--raw", base, head]
        commands = [
            (check, dest),
            (["git", "log", "--name-only", span], git_dir),
            ([*diff, "-M"], git_dir),
            ([*diff, "--no-renames"], git_dir),
            (libraries_of("treemerge.cli.main", "treemerge.cli.check"), dest),
        ]
        times = walls(commands, args.runs)
        inside = in_process(dest, args.runs)
        facts = shape(dest, git_dir, base, head)
    publish(args, "bench_real_check", render(args, times, inside, facts))


def shape(dest: Path, git_dir: Path, base: str, head: str) -> dict[str, int]:
    """What the range holds: commits, paths by change letter, foreign paths."""
    done = subprocess.run(
        [*TREEMERGE, "check", SUBSYSTEM, "--json"], cwd=dest, capture_output=True, check=False
    )
    document = json.loads(done.stdout)
    letters = [f["change"] for f in document["files"]]
    names = run_git(["diff", "-z", "--name-only", "--no-renames", base, head], cwd=git_dir)
    return {
        "commits": document["commits"],
        "paths": names.count(b"\0"),
        "judged": len(letters),
        "renamed": letters.count("R") // 2,
        "added": letters.count("A"),
        "deleted": letters.count("D"),
        "foreign": document["violations"],
    }


def render(
    args: argparse.Namespace, times: list[float], inside: float, facts: dict[str, int]
) -> str:
    ours, log, renames, plain, libraries = times
    rows = [
        ("`git log --name-only`", log),
        (f"`treemerge check {SUBSYSTEM} --json`", ours),
        ("the check in process", inside),
        ("Python with the libraries `check` loads, no treemerge code", libraries),
        ("the two above: the least a command could take", libraries + inside),
        ("`git diff --raw -M` (the net diff, renames paired)", renames),
        ("`git diff --raw --no-renames`", plain),
    ]
    return "\n".join(
        [
            f"Nova {args.base}..{args.head}: {facts['commits']:,} commits, "
            f"{facts['paths']:,} paths changed ({facts['renamed']:,} renames, "
            f"{facts['added']:,} other adds, {facts['deleted']:,} other deletes: "
            f"{facts['judged']:,} paths judged, {facts['foreign']:,} of them foreign "
            f"to {SUBSYSTEM}); median of {args.runs} runs; {os.cpu_count()} cores.",
            "",
            "| command | median | × git log |",
            "| --- | ---: | ---: |",
            *[f"| {what} | {spent * 1000:,.0f} ms | {spent / log:.2f}× |" for what, spent in rows],
        ]
    )


if __name__ == "__main__":
    main()
