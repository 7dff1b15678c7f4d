"""Notice records: the `notices` table of records.db (see store/records.py).

A notice is recorded before delivery and after it, as a pull is: prepared (its text
rendered once and kept, so a delivery resumed after a crash sends the same words under
the same Message-Id), sending, then sent or failed. Its key is its identity: preparing
a notice whose key is recorded gives the record there, never a second one.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Literal, NamedTuple

from treemerge.core.notice import Notice
from treemerge.core.plain import as_dict

NoticeState = Literal["prepared", "sending", "sent", "failed"]
NOTICE_STATES: tuple[NoticeState, ...] = ("prepared", "sending", "sent", "failed")
NOTICES_TABLE = f"""
CREATE TABLE notices (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    trees TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    "to" TEXT NOT NULL DEFAULT '',
    cc TEXT NOT NULL DEFAULT '',
    message_id TEXT NOT NULL UNIQUE,
    in_reply_to TEXT,
    pull_tag TEXT,
    state TEXT NOT NULL CHECK (state IN ({", ".join(repr(s) for s in NOTICE_STATES)})),
    method TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    sent REAL,
    delivered_to TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT ''
)
"""
# Columns holding a list, one item per line.
LISTS = ("trees", "to", "cc")


class NoticeRecord(NamedTuple):
    id: int
    kind: str
    key: str
    trees: tuple[str, ...]
    subject: str
    body: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    message_id: str
    in_reply_to: str | None
    pull_tag: str | None
    state: NoticeState
    method: str
    attempts: int
    created: float
    updated: float
    sent: float | None
    delivered_to: str
    error: str

    def as_dict(self) -> dict[str, object]:
        return as_dict(self)


NOTICE_COLUMNS = NoticeRecord._fields
_SELECT = "SELECT " + ", ".join(f'"{name}"' for name in NOTICE_COLUMNS) + " FROM notices"  # noqa: S608 - fixed names


def joined(items: tuple[str, ...]) -> str:
    """A list as one column (one item per line; items are single lines)."""
    return "\n".join(items)


def split(text: str) -> tuple[str, ...]:
    return tuple(item for item in text.split("\n") if item)


def notice_rows(
    db: sqlite3.Connection, where: str = "", params: tuple[object, ...] = ()
) -> list[NoticeRecord]:
    found = []
    for row in db.execute(f"{_SELECT} {where}", params):
        values = dict(zip(NOTICE_COLUMNS, row, strict=True))
        for name in LISTS:
            values[name] = split(values[name])
        found.append(NoticeRecord(**values))
    return found


def insert_notice(
    db: sqlite3.Connection, notice: Notice, *, message_id: str, in_reply_to: str | None
) -> None:
    """A new record of `notice`, prepared (inside the caller's transaction)."""
    now = time.time()
    db.execute(
        'INSERT INTO notices (kind, key, trees, subject, body, "to", cc, message_id, '
        "in_reply_to, pull_tag, state, created, updated) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'prepared', ?, ?)",
        (
            notice.kind,
            notice.key,
            joined(notice.trees),
            notice.subject,
            notice.body,
            joined(notice.to),
            joined(notice.cc),
            message_id,
            in_reply_to,
            notice.pull_tag,
            now,
            now,
        ),
    )
