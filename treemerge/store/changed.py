"""The paths each commit changed, remembered in the workspace.

What a commit changed never changes, yet finding it costs git a tree diff per commit:
`check`, `status` and `request-pull` would pay that for the same pending commits on
every run. `sync` learns the pending commits of every tree once, and each command
learns the ones it meets that are not known yet.

This file is a cache and nothing else: when it cannot be used it is left alone and the
answers come from git, the same as before anything was learnt.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

FILE_NAME = "changed-paths.sqlite"
SCHEMA = "CREATE TABLE IF NOT EXISTS changed (commit_id TEXT PRIMARY KEY, paths BLOB NOT NULL)"
# Keys per query, well under sqlite's limit on bound parameters.
CHUNK = 500


class ChangedPaths:
    """Commit id -> the paths it changed against its first parent (none for a merge)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._broken = False
        self._lock = threading.Lock()  # one connection, used by any thread in turn

    def _connect(self) -> sqlite3.Connection | None:
        if self._db is None and not self._broken:
            try:
                db = sqlite3.connect(
                    self.path, timeout=10, isolation_level=None, check_same_thread=False
                )
                db.execute(SCHEMA)
                self._db = db
            except sqlite3.Error:
                self._broken = True
        return self._db

    def lookup(self, commits: Sequence[str]) -> dict[str, tuple[str, ...]]:
        with self._lock:
            return self._lookup(commits)

    def _lookup(self, commits: Sequence[str]) -> dict[str, tuple[str, ...]]:
        db = self._connect() if commits else None
        if db is None:
            return {}
        found: dict[str, tuple[str, ...]] = {}
        try:
            for start in range(0, len(commits), CHUNK):
                chunk = commits[start : start + CHUNK]
                marks = ",".join("?" * len(chunk))
                query = f"SELECT commit_id, paths FROM changed WHERE commit_id IN ({marks})"  # noqa: S608 - placeholders only
                for sha, paths in db.execute(query, chunk):
                    found[sha] = _split(paths)
        except sqlite3.Error:
            self._broken = True
            return {}
        return found

    def remember(self, changed: dict[str, tuple[str, ...]]) -> None:
        with self._lock:
            self._remember(changed)

    def _remember(self, changed: dict[str, tuple[str, ...]]) -> None:
        db = self._connect() if changed else None
        if db is None:
            return
        rows = [(sha, _join(paths)) for sha, paths in changed.items()]
        try:
            with db:
                db.execute("BEGIN")
                db.executemany("INSERT OR REPLACE INTO changed VALUES (?, ?)", rows)
        except sqlite3.Error:
            self._broken = True

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def _join(paths: tuple[str, ...]) -> bytes:
    return b"\0".join(p.encode("utf-8", "surrogateescape") for p in paths)


def _split(blob: bytes) -> tuple[str, ...]:
    # One decode for the whole blob: NUL is never part of a UTF-8 sequence, so each
    # path decodes (and escapes its stray bytes) exactly as it would on its own.
    if not blob:
        return ()
    return tuple(blob.decode("utf-8", "surrogateescape").split("\0"))
