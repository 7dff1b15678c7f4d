"""The records file's schema, and the steps that bring an older one to it in place."""

from __future__ import annotations

import sqlite3
from typing import Literal

from treemerge.failpoints import failpoint
from treemerge.store.notices import NOTICES_TABLE

SCHEMA_ID = "treemerge-records-2"
State = Literal["prepared", "sending", "sent", "failed", "merged", "superseded"]
STATES: tuple[State, ...] = ("prepared", "sending", "sent", "failed", "merged", "superseded")
# Whether a merged reply is owed for a pull: "" none, "due" (it was sent, and found
# merged), "sent" (the reply went out).
Reply = Literal["", "due", "sent"]
# The schema of treemerge-records-1, which every records file starts from.
SCHEMA_1 = f"""
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
# From treemerge-records-1 to -2: what a merged reply needs of the pull it answers
# (subject, sender, To, Cc, URL), whether one is owed, a partly merged pull's report,
# and the notices. A new file is made the same way, so the two never differ.
MIGRATION_2 = (
    *(
        f"ALTER TABLE pulls ADD COLUMN {column} TEXT NOT NULL DEFAULT ''"
        for column in ("subject", "sender", '"to"', "cc", "url", "reply", "partial")
    ),
    NOTICES_TABLE,
)
MIGRATIONS = {"treemerge-records-1": (SCHEMA_ID, MIGRATION_2)}


def schema_of(db: sqlite3.Connection) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
    return None if row is None else str(row[0])


def migrate(db: sqlite3.Connection) -> None:
    """Bring an older schema to this one in place, one transaction per step: a step
    is wholly done or not at all, and every pull is kept. (Another process may have
    migrated meanwhile: the schema is read again under the lock.)"""
    while True:
        db.execute("BEGIN IMMEDIATE")
        try:
            step = MIGRATIONS.get(schema_of(db) or "")
            if step is not None:
                for statement in step[1]:
                    db.execute(statement)
                failpoint("records-migrate")  # a kill here must leave the old schema whole
                db.execute("UPDATE meta SET value=? WHERE key='schema'", (step[0],))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        if step is None:
            return
