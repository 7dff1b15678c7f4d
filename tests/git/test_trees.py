"""`sync`, `status`, `tree create` and `tree update` on real repositories and transports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.git.project import Project
from tests.helpers import git, serving_git


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    return Project(tmp_path, capsys)


def test_create_copies_main_with_the_branch(project: Project) -> None:
    assert project.run("sync", "main").code == 0
    result = project.run("tree", "create", "net")
    assert result.code == 0, result.err
    tree = project.root / "trees" / "net.git"
    main_head = git(project.main, "rev-parse", "HEAD").strip()
    assert git(tree, "rev-parse", "refs/heads/for-main").strip() == main_head
    assert git(tree, "tag", "-l").split() == ["v1.0"]


def test_create_refuses_a_repository_with_history(project: Project) -> None:
    project.run("tree", "create", "net")
    again = project.run("tree", "create", "net")
    assert again.code == 2
    assert "refusing to create net" in again.err
    occupied = project.root / "elsewhere"
    occupied.mkdir()
    (occupied / "precious.txt").write_text("keep me\n")
    refused = project.run("tree", "create", "drivers", "--at", str(occupied))
    assert refused.code == 2
    assert (occupied / "precious.txt").read_text() == "keep me\n"


def test_create_elsewhere_hints_at_the_config(project: Project) -> None:
    result = project.run("tree", "create", "drivers", "--at", "other/drivers.git")
    assert result.code == 0, result.err
    assert "hint: set `tree =" in result.out


def test_trust_tree_upstream_is_another_subsystem(project: Project) -> None:
    project.run("tree", "create", "net")
    net_work = project.commit("net", {"net/core.c": "net\n"}, "net: work")
    assert project.run("tree", "create", "wireless").code == 0
    wifi = project.root / "trees" / "wireless.git"
    assert git(wifi, "rev-parse", "refs/heads/for-net").strip() == net_work
    project.commit(
        "wireless", {"net/wireless/wifi.c": "faster\n", "net/core.c": "oops\n"}, "wireless: work"
    )
    project.run("sync")
    document = project.json("check", "wireless")
    assert document["upstream"] == "net"
    assert document["base"] == net_work
    statuses = {f["path"]: (f["status"], f["owners"]) for f in document["files"]}
    assert statuses == {
        "net/wireless/wifi.c": ("owned", []),
        "net/core.c": ("foreign", ["NETWORKING"]),
    }


def test_update_fast_forward_then_refusals(project: Project) -> None:
    project.run("tree", "create", "net")
    project.commit("main", {"README": "new\n"}, "main: new readme")
    git(project.main, "tag", "-a", "-m", "1.1", "v1.1")
    result = project.run("tree", "update", "net", "--to", "v1.1")
    assert result.code == 0, result.err
    assert "fast-forwarded" in result.out
    tree = project.root / "trees" / "net.git"
    assert (
        git(tree, "rev-parse", "for-main").strip() == git(project.main, "rev-parse", "HEAD").strip()
    )
    # Now with work of its own, an untagged back-merge needs a reason...
    project.commit("net", {"net/core.c": "net\n"}, "net: work")
    untagged = project.commit("main", {"drivers/char.c": "x\n"}, "main: driver fix")
    refused = project.run("tree", "update", "net", "--to", untagged)
    assert refused.code == 2
    assert "--reason" in refused.err
    done = project.run("tree", "update", "net", "--to", untagged, "--reason", "needs the fix")
    assert done.code == 0, done.err
    body = git(tree, "log", "-1", "--format=%B", "for-main")
    assert body.startswith(f"Merge commit '{untagged}' of main into for-main\n\nneeds the fix")
    assert git(tree, "log", "-1", "--format=%P", "for-main").split()[1] == untagged


def test_update_refuses_a_conflicting_backmerge(project: Project) -> None:
    project.run("tree", "create", "net")
    project.commit("net", {"README": "net's readme\n"}, "net: readme")
    project.commit("main", {"README": "main's readme\n"}, "main: readme")
    git(project.main, "tag", "-a", "-m", "1.1", "v1.1")
    before = git(project.root / "trees" / "net.git", "rev-parse", "for-main")
    result = project.run("tree", "update", "net", "--to", "v1.1")
    assert result.code == 1
    assert "conflicts in README" in result.err
    assert git(project.root / "trees" / "net.git", "rev-parse", "for-main") == before


def test_sync_goes_on_past_an_unreachable_tree(project: Project) -> None:
    project.run("tree", "create", "net")  # drivers and wireless are never created
    first = project.commit("net", {"net/core.c": "1\n"}, "net: 1")
    result = project.run("sync")
    assert result.code == 3
    assert "drivers: git fetch failed:" in result.err
    assert "wireless: git fetch failed:" in result.err
    document = project.json("status")
    rows = {row["tree"]: row for row in document["trees"]}
    assert rows["net"]["head"] == first
    assert rows["net"]["ahead"] == 1
    assert rows["drivers"]["error"] == "not synced yet"


def test_status_json(project: Project) -> None:
    project.run("tree", "create", "net")
    project.commit("net", {"drivers/char.c": "x\n"}, "net: foreign")
    project.commit("main", {"README": "y\n"}, "main: moves on")
    project.run("sync")
    rows = {row["tree"]: row for row in project.json("status")["trees"]}
    assert rows["main"]["upstream"] is None
    net = rows["net"]
    assert (net["upstream"], net["ahead"], net["behind"], net["violations"]) == (
        "main",
        1,
        1,
        0 + 1,
    )
    assert net["oldest_pending_days"] >= 0
    assert net["last_pull_request"] is None
    human = project.run("status")
    assert human.code == 0
    assert "net" in human.out


@pytest.fixture
def git_daemon(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real `git daemon` on 127.0.0.1 serving tmp_path/served."""
    served = tmp_path / "served"
    served.mkdir()
    with serving_git(served) as url:
        yield url, served


