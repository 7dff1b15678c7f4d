"""A records file of the first schema (treemerge-records-1) is brought to this one in
place, in one transaction, its pulls kept: killed half-way, it is still the old file."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.git.project import Project
from treemerge.store.records import Records
from treemerge.store.schema import SCHEMA_ID

# The file as treemerge-records-1 made it (store/records.py before notices).
OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pulls (
    id INTEGER PRIMARY KEY,
    subsystem TEXT NOT NULL,
    upstream TEXT NOT NULL,
    base TEXT NOT NULL,
    head TEXT NOT NULL,
    tag TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('prepared', 'sending', 'sent', 'failed', 'merged',
                                         'superseded')),
    method TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    sent REAL,
    delivered_to TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    UNIQUE (subsystem, upstream, head)
);
INSERT INTO meta VALUES ('schema', 'treemerge-records-1');
INSERT INTO pulls VALUES (1, 'net', 'main', 'b1', 'h1', 'net-for-main-2026-11-01',
    '<treemerge.net.1@example.org>', 'superseded', 'email', 1, 10.0, 11.0, 10.5,
    '<treemerge.net.1@example.org>', '');
INSERT INTO pulls VALUES (2, 'net', 'main', 'h1', 'h2', 'net-for-main-2026-11-08',
    '<treemerge.net.2@example.org>', 'sent', 'email', 2, 20.0, 21.0, 20.5,
    '<treemerge.net.2@example.org>', '');
INSERT INTO pulls VALUES (3, 'drivers', 'main', 'b3', 'h3', 'drivers-for-main-2026-11-08',
    '<treemerge.drivers.3@example.org>', 'merged', 'none', 1, 30.0, 31.0, 30.5,
    '.treemerge/pulls/drivers-for-main-2026-11-08.txt', '');
"""
OLD_PULLS = [
    (1, "net", "superseded", "net-for-main-2026-11-01", "<treemerge.net.1@example.org>", 1),
    (2, "net", "sent", "net-for-main-2026-11-08", "<treemerge.net.2@example.org>", 2),
    (3, "drivers", "merged", "drivers-for-main-2026-11-08", "<treemerge.drivers.3@example.org>", 1),
]


def old_records(project: Project) -> Path:
    path = project.root / ".treemerge" / "records.db"
    path.parent.mkdir(parents=True)
    db = sqlite3.connect(path)
    db.executescript(OLD_SCHEMA)
    db.close()
    return path


def schema(path: Path) -> str:
    db = sqlite3.connect(path)
    try:
        return str(db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()[0])
    finally:
        db.close()


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    return Project(tmp_path, capsys)


def test_the_old_schema_is_migrated_with_its_pulls_intact(project: Project) -> None:
    path = old_records(project)
    pulls = project.json("prs")["pulls"]
    assert schema(path) == SCHEMA_ID
    assert [
        (p["id"], p["subsystem"], p["state"], p["tag"], p["message_id"], p["attempts"])
        for p in pulls
    ] == OLD_PULLS
    assert [(p["base"], p["head"], p["sent"]) for p in pulls] == [
        ("b1", "h1", 10.5),
        ("h1", "h2", 20.5),
        ("b3", "h3", 30.5),
    ]
    assert {(p["subject"], p["reply"], p["partial"], tuple(p["to"])) for p in pulls} == {
        ("", "", "", ())
    }
    assert project.json("notices") == {"notices": []}
    assert (project.root / ".treemerge" / "records.marker").exists()
    # Opened again: already of this schema, nothing to do.
    store = Records(path)
    assert [r.id for r in store.all()] == [1, 2, 3]
    store.close()


def test_a_migration_killed_half_way_leaves_the_old_file_whole(project: Project) -> None:
    path = old_records(project)
    env = {**os.environ, "TREEMERGE_FAILPOINT": "records-migrate"}
    killed = subprocess.run(
        [sys.executable, "-m", "treemerge", "prs"],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert killed.returncode == -9, killed.stderr
    assert schema(path) == "treemerge-records-1"
    db = sqlite3.connect(path)
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    columns = [row[1] for row in db.execute("PRAGMA table_info(pulls)")]
    db.close()
    assert "notices" not in tables
    assert "subject" not in columns
    pulls = project.json("prs")["pulls"]
    assert [(p["id"], p["state"]) for p in pulls] == [(1, "superseded"), (2, "sent"), (3, "merged")]


def test_a_schema_of_a_newer_treemerge_is_refused(project: Project) -> None:
    path = old_records(project)
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value='treemerge-records-9'")
    db.commit()
    db.close()
    result = project.run("prs")
    assert result.code == 2
    assert "records of schema 'treemerge-records-9'" in result.err
    assert schema(path) == "treemerge-records-9"
