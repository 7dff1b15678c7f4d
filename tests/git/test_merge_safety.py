"""`merge` never merges twice nor merges what the request did not name; `review` says
when a pull's tag was re-pointed after the request was sent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.git.project import Project
from tests.helpers import git


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    return Project(tmp_path, capsys).with_trees("net")


def merges_of(project: Project) -> list[str]:
    return git(project.main, "rev-list", "--merges", "master").split()


def record_of(project: Project, tag: str) -> dict[str, Any]:
    (record,) = [p for p in project.json("prs")["pulls"] if p["tag"] == tag]
    return dict(record)


def merge_process(project: Project, *args: str, failpoint: str) -> subprocess.CompletedProcess[str]:
    """`treemerge merge` in a process of its own, killed at `failpoint`."""
    env = {**os.environ, "TREEMERGE_FAILPOINT": failpoint}
    return subprocess.run(
        [sys.executable, "-m", "treemerge", "-C", str(project.root), "merge", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_merge_push_twice_merges_once(project: Project) -> None:
    tag = project.send_pull({"net/core.c": "v2\n"})
    first = project.run("merge", "net", "--push")
    assert first.code == 0, first.err
    merged = project.main_head()
    again = project.run("merge", "net", "--push")
    assert again.code == 0, again.err
    assert f"{tag} is already merged into main" in again.out
    assert project.main_head() == merged
    assert len(merges_of(project)) == 1
    assert record_of(project, tag)["state"] == "merged"
    document: Any = project.json("merge", "net", "--push")
    assert (document["already_merged"], document["commit"], document["pushed"]) == (
        True,
        None,
        False,
    )


def test_a_merge_killed_before_its_record_is_not_merged_again(project: Project) -> None:
    tag = project.send_pull({"net/core.c": "v2\n"})
    killed = merge_process(project, "net", "--push", failpoint="before-merge-record")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    merged = project.main_head()
    assert len(merges_of(project)) == 1
    assert record_of(project, tag)["state"] == "sent"  # the run died before recording it
    again = project.run("merge", "net", "--push")
    assert again.code == 0, again.err
    assert f"{tag} is already merged into main" in again.out
    assert (project.main_head(), len(merges_of(project))) == (merged, 1)
    assert record_of(project, tag)["state"] == "merged"


def test_a_merge_kept_in_the_workspace_is_pushed_not_made_again(project: Project) -> None:
    tag = project.send_pull({"net/core.c": "v2\n"})
    before = project.main_head()
    kept = project.run("merge", "net")
    assert kept.code == 0, kept.err
    assert project.main_head() == before
    pushed = project.run("merge", "net", "--push")
    assert pushed.code == 0, pushed.err
    assert f"{tag} is already merged into main in the workspace: pushed" in pushed.out
    assert len(merges_of(project)) == 1
    assert git(project.main, "log", "-1", "--format=%P", "master").split()[0] == before


def repoint(project: Project, tag: str, files: dict[str, str]) -> str:
    """Re-point `tag` in the net tree at a new commit (as a force-push would); the commit."""
    work = project.clone("net")
    for path, content in files.items():
        (work / path).write_text(content)
        git(work, "add", path)
    git(work, "commit", "-q", "-m", "net: not what was requested")
    git(work, "tag", "-f", "-a", "-m", "re-pointed", tag)
    git(work, "push", "-q", "--force", "origin", f"refs/tags/{tag}")
    return git(work, "rev-parse", "HEAD").strip()


def test_a_repointed_tag_fails_review_and_is_never_merged(project: Project) -> None:
    tag = project.send_pull({"net/core.c": "v2\n"})
    requested = record_of(project, tag)["head"]
    other = repoint(project, tag, {"net/core.c": "v3\n"})
    before = project.main_head()
    review = project.run("review", "net")
    assert review.code == 1, review.out + review.err
    assert f"no longer names {requested[:12]}" in review.out
    document: Any = project.json("review", "net")
    assert document["requested_head"] == requested
    assert document["head"] == other
    assert "tag-moved" in [w["kind"] for w in document["warnings"]]
    for args in ((), ("--force", "--reason", "x")):
        refused = project.run("merge", "net", "--push", *args)
        assert refused.code == 1, refused.out + refused.err
        assert f"refusing to merge {tag}: the tag now names {other[:12]}" in refused.err
        assert "send a new pull request" in refused.err
    assert project.main_head() == before
    workspace = project.root / ".treemerge" / "repo.git"
    assert git(workspace, "for-each-ref", "refs/merges/") == ""
    assert record_of(project, tag)["state"] == "sent"


def test_a_received_request_names_the_commit_to_review(project: Project, tmp_path: Path) -> None:
    tag = project.send_pull({"net/core.c": "v2\n"})
    text = (project.root / ".treemerge" / "pulls" / f"{tag}.txt").read_text()
    requested = record_of(project, tag)["head"]
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text(text.replace(requested, "1" * 40))
    review = project.run("review", "net", "--request", str(elsewhere))
    assert review.code == 1
    assert f"no longer names {'1' * 12}" in review.out
    assert project.run("review", "net").code == 0


@pytest.mark.parametrize("content", ["", "\n  \n"])
def test_an_empty_request_file_is_a_usage_error(
    project: Project, tmp_path: Path, content: str
) -> None:
    project.send_pull({"net/core.c": "v2\n"})
    empty = tmp_path / "request.txt"
    empty.write_text(content)
    result = project.run("review", "net", "--request", str(empty))
    assert result.code == 2
    assert f"{empty}: empty" in result.err
    assert "Traceback" not in result.err
    assert "changed" not in result.out + result.err


def test_a_request_file_that_is_no_pull_request_is_a_usage_error(
    project: Project, tmp_path: Path
) -> None:
    project.send_pull({"net/core.c": "v2\n"})
    letter = tmp_path / "letter.txt"
    letter.write_text("Dear Linus,\nplease pull.\n")
    result = project.run("review", "net", "--request", str(letter))
    assert result.code == 2
    assert f"{letter}: not a pull request" in result.err
