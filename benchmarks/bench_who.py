"""Benchmark: classify all 39,724 paths of Linux 3.6 with `treemerge who --json`.

Runs, in one go and on the same data:
  * treemerge's matching alone, in process (parse MAINTAINERS, compile, owners of every path);
  * the whole command, `treemerge who --maintainers MAINTAINERS --rev HEAD --paths-from
    files.txt --json`, in a fresh process each time (wall time and peak memory);
  * git itself classifying the same paths by patterns: `git check-attr --stdin` with a
    .gitattributes written from `treemerge maintainers export` (the same ownership in
    git's own pattern engine), and `git ls-tree -r` (just reading the tree);
  * optionally get_maintainer.pl on a sample (GET_MAINTAINER=/path/to/get_maintainer.pl).

Usage: .venv/bin/python -m benchmarks.bench_who [--runs 5] [--write docs/performance.md]
"""

from __future__ import annotations

import gzip
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.common import TREEMERGE, arguments, publish, timed
from treemerge.core.maintainers_file import parse_maintainers
from treemerge.core.matcher import OwnershipIndex
from treemerge.gitio.fastimport import checkout_of_paths

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "linux-3.6"  # the Linux 3.6 data, compressed


def run_measured(argv: Sequence[str], cwd: Path, stdin: Path | None = None) -> tuple[float, int]:
    """Wall seconds and peak resident memory (KiB) of one fresh process."""
    with open(os.devnull, "wb") as sink, open(stdin or os.devnull, "rb") as source:
        started = time.perf_counter()
        process = subprocess.Popen(argv, cwd=cwd, stdin=source, stdout=sink)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(argv)}")
    return elapsed, usage.ru_maxrss


def matching_only(paths: list[str], directories: set[str]) -> None:
    ownership = parse_maintainers(gzip.decompress((DATA / "MAINTAINERS.gz").read_bytes()))
    index = OwnershipIndex(ownership, directories.__contains__)
    for path in paths:
        index.owners(path)


def gitattributes_from_codeowners(codeowners: str) -> str:
    """The CODEOWNERS rules as git attributes (`owner=...`), same patterns, same order."""
    lines = []
    for line in codeowners.splitlines():
        if line and not line.startswith("#"):
            pattern, *owners = line.split(" ")
            if pattern.endswith("/"):
                pattern += "**"
            lines.append(f"{pattern} owner={','.join(owners) or 'none'}")
    return "\n".join(lines) + "\n"


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def main() -> None:
    args = arguments(__doc__, commits=False)
    treemerge = TREEMERGE

    with tempfile.TemporaryDirectory() as tmp:
        files = Path(tmp) / "files.txt"
        files.write_bytes(gzip.decompress((DATA / "files.txt.gz").read_bytes()))
        paths = [p for p in files.read_text().split("\n") if p]
        directories = {p[:i] for p in paths for i in range(len(p)) if p[i] == "/"}
        maintainers = gzip.decompress((DATA / "MAINTAINERS.gz").read_bytes())
        repo = checkout_of_paths(Path(tmp) / "linux", paths, {"MAINTAINERS": maintainers})
        match_times = timed(lambda: matching_only(paths, directories), args.runs)
        who = [*treemerge, "who", "--maintainers", "MAINTAINERS", "--rev", "HEAD",
               "--paths-from", str(files), "--json"]  # fmt: skip
        whole = [run_measured(who, repo) for _ in range(args.runs)]
        codeowners = subprocess.run(
            [*treemerge, "maintainers", "export", "--maintainers", "MAINTAINERS"],
            cwd=repo, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        (repo / ".git" / "info" / "attributes").write_text(
            gitattributes_from_codeowners(codeowners)
        )
        check_attr = ["git", "check-attr", "--stdin", "owner"]
        git_attr = [run_measured(check_attr, repo, files)[0] for _ in range(args.runs)]
        ls_tree = ["git", "ls-tree", "-r", "--name-only", "HEAD"]
        git_ls = [run_measured(ls_tree, repo)[0] for _ in range(args.runs)]
        rules = sum(1 for line in codeowners.splitlines() if line and line[0] != "#")
        sample = get_maintainer_sample(repo, paths)

    who_s = [t for t, _ in whole]
    peak_mb = max(rss for _, rss in whole) / 1024
    rows = [
        ("treemerge matching only (in process)", median_ms(match_times),
         median_ms(match_times) * 1000 / len(paths)),
        ("treemerge who --json (whole command)", median_ms(who_s),
         median_ms(who_s) * 1000 / len(paths)),
        (f"git check-attr --stdin ({rules} rules from the export)", median_ms(git_attr),
         median_ms(git_attr) * 1000 / len(paths)),
        ("git ls-tree -r --name-only (reading the tree)", median_ms(git_ls),
         median_ms(git_ls) * 1000 / len(paths)),
    ]  # fmt: skip
    if sample is not None:
        rows.append(
            ("get_maintainer.pl --sections -f (sample, per path)", sample * 1000, sample * 1e6)
        )
    report = render(rows, len(paths), args.runs, peak_mb, median_ms(who_s) / median_ms(git_attr))
    publish(args, "bench_who", report)


def get_maintainer_sample(repo: Path, paths: list[str]) -> float | None:
    """Seconds per path of get_maintainer.pl on 50 paths, when GET_MAINTAINER names it."""
    script = os.environ.get("GET_MAINTAINER")
    if not script:
        return None
    sample = paths[:: len(paths) // 50][:50]
    for path in sample:  # get_maintainer.pl wants the files on disk
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).touch()
    started = time.perf_counter()
    for path in sample:
        subprocess.run(["perl", script, "--sections", "-f", path], cwd=repo,
                       capture_output=True, check=False)  # fmt: skip
    return (time.perf_counter() - started) / len(sample)


def render(
    rows: list[tuple[str, float, float]], paths: int, runs: int, peak_mb: float, ratio: float
) -> str:
    lines = [
        f"Linux 3.6: {paths:,} paths, 1,944 F: patterns; median of {runs} runs; "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}.",
        "",
        "| what | median | per path |",
        "| --- | ---: | ---: |",
    ]
    lines += [f"| {name} | {ms:,.0f} ms | {us:.1f} µs |" for name, ms, us in rows]
    lines += [
        "",
        f"Peak memory of the whole command: {peak_mb:.0f} MB. "
        f"Ratio whole command / git check-attr: {ratio:.2f}×.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
