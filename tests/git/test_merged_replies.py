"""Merged replies (pr-tracker-bot's): a sent pull whose head its upstream has gets one
reply in its thread; a superseded, an unmerged or a partly merged pull gets none
(delivery by files; SMTP and forges in tests/e2e/test_notices.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.git.project import Project
from tests.helpers import git

DELIVERY = "\n[delivery]\nmethod = none\nfrom = Net Chief <net@example.org>\n"


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    proj = Project(tmp_path, capsys).with_trees("net", "drivers", "wireless")
    config = proj.root / "maintainers.cfg"
    config.write_text(config.read_text() + DELIVERY)
    return proj


def cron(project: Project) -> str:
    result = project.run("cron", "--quiet")
    assert result.code == 0, result.out + result.err
    return result.out


def notices(project: Project) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = project.json("notices")["notices"]
    return found


def merge_by_hand(project: Project, commit: str, *, pick: bool = False) -> str:
    """The top maintainer merges (or cherry-picks) `commit` of the net tree in main."""
    git(project.main, "fetch", "-q", str(project.root / "trees" / "net.git"), "for-main")
    if pick:
        git(project.main, "cherry-pick", commit)
    else:
        git(project.main, "merge", "-q", "--no-ff", "-m", "Merge net work", commit)
    return project.main_head()


def test_a_merged_pull_gets_one_reply_in_its_thread(project: Project) -> None:
    tag = project.send_pull({"net/core.c": "faster\n"})
    (pull,) = project.json("prs")["pulls"]
    assert project.run("merge", "net", "--push").code == 0
    merge = project.main_head()
    out = cron(project)
    assert f"notify net: sent  merged reply to {tag} -> " in out
    (notice,) = notices(project)
    assert (notice["kind"], notice["state"], notice["pull_tag"]) == ("merged", "sent", tag)
    assert notice["in_reply_to"] == pull["message_id"]
    assert notice["key"] == f"merged:{pull['message_id']}"
    assert notice["to"] == ["Net Chief <net@example.org>"]
    text = Path(notice["delivered_to"]).read_text()
    assert text.startswith(f"Subject: Re: {pull['subject']}\nTo: Net Chief <net@example.org>\n")
    assert f"In-Reply-To: {pull['message_id']}\n" in text
    assert f"> {pull['url']} tags/{tag}\n\nhas been merged into main:\n" in text
    assert f"{project.main} {merge}\n" in text
    assert project.json("prs")["pulls"][0]["reply"] == "sent"
    assert "notify" not in cron(project)  # never twice
    assert len(notices(project)) == 1


def test_a_superseded_pull_gets_no_reply(project: Project) -> None:
    first = project.send_pull({"net/core.c": "faster\n"})
    second = project.send_pull({"net/core.c": "faster still\n"}, "net: more")
    assert project.run("merge", "net", "--push").code == 0
    cron(project)
    states = [(p["tag"], p["state"]) for p in project.json("prs")["pulls"]]
    assert states == [(first, "superseded"), (second, "merged")]
    assert [n["pull_tag"] for n in notices(project)] == [second]


def test_a_pull_not_merged_or_partly_merged_gets_no_reply(project: Project) -> None:
    one = project.commit("net", {"net/core.c": "one\n"}, "net: one")
    project.commit("net", {"net/wireless/wifi.c": "two\n"}, "net: two")
    project.send_pull({"net/three.c": "three\n"}, "net: three")
    project.commit("main", {"README": "moved on\n"}, "main: move on")  # its base is in
    assert cron(project) == ""
    assert notices(project) == []
    merge_by_hand(project, one, pick=True)
    out = cron(project)
    assert "is partly merged: 1 of 3 commits upstream (1 cherry-picked)" in out
    (pull,) = project.json("prs")["pulls"]
    assert (pull["state"], pull["partial"], pull["reply"]) == (
        "sent",
        "1 of 3 commits upstream (1 cherry-picked)",
        "",
    )
    assert "partly merged: 1 of 3" in project.run("prs").out
    assert cron(project) == ""  # the same news is not repeated
    assert notices(project) == []
    merge = merge_by_hand(project, pull["head"])
    out = cron(project)
    assert "was merged upstream" in out
    assert "notify net: sent" in out
    (notice,) = notices(project)
    assert merge in Path(notice["delivered_to"]).read_text()


def test_no_reply_when_notify_says_no(project: Project) -> None:
    config = project.root / "maintainers.cfg"
    config.write_text(config.read_text() + "\n[notify]\nmerged = no\n")
    project.send_pull({"net/core.c": "faster\n"})
    assert project.run("merge", "net", "--push").code == 0
    cron(project)
    assert project.json("prs")["pulls"][0]["state"] == "merged"
    assert notices(project) == []


def test_a_fast_forward_names_the_head_as_what_brought_it_in(project: Project) -> None:
    project.send_pull({"net/core.c": "faster\n"})
    (pull,) = project.json("prs")["pulls"]
    git(project.main, "fetch", "-q", str(project.root / "trees" / "net.git"), "for-main")
    git(project.main, "merge", "-q", "--ff-only", pull["head"])
    assert "notify net: sent" in cron(project)
    (notice,) = notices(project)
    assert f"{project.main} {pull['head']}\n" in Path(notice["delivered_to"]).read_text()


def test_a_sync_killed_before_it_looked_for_merged_pulls_looks_on_the_next_run(
    project: Project,
) -> None:
    tag = project.send_pull({"net/core.c": "faster\n"})
    (pull,) = project.json("prs")["pulls"]
    merge_by_hand(project, pull["head"])
    env = {**os.environ, "TREEMERGE_FAILPOINT": "before-merged-look"}
    killed = subprocess.run(
        [sys.executable, "-m", "treemerge", "-C", str(project.root), "sync", "-q"],
        capture_output=True,
        env=env,
        check=False,
    )
    assert killed.returncode == -9  # fetched the merge, then died before looking
    # Nothing moves now, yet the merged pull is found and replied to, once.
    assert f"notify net: sent  merged reply to {tag} -> " in cron(project)
    assert [(n["kind"], n["pull_tag"]) for n in notices(project)] == [("merged", tag)]
    assert cron(project) == ""
