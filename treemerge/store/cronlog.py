"""The cron log, `.treemerge/cron.log`: one JSON line per step of every run.

It is kept to a bounded size, as logrotate would keep it: at the start of a run, a log
past LOG_LIMIT becomes `cron.log.1` (the one there before is dropped) and the run
starts a new one. Readers of the latest lines (`status`, for each tree's last pull
attempt) read across the two.
"""

from __future__ import annotations

import os
from pathlib import Path

LOG_FILE = "cron.log"
# Past this size a run starts a new log: the two files stay under twice this, about
# five days of runs every half hour over 400 trees (some 130 KB a run).
LOG_LIMIT = 32 * 1024 * 1024


def previous(path: Path) -> Path:
    """Where the log before `path` is kept."""
    return path.with_name(f"{path.name}.1")


def rotate(path: Path, limit: int | None = None) -> bool:
    """Start a new log when the one at `path` has grown past `limit` bytes (default
    LOG_LIMIT): it becomes `previous(path)`, in one rename. True when it did."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return False
    if size < (LOG_LIMIT if limit is None else limit):
        return False
    os.replace(path, previous(path))
    return True


def tail(path: Path, size: int) -> list[str]:
    """The whole lines in the last `size` bytes of the log, oldest first: the end of
    `previous(path)` too when the log itself is shorter. A line cut by where the
    reading starts is left out; bytes that are not UTF-8 are replaced."""
    current, used = _tail_of(path, size)
    older, _ = _tail_of(previous(path), size - used)
    return older + current


def _tail_of(path: Path, size: int) -> tuple[list[str], int]:
    """The whole lines in the last `size` bytes of one file, and how many bytes that
    read ((no lines, 0) for a file that is not there)."""
    if size <= 0:
        return [], 0
    try:
        with path.open("rb") as log:
            end = log.seek(0, os.SEEK_END)
            start = max(0, end - size)
            log.seek(start)
            lines = log.read().decode("utf-8", "replace").splitlines()
    except FileNotFoundError:
        return [], 0
    return (lines[1:] if start else lines), end - start
