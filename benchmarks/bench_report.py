"""Benchmark: the `next` HTML report at linux-next's size (400 trees by default).

The report is pure rendering of a `NextResult`, so a synthetic one of the right shape
serves (treemerge.sandbox.linux_next: 30 conflicting pairs, trees left out, held back,
never synced, failing tests). Measured, in the same run:
  * rendering the page (in process) and its size;
  * headless Chromium opening it and drawing the first screen (a fresh process and
    profile each time, as a person's first look), by turns with an empty page, whose
    time is the browser's own start-up: the difference is the report's load.

Usage: .venv/bin/python -m benchmarks.bench_report [--trees 400] [--runs 5] [--write FILE]
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.common import arguments, publish, timed
from tests.e2e.browser import find_chromium, run_chromium
from treemerge.report import render_next_html
from treemerge.sandbox.linux_next import linux_next_result

EMPTY = "<!DOCTYPE html>\n<html lang=en><meta charset=utf-8><title>empty</title><p>empty</p>\n"


def chromium_loads(chromium: Path, pages: list[Path], scratch: Path, runs: int) -> list[float]:
    """Median wall seconds of Chromium drawing each of `pages`, the pages taking turns
    within each round."""
    times: list[list[float]] = [[] for _ in pages]
    for _ in range(runs):
        for page, spent in zip(pages, times, strict=True):
            png = scratch / f"{page.stem}.png"
            started = time.perf_counter()
            done = run_chromium(
                chromium, page, scratch, "--window-size=1400,1000", f"--screenshot={png}"
            )
            spent.append(time.perf_counter() - started)
            if done.returncode or not png.is_file():
                raise SystemExit(f"chromium failed on {page}: {done.stderr[-500:]}")
    return [statistics.median(spent) for spent in times]


def main() -> None:
    args = arguments(__doc__, commits=False, trees=400)
    result = linux_next_result(args.trees)
    document = result.as_dict()
    render = statistics.median(timed(lambda: render_next_html(document), args.runs))
    html = render_next_html(document)
    chromium = find_chromium()
    if isinstance(chromium, str):
        raise SystemExit(f"headless Chromium is not available: {chromium}")
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        page, empty = scratch / "next.html", scratch / "empty.html"
        page.write_text(html, encoding="utf-8")
        empty.write_text(EMPTY, encoding="utf-8")
        size = page.stat().st_size
        loaded, baseline = chromium_loads(chromium, [page, empty], scratch, args.runs)
    conflicting = sum(1 for row in result.cells if any(row))
    left_out = sum(1 for tree in result.trees if not tree.merged)
    held_back = sum(1 for tree in result.trees if tree.fallback)
    report = (
        f"{args.trees} trees (synthetic), {conflicting} of them in conflicting pairs, "
        f"{left_out} left out, {held_back} at their last good head; median of {args.runs} "
        f"runs; {os.cpu_count()} cores.\n\n"
        "| what | figure |\n| --- | ---: |\n"
        f"| next.html size | {size / 1024:,.0f} KB |\n"
        f"| rendering it (in process) | {render * 1000:,.0f} ms |\n"
        f"| headless Chromium: open it and draw the first screen | {loaded:.2f} s |\n"
        f"| headless Chromium: the same for an empty page | {baseline:.2f} s |\n"
        f"| the report's own load (the difference) | {loaded - baseline:.2f} s |"
    )
    publish(args, "bench_report", report)


if __name__ == "__main__":
    main()
