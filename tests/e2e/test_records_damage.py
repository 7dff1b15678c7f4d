"""Lost or damaged pull-request records are refused, never taken for a new workspace:
that would send every pull request again (real trees, real SMTP on 127.0.0.1)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.smtp_server import Server
from tests.e2e.test_send import configure, smtp_delivery
from tests.git.project import Project
from tests.helpers import Result

pytestmark = pytest.mark.slow  # pulls sent to a real SMTP server, then records damaged

# Every command that reads or writes the records, each as the user would run it.
COMMANDS = (("cron",), ("prs",), ("request-pull", "net", "--send"), ("sync",))


@pytest.fixture
def sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], serve: Callable[..., Server]
) -> tuple[Project, Server]:
    """A project whose net pull request was mailed once (its records are then damaged
    by the test): a run that took the damage for a new workspace would mail it again."""
    server = serve()
    project = Project(tmp_path, capsys)
    for tree in ("net", "drivers", "wireless"):
        assert project.run("tree", "create", tree).code == 0
    configure(project, smtp_delivery(server.port))
    # Due daily, so that a cron run which forgot the pull would send it again today.
    config = project.root / "maintainers.cfg"
    config.write_text(
        config.read_text().replace(
            "branch = for-main\n", "branch = for-main\nschedule = daily\n", 1
        )
    )
    project.commit("net", {"net/core.c": "faster\n"}, "net: faster core")
    project.run("sync")
    first = project.run("request-pull", "net", "--send", "--allow-fresh")
    assert first.code == 0, first.err
    assert len(server.handler.received) == 1
    return project, server


def records_db(project: Project) -> Path:
    return project.root / ".treemerge" / "records.db"


def assert_refused(result: Result, server: Server, *names: str) -> None:
    assert len(server.handler.received) == 1  # nothing mailed again
    assert result.code == 2, result.out + result.err
    for name in names:
        assert name in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_an_emptied_records_file_is_refused(
    sent: tuple[Project, Server], command: tuple[str, ...]
) -> None:
    project, server = sent
    records_db(project).write_bytes(b"")
    result = project.run(*command)
    assert_refused(result, server, f"{records_db(project)}: not a treemerge records file")
    assert "it is empty: 0 bytes" in result.err
    assert "restore it from a backup" in result.err
    assert str(project.root / ".treemerge" / "records.marker") in result.err
    assert records_db(project).read_bytes() == b""  # never reset


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_missing_records_file_is_refused(
    sent: tuple[Project, Server], command: tuple[str, ...]
) -> None:
    project, server = sent
    records_db(project).unlink()
    result = project.run(*command)
    marker = project.root / ".treemerge" / "records.marker"
    assert_refused(result, server, f"{records_db(project)}: missing", f"remove {marker}")
    assert not records_db(project).exists()


def test_a_damaged_records_file_is_refused(sent: tuple[Project, Server]) -> None:
    project, server = sent
    data = records_db(project).read_bytes()
    records_db(project).write_bytes(data[: len(data) // 2])  # a page lost
    result = project.run("request-pull", "net", "--send")
    assert_refused(result, server, f"{records_db(project)}: not a treemerge records file")


def test_starting_afresh_as_the_message_says(sent: tuple[Project, Server]) -> None:
    project, server = sent
    records_db(project).write_bytes(b"")
    records_db(project).rename(project.root / "records.db.lost")
    (project.root / ".treemerge" / "records.marker").unlink()
    again = project.run("request-pull", "net", "--send")
    assert again.code == 0, again.err
    assert len(server.handler.received) == 2  # the user chose to send it again
    assert [p["state"] for p in project.json("prs")["pulls"]] == ["sent"]


def test_a_new_workspace_gets_records_and_their_marker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = Project(tmp_path, capsys)
    assert project.run("prs").code == 0
    workspace = project.root / ".treemerge"
    assert sorted(p.name for p in workspace.iterdir()) == ["records.db", "records.marker"]
    assert "records.db" in (workspace / "records.marker").read_text()
    assert project.json("prs") == {"pulls": []}


def test_records_kept_before_markers_get_one_and_still_count(
    sent: tuple[Project, Server],
) -> None:
    project, server = sent
    marker = project.root / ".treemerge" / "records.marker"
    marker.unlink()  # as a workspace from before markers
    assert project.run("request-pull", "net", "--send").code == 0
    assert len(server.handler.received) == 1  # already sent: not again
    assert marker.exists()


def test_an_empty_records_file_before_markers_is_refused_too(
    sent: tuple[Project, Server],
) -> None:
    project, server = sent
    (project.root / ".treemerge" / "records.marker").unlink()
    records_db(project).write_bytes(b"")
    result = project.run("cron")
    assert_refused(result, server, f"{records_db(project)}: not a treemerge records file")
    assert "move it aside" in result.err


def test_another_programs_database_is_refused(sent: tuple[Project, Server]) -> None:
    project, server = sent
    records_db(project).unlink()
    (project.root / ".treemerge" / "records.marker").unlink()
    with sqlite3.connect(records_db(project)) as db:
        db.execute("CREATE TABLE songs (title TEXT)")
    db.close()
    result = project.run("prs")
    assert_refused(result, server, "a database, but not treemerge's: tables songs")
