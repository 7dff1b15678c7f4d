"""`review`, `merge` and `audit` on real trees, tags, signatures and merges."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.git.project import Project
from tests.helpers import git

DAY = 86_400
T0 = 1_700_000_000


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    return Project(tmp_path, capsys).with_trees("net")


def test_review_of_a_clean_pull(project: Project) -> None:
    tag = project.send_pull({"net/core.c": "v2\n"})
    result = project.run("review", "net")
    assert result.code == 0, result.out + result.err
    assert "ready to merge" in result.out
    document: Any = project.json("review", tag)
    assert document["tag"] == tag
    assert document["conflicts"] == []
    assert document["signature"] == {"status": "unsigned", "signer": ""}
    assert document["violations"] == 0
    assert {"subsystem", "base", "head", "files", "warnings", "backmerges"} <= set(document)


def test_trial_merge_conflicts_match_git_merge_tree(project: Project) -> None:
    tag = project.send_pull({"README": "net's readme\n", "net/core.c": "v2\n"})
    project.commit("main", {"README": "main's readme\n"}, "main: readme")
    project.run("sync")
    result = project.run("review", tag)
    assert result.code == 1
    document: Any = project.json("review", tag)
    ws = project.root / ".treemerge" / "repo.git"
    done = subprocess.run(
        [
            "git",
            "merge-tree",
            "--write-tree",
            "--name-only",
            "--no-messages",
            "refs/trees/main",
            f"refs/pulls/net/{tag}^{{commit}}",
        ],
        cwd=ws,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    expected = done.stdout.split("\n")[1:]
    assert [c["path"] for c in document["conflicts"]] == [p for p in expected if p]
    assert document["conflicts"][0]["owners"] == ["THE REST"]


def test_signatures_good_and_bad(project: Project, tmp_path: Path) -> None:
    keys = {}
    for name in ("trusted", "stranger"):
        key = tmp_path / name
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True
        )
        keys[name] = key
    allowed = tmp_path / "allowed"
    allowed.write_text(f"net@example.org {(tmp_path / 'trusted.pub').read_text()}")
    for name, value in (
        ("gpg.format", "ssh"),
        ("gpg.ssh.allowedSignersFile", str(allowed)),
        ("user.signingkey", str(keys["trusted"])),
    ):
        git(tmp_path, "config", "--global", name, value)
    project.commit("net", {"net/core.c": "signed\n"}, "net: signed")
    project.run("sync")
    assert project.run("request-pull", "net", "--sign", "-q").code == 0
    good: Any = project.json("review", "net")
    assert good["signature"] == {"status": "good", "signer": "net@example.org"}
    git(tmp_path, "config", "--global", "user.signingkey", str(keys["stranger"]))
    project.commit("net", {"net/core.c": "signed by a stranger\n"}, "net: stranger")
    project.run("sync")
    assert project.run("request-pull", "net", "--sign", "-q").code == 0
    bad = project.run("review", "net")
    assert bad.code == 1
    assert "signature  bad" in bad.out
    refused = project.run("merge", "net")
    assert refused.code == 1
    assert "bad tag signature" in refused.err


def test_merge_refused_then_forced_with_the_reason_in_the_message(project: Project) -> None:
    tag = project.send_pull({"drivers/char.c": "net's driver change\n"})
    before = project.main_head()
    refused = project.run("merge", "net", "--push")
    assert refused.code == 1
    assert "--force --reason TEXT" in refused.err
    assert project.main_head() == before
    ws = project.root / ".treemerge" / "repo.git"
    assert (
        subprocess.run(
            ["git", "rev-parse", "-q", "--verify", "refs/merges/main"],
            cwd=ws,
            capture_output=True,
            check=False,
        ).returncode
        == 1
    )
    forced = project.run("merge", "net", "--force", "--reason", "acked on the list", "--push")
    assert forced.code == 0, forced.err
    merge = project.main_head()
    parents = git(project.main, "log", "-1", "--format=%P", merge).split()
    tagged = git(ws, "rev-parse", f"refs/pulls/net/{tag}^{{commit}}").strip()
    assert parents == [before, tagged]
    message = git(project.main, "log", "-1", "--format=%B", merge)
    assert message.startswith(f"Merge tag '{tag}' of {project.root / 'trees' / 'net.git'}\n")
    assert "Merged despite 1 foreign path(s) (drivers/char.c)." in message
    assert "Reason: acked on the list" in message
    assert f"* tag '{tag}' of" in message
    assert project.json("prs")["pulls"][-1]["state"] == "merged"


def test_push_refused_when_the_upstream_moved(project: Project) -> None:
    project.send_pull({"net/core.c": "v2\n"})
    project.commit("main", {"README": "moved on\n"}, "main: moved on")  # after the sync
    moved = project.main_head()
    result = project.run("merge", "net", "--push")
    assert result.code == 3
    assert "main: git push failed: [rejected]" in result.err
    assert "treemerge sync, then merge again" in result.err
    assert project.main_head() == moved


def test_audit_finds_a_merged_violation(project: Project) -> None:
    project.send_pull({"net/core.c": "clean\n"})
    assert project.run("merge", "net", "--push").code == 0
    project.send_pull({"drivers/block.c": "sneaky\n"}, "net: sneak into drivers")
    assert project.run("merge", "net", "--force", "--reason", "urgent", "--push").code == 0
    # A plain git merge of unrelated work is no subsystem merge.
    git(project.main, "checkout", "-q", "-b", "topic", "HEAD~1")
    git(project.main, "commit", "-q", "--allow-empty", "-m", "topic")
    git(project.main, "checkout", "-q", "master")
    git(project.main, "merge", "-q", "--no-ff", "-m", "Merge branch 'topic'", "topic")
    project.run("sync")
    result = project.run("audit")
    assert result.code == 1
    merges: Any = project.json("audit")["merges"]
    assert [(m["subsystem"], m["violations"]) for m in merges] == [("net", 1), ("net", 0)]
    assert [f["path"] for f in merges[0]["files"]] == ["drivers/block.c"]


def test_sync_recognises_a_merge_made_by_hand(project: Project) -> None:
    tag = project.send_pull({"net/core.c": "v2\n"})
    git(
        project.main,
        "pull",
        "-q",
        "--no-rebase",
        "--no-edit",
        str(project.root / "trees" / "net.git"),
        f"refs/tags/{tag}",
    )
    assert project.json("prs")["pulls"][-1]["state"] == "sent"
    document: Any = project.json("sync")
    assert document["merged"] == [tag]
    assert project.json("prs")["pulls"][-1]["state"] == "merged"


def test_review_compares_the_requests_diffstat(project: Project, tmp_path: Path) -> None:
    tag = project.send_pull({"net/core.c": "v2\n"})
    text = (project.root / ".treemerge" / "pulls" / f"{tag}.txt").read_text()
    kinds = [w["kind"] for w in project.json("review", "net")["warnings"]]
    assert "diffstat-mismatch" not in kinds
    doctored = tmp_path / "request.txt"
    doctored.write_text(text.replace("net/core.c", "net/other.c"))
    document: Any = project.json("review", "net", "--request", str(doctored))
    assert "diffstat-mismatch" in [w["kind"] for w in document["warnings"]]


def test_recent_rebase_warning(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_COMMITTER_DATE", f"{T0 - 3 * DAY} +0000")
    project.commit("net", {"net/core.c": "settled\n"}, "net: settled work")
    monkeypatch.setenv("GIT_COMMITTER_DATE", f"{T0} +0000")
    project.run("sync")
    assert project.run("request-pull", "net", "-q").code == 0
    assert "recent-rebase" not in [w["kind"] for w in project.json("review", "net")["warnings"]]
    project.commit("net", {"net/core.c": "rebased\n"}, "net: rebased at the last minute")
    project.run("sync")
    assert project.run("request-pull", "net", "-q", "--allow-fresh").code == 0
    assert "recent-rebase" in [w["kind"] for w in project.json("review", "net")["warnings"]]
