"""A hostile tree's repository: config, hooks and attributes that would run programs.

A subsystem tree's owner controls its repository. Every setting below names a program
that git runs when it works in that repository (or on content whose `.gitattributes`
asks for a driver the repository's config defines); each program only leaves a marker
file. The tree is then driven through every command that touches it, over the local
transport (where git runs upload-pack and receive-pack in the tree itself), and no
marker may appear (SPEC.md, "Non-negotiables": nothing from a subsystem tree runs).
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.git.project import Project
from tests.helpers import git

pytestmark = pytest.mark.slow  # every command run against an armed tree

HOOKS = (
    "pre-receive",
    "update",
    "post-receive",
    "post-update",
    "proc-receive",
    "push-to-checkout",
    "reference-transaction",
    "pre-auto-gc",
    "post-checkout",
    "fsmonitor-watchman",
)
# Repository config keys whose value is a program to run (each given its own marker).
PROGRAM_KEYS = (
    "core.alternateRefsCommand",
    "core.fsmonitor",
    "core.sshCommand",
    "core.gitProxy",
    "core.pager",
    "core.editor",
    "sequence.editor",
    "uploadpack.packObjectsHook",
    "filter.evil.clean",
    "filter.evil.smudge",
    "filter.evil.process",
    "diff.evil.textconv",
    "diff.evil.command",
    "diff.external",
    "merge.evil.driver",
    "gpg.program",
    "gpg.openpgp.program",
    "gpg.ssh.program",
    "gpg.x509.program",
    "credential.helper",
)


def _marker_program(markers: Path, name: str) -> str:
    return f"touch {markers / name.replace('/', '_')}; true"


def make_hostile(repo: Path, markers: Path, *, alternate: Path) -> None:
    """Arm `repo` (a bare tree): every key of PROGRAM_KEYS, hooks in its own hooks
    directory and in a core.hooksPath of its choosing, alternates (so that the
    alternate-refs command has a reason to run), and a checkout to update."""
    markers.mkdir(exist_ok=True)
    hooks = repo / "evil-hooks"
    for directory in (repo / "hooks", hooks):
        directory.mkdir(exist_ok=True)
        for hook in HOOKS:
            script = directory / hook
            script.write_text(f"#!/bin/sh\ntouch {markers / ('hook-' + hook)}\n")
            script.chmod(script.stat().st_mode | stat.S_IXUSR)
    for key in PROGRAM_KEYS:
        git(repo, "config", key, _marker_program(markers, key))
    git(repo, "config", "credential.helper", f"!{_marker_program(markers, 'credential')}")
    git(repo, "config", "core.hooksPath", str(hooks))
    git(repo, "config", "filter.evil.required", "true")
    git(repo, "config", "receive.denyCurrentBranch", "updateInstead")
    git(repo, "config", "receive.autogc", "true")
    git(repo, "config", "gc.auto", "1")
    git(repo, "config", "protocol.ext.allow", "always")
    git(repo, "config", "include.path", str(repo / "more.config"))
    (repo / "more.config").write_text(
        f"[core]\n\talternateRefsCommand = {_marker_program(markers, 'included')}\n"
    )
    (repo / "objects" / "info" / "alternates").write_text(f"{alternate}\n")


def markers_left(markers: Path) -> list[str]:
    return sorted(p.name for p in markers.iterdir())


@pytest.fixture
def hostile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    """The test project with net's tree hostile, after each tree has work to pull:
    net's own (with attributes naming the evil drivers) and wireless's (whose upstream
    is net, so merging it pushes into net's repository)."""
    project = Project(tmp_path, capsys)
    for tree in ("net", "drivers", "wireless"):
        assert project.run("tree", "create", tree).code == 0
    attributes = "* filter=evil diff=evil merge=evil export-subst\n"
    project.commit("net", {"net/core.c": "v2\n", ".gitattributes": attributes}, "net: work")
    project.commit("wireless", {"net/wireless/wifi.c": "v2\n"}, "wireless: work")
    make_hostile(
        tmp_path / "trees" / "net.git",
        tmp_path / "markers",
        alternate=project.main / ".git" / "objects",
    )
    return project


def test_nothing_a_hostile_tree_configures_runs(hostile: Project, tmp_path: Path) -> None:
    markers = tmp_path / "markers"
    config = tmp_path / "maintainers.cfg"
    config.write_text(config.read_text() + "\n[integration]\ntest-command = test -f net/core.c\n")
    steps = [
        ("sync",),
        ("check", "net"),
        ("status",),
        ("request-pull", "net", "--dry-run", "--allow-fresh"),
        ("request-pull", "net", "--send", "--allow-fresh"),
        ("review", "net"),
        ("next",),  # with a test command: the checkout of each merged step
        ("merge", "net", "--force", "--reason", "reviewed by hand", "--push"),
        ("sync",),
        ("request-pull", "wireless", "--send", "--allow-fresh"),
        ("review", "wireless"),
        ("merge", "wireless", "--push"),  # into net's repository
        ("tree", "update", "net", "--to", "v1.0"),
        ("audit",),
        ("cron",),
    ]
    for step in steps:
        result = hostile.run(*step)
        assert result.code in (0, 1), (step, result.out, result.err)
        assert markers_left(markers) == [], (step, result.out, result.err)
    # The work really went where it should: the tag is in net's tree, wireless's merge
    # is on net's branch.
    tags = git(tmp_path / "trees" / "net.git", "tag", "--list", "net-for-main-*")
    assert tags.strip()
    log = git(tmp_path / "trees" / "net.git", "log", "--format=%s", "for-main")
    assert "wireless: work" in log


def test_a_tree_whose_pushes_need_its_own_program_refuses_them(
    hostile: Project, tmp_path: Path
) -> None:
    """receive.procReceiveRefs hands matching pushes to the tree's proc-receive hook:
    with hooks off there is none to run, so the push is refused (naming the tree),
    and nothing runs."""
    git(tmp_path / "trees" / "net.git", "config", "receive.procReceiveRefs", "refs/tags")
    assert hostile.run("sync").code == 0
    result = hostile.run("request-pull", "net", "--send", "--allow-fresh")
    assert result.code == 3, result.out + result.err
    assert "net" in result.err
    assert markers_left(tmp_path / "markers") == []
