"""Pull-request records: one sqlite3 file in the workspace, every change a transaction.

A pull is recorded before delivery (`sending`) and after it (`sent` or `failed`), so a
run killed in between leaves a record that the next run finishes under the same
Message-Id, never a lost pull nor a second identity for it.

Lost records would be worse than none: every pull not merged yet would be sent again.
So the file is never made over one that exists, and a marker beside it (records.marker)
says the workspace has records: a records file that is then missing, empty or damaged is
refused, never taken for the first run of a new workspace.

The same file keeps the notices sent after a pull (merged replies, conflict notices:
store/notices.py), under the same rules. A file of an older schema is brought to this
one in place (store/schema.py), its pulls kept.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

from treemerge.core.errors import EXIT_USAGE, TreemergeError
from treemerge.core.notice import Notice
from treemerge.core.plain import as_dict
from treemerge.failpoints import failpoint
from treemerge.store.files import atomic_write
from treemerge.store.notices import (
    NoticeRecord,
    NoticeState,
    insert_notice,
    joined,
    notice_rows,
    split,
)
from treemerge.store.schema import (
    MIGRATION_2,
    MIGRATIONS,
    SCHEMA_1,
    SCHEMA_ID,
    Reply,
    State,
    migrate,
    schema_of,
)

MARKER_SUFFIX = ".marker"
MARKER_TEXT = """\
{name} beside this file holds this workspace's pull-request records (treemerge).

