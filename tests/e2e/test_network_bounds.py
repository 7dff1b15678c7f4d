"""Trees on the network that fail: refused connections are said in full, and a server
that accepts and then says nothing does not hold `sync` (and cron's lock) for long."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.git.project import Project
from tests.helpers import git, serving_git
from treemerge.gitio import workspace


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    return Project(tmp_path, capsys).with_trees("net", "drivers", "wireless")


def point_tree_at(project: Project, tree: str, url: str) -> None:
    config = project.root / "maintainers.cfg"
    text = config.read_text()
    config.write_text(text.replace(f"tree = trees/{tree}.git", f"tree = {url}"))


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server on 127.0.0.1 that accepts every connection and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1])
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        server.close()


def test_a_refused_connection_is_said_in_full(project: Project) -> None:
    point_tree_at(project, "drivers", f"git://127.0.0.1:{closed_port()}/drivers.git")
    result = project.run("sync")
    assert result.code == 3
    assert "drivers" in result.err
    assert "Connection refused" in result.err  # not cut at "unable to connect to 127.0.0.1:"
    assert project.run("status", "net").code == 0  # the others were synced


def test_a_server_that_never_answers_is_given_up_on(
    project: Project, silent_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workspace, "TRANSFER_STALL", 1.0)
    point_tree_at(project, "drivers", f"git://127.0.0.1:{silent_server}/drivers.git")
    project.commit("net", {"net/core.c": "v2\n"}, "net: work")
    started = time.monotonic()
    result = project.run("sync")
    assert time.monotonic() - started < 30
    assert result.code == 3
    assert "drivers" in result.err
    assert "no progress for 1 s" in result.err
    ws = project.root / ".treemerge" / "repo.git"
    net = git(project.root / "trees" / "net.git", "rev-parse", "for-main").strip()
    assert git(ws, "rev-parse", "refs/trees/net").strip() == net  # net still synced


def test_a_transfer_that_keeps_moving_is_not_cut_short(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over git://, a fetch reports progress; a working server is never taken for a
    silent one, however short the stall limit."""
    monkeypatch.setattr(workspace, "TRANSFER_STALL", 1.0)
    project.commit("drivers", {"drivers/block.c": "v2\n" * 10_000}, "drivers: work")
    with serving_git(project.root / "trees") as base:
        point_tree_at(project, "drivers", f"{base}/drivers.git")
        result = project.run("sync")
    assert result.code == 0, result.err
