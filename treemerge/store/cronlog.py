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


def rotate(path: Path, limit: int | None = None) -> str | None:
    """Start a new log when the one at `path` has grown past `limit` bytes (default
    LOG_LIMIT): it becomes `previous(path)`, in one rename. None when that was done or
    not needed; else why it could not be (the log is then left as it is, to grow)."""
    try:
        if path.stat().st_size < (LOG_LIMIT if limit is None else limit):
            return None
        os.replace(path, previous(path))
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot start a new {path.name} ({previous(path)}: {exc.strerror or exc})"
    return None


def tail(path: Path, size: int) -> list[str]:
    """The whole lines in the last `size` bytes of the log, oldest first: the end of
    `previous(path)` too when the log itself is shorter. A line cut by where the
    reading starts is left out; bytes that are not UTF-8 are replaced. A file that
    cannot be read (a directory in its place, no permission) gives no lines: the
    log's lines are hints for `status`, and cron says what is wrong with the files
    when it writes them."""
    current, used = _tail_of(path, size)
    older, _ = _tail_of(previous(path), size - used)
    return older + current


def _tail_of(path: Path, size: int) -> tuple[list[str], int]:
    """The whole lines in the last `size` bytes of one file, and how many bytes that
    read ((no lines, 0) for a file that is not there or cannot be read)."""
    if size <= 0:
        return [], 0
    try:
        with path.open("rb") as log:
            end = log.seek(0, os.SEEK_END)
            start = max(0, end - size)
            log.seek(start)
            lines = log.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return [], 0
    return (lines[1:] if start else lines), end - start