def test_sync_over_git_daemon(project: Project, git_daemon: tuple[str, Path]) -> None:
    url, served = git_daemon
    git(project.root, "clone", "-q", "--bare", str(project.main), str(served / "main.git"))
    git(project.root, "clone", "-q", "--bare", str(project.main), str(served / "net.git"))
    git(served / "net.git", "branch", "for-main", "master")
    config = (project.root / "maintainers.cfg").read_text()
    config = config.replace("url = main\n", f"url = {url}/main.git\n")
    config = config.replace("tree = trees/net.git", f"tree = {url}/net.git")
    (project.root / "maintainers.cfg").write_text(config)
    result = project.run("sync", "main", "net")
    assert result.code == 0, result.err
    rows = {row["tree"]: row for row in project.json("status", "main", "net")["trees"]}
    assert rows["net"]["head"] == git(project.main, "rev-parse", "HEAD").strip()
    assert rows["net"]["ahead"] == 0
    # A daemon that does not serve the repository is a named failure, not a hang.
    config = config.replace(f"tree = {url}/net.git", f"tree = {url}/missing.git")
    (project.root / "maintainers.cfg").write_text(config)
    missing = project.run("sync", "net")
    assert missing.code == 3
    assert "net: git ls-remote failed" in missing.err


def test_nothing_from_a_tree_runs_and_inherited_git_variables_are_ignored(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.run("tree", "create", "net")
    tree = project.root / "trees" / "net.git"
    witness = project.root / "hook-ran"
    for hook in ("pre-receive", "update", "post-receive", "post-update", "reference-transaction"):
        script = tree / "hooks" / hook
        script.write_text(f"#!/bin/sh\necho {hook} >> {witness}\n")
        script.chmod(0o755)
    project.commit("main", {"README": "new\n"}, "main: new")
    git(project.main, "tag", "-a", "-m", "1.1", "v1.1")
    # A caller's GIT_DIR (say, from inside a hook of their own) must not redirect treemerge.
    monkeypatch.setenv("GIT_DIR", str(project.root / "nowhere"))
    monkeypatch.setenv("GIT_INDEX_FILE", str(project.root / "nowhere" / "index"))
    result = project.run("tree", "update", "net", "--to", "v1.1")
    assert result.code == 0, result.err
    assert "fast-forwarded" in result.out
    assert not witness.exists()