While this file is here, treemerge will not work without them: a missing, empty or
damaged {name} means the records were lost, and every pull request not merged yet
would be sent again. Restore {name} from a backup; or, to start afresh knowing
that, move {name} aside and remove this file.
"""


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
    subject: str
    sender: str  # the `from` it was sent with ("": the delivery default)
    to: tuple[str, ...]
    cc: tuple[str, ...]
    url: str  # where its tag can be fetched
    reply: Reply
    partial: str  # "2 of 5 commits upstream" when only some of its commits arrived

    def as_dict(self) -> dict[str, object]:
        return as_dict(self)


COLUMNS = PullRecord._fields
_SELECT = "SELECT " + ", ".join(f'"{name}"' for name in COLUMNS) + " FROM pulls"  # noqa: S608 - fixed names


class Records:
    """The records of one workspace."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        if not has_records(path):
            _create(path)
        try:
            self._db = _open(path)
        except sqlite3.DatabaseError as exc:
            raise StoreError(_unusable(path, str(exc))) from None
        marker = marker_path(path)
        if not marker.exists():  # records just made, or kept by a treemerge before markers
            atomic_write(marker, MARKER_TEXT.format(name=path.name))

    def __enter__(self) -> Records:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

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
        rows = self._db.execute(f"{_SELECT} {where}", params)
        return [_pull(row) for row in rows]

    def prepare(
        self,
        *,
        subsystem: str,
        upstream: str,
        base: str,
        head: str,
        tag: str,
        message_id: str,
        **sent_as: str | tuple[str, ...],
    ) -> PullRecord:
        """The record of this pull (subsystem, upstream, head): the existing one, or new.
        `sent_as` is what it is sent as (subject, sender, to, cc, url), kept for its
        merged reply."""
        unknown = set(sent_as) - {"subject", "sender", "to", "cc", "url"}
        if unknown:
            raise ValueError(f"no such record field: {', '.join(sorted(unknown))}")
        row = {
            "subsystem": subsystem,
            "upstream": upstream,
            "base": base,
            "head": head,
            "tag": tag,
            "message_id": message_id,
            "state": "prepared",
            "created": time.time(),
            "updated": time.time(),
            **{name: _column(value) for name, value in sent_as.items()},
        }
        names, marks = ", ".join(f'"{name}"' for name in row), ", ".join("?" * len(row))
        with self._transaction():
            found = self._rows(
                "WHERE subsystem=? AND upstream=? AND head=?", (subsystem, upstream, head)
            )
            if found:
                return found[0]
            query = f"INSERT INTO pulls ({names}) VALUES ({marks})"  # noqa: S608 - names checked
            self._db.execute(query, tuple(row.values()))
            return self._rows("WHERE message_id=?", (message_id,))[0]

    def update(self, record_id: int, state: State, **fields: object) -> PullRecord:
        """Move a pull to `state` (with `attempts` bumped when it becomes `sending`)."""
        unknown = set(fields) - set(COLUMNS)
        if unknown:
            raise ValueError(f"no such record field: {', '.join(sorted(unknown))}")
        with self._transaction():
            failpoint(f"record-{state}")  # inside the transaction: a kill must roll it back
            _move(self._db, "pulls", record_id, state, fields)
        return self._rows("WHERE id=?", (record_id,))[0]

    def note(
        self, record_id: int, *, reply: Reply | None = None, partial: str | None = None
    ) -> None:
        """Note whether a merged reply is owed for a pull (`reply`), or how much of a
        pull not merged arrived upstream (`partial`); its state unchanged."""
        with self._transaction():
            self._db.execute(
                "UPDATE pulls SET reply=COALESCE(?, reply), partial=COALESCE(?, partial), "
                "updated=? WHERE id=?",
                (reply, partial, time.time(), record_id),
            )

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

    def by_tag(self, subsystem: str, tag: str) -> PullRecord | None:
        """The latest pull request of `subsystem` sent under `tag`, if any."""
        rows = self._rows("WHERE subsystem=? AND tag=? ORDER BY id DESC LIMIT 1", (subsystem, tag))
        return rows[0] if rows else None

    def pull_by_tag(self, tag: str) -> PullRecord | None:
        """The latest pull request sent under `tag`, whatever its subsystem."""
        rows = self._rows("WHERE tag=? ORDER BY id DESC LIMIT 1", (tag,))
        return rows[0] if rows else None

    def all(self, state: str | None = None) -> list[PullRecord]:
        if state is None:
            return self._rows("ORDER BY id")
        return self._rows("WHERE state=? ORDER BY id", (state,))

    def prepare_notice(
        self, notice: Notice, *, message_id: str, in_reply_to: str | None
    ) -> NoticeRecord:
        """The record of `notice` by its key: the one recorded (its text as first
        rendered), or a new one, prepared."""
        with self._transaction():
            if not self.notice(notice.key):
                insert_notice(self._db, notice, message_id=message_id, in_reply_to=in_reply_to)
        found = self.notice(notice.key)
        assert found is not None
        return found

    def update_notice(self, record_id: int, state: NoticeState, **fields: object) -> NoticeRecord:
        """Move a notice to `state`, with `method`, `delivered_to` or `error` (as a pull
        moves: `attempts` bumped on `sending`)."""
        unknown = set(fields) - {"method", "delivered_to", "error"}
        if unknown:
            raise ValueError(f"no such notice field: {', '.join(sorted(unknown))}")
        with self._transaction():
            failpoint(f"notice-{state}")  # inside the transaction: a kill must roll it back
            _move(self._db, "notices", record_id, state, fields)
        return notice_rows(self._db, "WHERE id=?", (record_id,))[0]

    def notice(self, key: str) -> NoticeRecord | None:
        rows = notice_rows(self._db, "WHERE key=?", (key,))
        return rows[0] if rows else None

    def notices(self, state: str | None = None) -> list[NoticeRecord]:
        if state is None:
            return notice_rows(self._db, "ORDER BY id")
        return notice_rows(self._db, "WHERE state=? ORDER BY id", (state,))

    def close(self) -> None:
        self._db.close()


def marker_path(path: Path) -> Path:
    """The marker saying that the workspace keeps records at `path` (records.marker)."""
    return path.with_name(path.stem + MARKER_SUFFIX)


