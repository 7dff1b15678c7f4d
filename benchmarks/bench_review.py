"""Benchmark: what judging review costs `check` and `request-pull` over 1,800 commits.

On the Nova-scale fixture, the libvirt tree given the main tree's last 1,800 commits
(as in bench_check), each command is timed by turns without a review policy and with
one (`review = 1` for libvirt: every pending commit judged by its trailers, committer,
the review notes and the merges that bring it in). Target: the review part adds at most
20% to either command.

Usage: .venv/bin/python -m benchmarks.bench_review [--commits 60000] [--runs 11] [--write FILE]
"""

from __future__ import annotations

import os
import subprocess
import tempfile

from benchmarks.bench_check import RANGE, give_libvirt
from benchmarks.common import TREEMERGE, arguments, nova_fixture, publish, walls

POLICY = '[subsystem "libvirt"]\nreview = 1\n'


def main() -> None:
    args = arguments(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        fixture = nova_fixture(tmp, args.commits)
        dest = fixture.dest
        subprocess.run([*TREEMERGE, "sync", "-q"], cwd=dest, check=True)
        give_libvirt(fixture, RANGE)
        plain = fixture.config.read_text(encoding="utf-8")
        reviewed = plain.replace('[subsystem "libvirt"]\n', POLICY, 1)
        assert reviewed != plain
        config_with = dest / "with-review.cfg"  # (beside it: the same workspace)
        config_with.write_text(reviewed, encoding="utf-8")
        check = ["check", "libvirt", "--json"]
        pull = ["request-pull", "libvirt", "--format", "text", "--dry-run", "--allow-fresh"]
        figures = []
        for argv in (check, pull):
            without, with_review = walls(
                [
                    ([*TREEMERGE, *argv], dest),
                    ([*TREEMERGE, "--config", str(config_with), *argv], dest),
                ],
                args.runs,
            )
            figures.append((argv[0], without, with_review))
    lines = [
        f"Nova-scale fixture, {args.commits:,} commits; {RANGE:,} pending commits; median of "
        f"{args.runs} runs by turns; {os.cpu_count()} cores.",
        "",
        "| command | no review policy | `review = 1` | the review part |",
        "| --- | ---: | ---: | ---: |",
    ]
    lines += [
        f"| `{name}` | {without * 1000:,.0f} ms | {with_review * 1000:,.0f} ms "
        f"| {(with_review / without - 1) * 100:+.0f}% |"
        for name, without, with_review in figures
    ]
    publish(args, "bench_review", "\n".join(lines))


if __name__ == "__main__":
    main()
