"""Pull-request records: one sqlite3 file in the workspace, every change a transaction.

A pull is recorded before delivery (`sending`) and after it (`sent` or `failed`), so a
run killed in between leaves a record that the next run finishes under the same
Message-Id, never a lost pull nor a second identity for it.
"""

# PullRecord is a NamedTuple: every start-up creates its class, and a NamedTuple costs a
# fraction of a frozen dataclass there.

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, NamedTuple

from treemerge.core.errors import EXIT_USAGE, TreemergeError
from treemerge.failpoints import failpoint

SCHEMA_ID = "treemerge-records-1"
State = Literal["prepared", "sending", "sent", "failed", "merged", "superseded"]
STATES: tuple[State, ...] = ("prepared", "sending", "sent", "failed", "merged", "superseded")
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pulls (
    id INTEGER PRIMARY KEY,
    subsystem TEXT NOT NULL,
    upstream TEXT NOT NULL,
    base TEXT NOT NULL,
    head TEXT NOT NULL,
    tag TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ({", ".join(repr(s) for s in STATES)})),
    method TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    sent REAL,
    delivered_to TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    UNIQUE (subsystem, upstream, head)
);
"""
COLUMNS = (
    "id",
    "subsystem",
    "upstream",
    "base",
    "head",
    "tag",
    "message_id",
    "state",
    "method",
    "attempts",
    "created",
    "updated",
    "sent",
    "delivered_to",
    "error",
)


class StoreError(TreemergeError):
    """The records file cannot be used as it is (it is never reset behind the user's back)."""

    exit_code = EXIT_USAGE


class PullRecord(NamedTuple):
    id: int
    subsystem: str
    upstream: str
    base: str
    head: str
    tag: str
    message_id: str
    state: State
    method: str
    attempts: int
    created: float
    updated: float
    sent: float | None
    delivered_to: str
    error: str

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in COLUMNS}


class Records:
    """The records of one workspace."""

    def __init__(self, path: Path) -> None:
        import sqlite3  # noqa: PLC0415 - not needed until the records are opened

        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(path, isolation_level=None, timeout=30)
            self._db.execute("PRAGMA synchronous=FULL")
            self._check_schema()
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{path}: not a treemerge records file ({exc}); move it aside to start afresh"
            ) from None

    def _check_schema(self) -> None:
        tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master")}
        if tables and "meta" not in tables:
            raise StoreError(
                f"{self.path}: a database, but not treemerge's records (tables: "
                f"{', '.join(sorted(tables))}); move it aside to start afresh"
            )
        with self._transaction():
            # One statement at a time: executescript() would commit this transaction.
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            row = self._db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is None:
                self._db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_ID,))
            elif row[0] != SCHEMA_ID:
                raise StoreError(
                    f"{self.path}: records of schema {row[0]!r}, this treemerge reads {SCHEMA_ID!r}"
                )

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _rows(self, where: str = "", params: tuple[object, ...] = ()) -> list[PullRecord]:
        query = f"SELECT {', '.join(COLUMNS)} FROM pulls {where}"  # noqa: S608 - fixed text
        return [PullRecord(*row) for row in self._db.execute(query, params)]

    def prepare(
        self, *, subsystem: str, upstream: str, base: str, head: str, tag: str, message_id: str
    ) -> PullRecord:
        """The record of this pull (subsystem, upstream, head): the existing one, or new."""
        now = time.time()
        with self._transaction():
            found = self._rows(
                "WHERE subsystem=? AND upstream=? AND head=?", (subsystem, upstream, head)
            )
            if found:
                return found[0]
            self._db.execute(
                "INSERT INTO pulls (subsystem, upstream, base, head, tag, message_id, state, "
                "created, updated) VALUES (?, ?, ?, ?, ?, ?, 'prepared', ?, ?)",
                (subsystem, upstream, base, head, tag, message_id, now, now),
            )
            return self._rows("WHERE message_id=?", (message_id,))[0]

    def update(self, record_id: int, state: State, **fields: object) -> PullRecord:
        """Move a pull to `state` (with `attempts` bumped when it becomes `sending`)."""
        unknown = set(fields) - set(COLUMNS)
        if unknown:
            raise ValueError(f"no such record field: {', '.join(sorted(unknown))}")
        sets = ["state=?", "updated=?"] + [f"{name}=?" for name in fields]
        values: list[object] = [state, time.time(), *fields.values()]
        if state == "sending":
            sets.append("attempts=attempts+1")
        if state == "sent":
            sets.append("sent=?")
            values.append(time.time())
        with self._transaction():
            failpoint(f"record-{state}")  # inside the transaction: a kill must roll it back
            query = f"UPDATE pulls SET {', '.join(sets)} WHERE id=?"  # noqa: S608 - names checked
            self._db.execute(query, (*values, record_id))
        return self._rows("WHERE id=?", (record_id,))[0]

    def supersede(self, subsystem: str, upstream: str, keep: int) -> None:
        """Older pulls of the subsystem that were sent and not merged are superseded."""
        with self._transaction():
            self._db.execute(
                "UPDATE pulls SET state='superseded', updated=? WHERE subsystem=? AND "
                "upstream=? AND id<>? AND state IN ('prepared', 'sent', 'failed')",
                (time.time(), subsystem, upstream, keep),
            )

    def latest(self, subsystem: str, *, before: int | None = None) -> PullRecord | None:
        where = "WHERE subsystem=?" + (" AND id<?" if before is not None else "")
        params: tuple[object, ...] = (subsystem,) if before is None else (subsystem, before)
        rows = self._rows(f"{where} ORDER BY id DESC LIMIT 1", params)
        return rows[0] if rows else None

    def all(self, state: str | None = None) -> list[PullRecord]:
        if state is None:
            return self._rows("ORDER BY id")
        return self._rows("WHERE state=? ORDER BY id", (state,))

    def close(self) -> None:
        self._db.close()