def has_records(path: Path) -> bool:
    """Whether the workspace keeps records at `path`: False for a new workspace. A
    StoreError when its marker says it kept them and the file is gone (never taken
    for a new workspace: that would send every pull request again)."""
    if os.path.lexists(path):
        return True
    marker = marker_path(path)
    if marker.exists():
        raise StoreError(
            f"{path}: missing, but this workspace keeps its pull-request records there "
            f"({marker} says so); restore it from a backup, or, to start afresh (every "
            f"pull request not merged yet is then sent again), remove {marker}"
        )
    return False


def _unusable(path: Path, why: str) -> str:
    marker = marker_path(path)
    afresh = f"move it aside and remove {marker}" if marker.exists() else "move it aside"
    return (
        f"{path}: not a treemerge records file ({why}); restore it from a backup, or, to "
        f"start afresh (every pull request not merged yet is then sent again), {afresh}"
    )


def _create(path: Path) -> None:
    """A new records file with its schema, made aside and linked into place: it appears
    whole or not at all, so an empty file is never the trace of a first run."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.new")
    temporary.unlink(missing_ok=True)
    db = sqlite3.connect(temporary, isolation_level=None)
    try:
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(SCHEMA_1)  # (no one sees the file before it is whole)
        for statement in MIGRATION_2:
            db.execute(statement)
        db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_ID,))
    finally:
        db.close()
    try:
        os.link(temporary, path)  # never over the file of a run that made it meanwhile
    except FileExistsError:
        pass
    except OSError:  # a file system without hard links
        if not os.path.lexists(path):
            temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the file's name is durable before its marker is written
    finally:
        os.close(directory)


def _open(path: Path) -> sqlite3.Connection:
    """The existing records file, checked whole (sqlite's quick_check) and never created
    nor changed here."""
    try:
        empty = path.stat().st_size == 0
    except OSError as exc:
        raise StoreError(_unusable(path, exc.strerror or str(exc))) from None
    if empty:
        raise StoreError(_unusable(path, "it is empty: 0 bytes"))
    # mode=rw: a file that vanished meanwhile is an error, not a new empty database.
    uri = f"file:{quote(str(path))}?mode=rw"
    db = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30)
    try:
        db.execute("PRAGMA synchronous=FULL")
        _check(db, path)
    except BaseException:
        db.close()
        raise
    return db


def _check(db: sqlite3.Connection, path: Path) -> None:
    damage = [row[0] for row in db.execute("PRAGMA quick_check")]
    if damage != ["ok"]:
        raise StoreError(_unusable(path, f"damaged: {damage[0]}"))
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not {"meta", "pulls"} <= tables:
        shown = ", ".join(sorted(tables)) or "none"
        raise StoreError(_unusable(path, f"a database, but not treemerge's: tables {shown}"))
    schema = schema_of(db)
    if schema in MIGRATIONS:
        migrate(db)
    elif schema != SCHEMA_ID:
        found = "none" if schema is None else repr(schema)
        raise StoreError(f"{path}: records of schema {found}, this treemerge reads {SCHEMA_ID!r}")


def _move(
    db: sqlite3.Connection, table: str, record_id: int, state: str, fields: dict[str, object]
) -> None:
    """Move a record of `table` (pulls or notices) to `state` with `fields` (names the
    caller checked), inside the caller's transaction: `attempts` bumped on `sending`,
    `sent` stamped on `sent`."""
    sets = ["state=?", "updated=?"] + [f'"{name}"=?' for name in fields]
    values: list[object] = [state, time.time(), *map(_column, fields.values())]
    if state == "sending":
        sets.append("attempts=attempts+1")
    if state == "sent":
        sets.append("sent=?")
        values.append(time.time())
    query = f"UPDATE {table} SET {', '.join(sets)} WHERE id=?"  # noqa: S608 - names checked
    db.execute(query, (*values, record_id))


def _pull(row: tuple[object, ...]) -> PullRecord:
    values = dict(zip(COLUMNS, row, strict=True))
    for name in ("to", "cc"):
        values[name] = split(str(values[name]))
    return PullRecord(**values)  # type: ignore[arg-type]


def _column(value: object) -> object:
    """A value as stored: a list one item per line."""
    return joined(value) if isinstance(value, tuple) else value
