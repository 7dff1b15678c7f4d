"""Review provenance on real trees (issue 17): each kind of evidence `check` credits to a
tree's cores, and each that it must not."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.git.project import Project
from tests.helpers import git

CORA = "Cora Core <cora@example.org>"  # a core of net
NINA = "Nina Nova <nina@example.org>"  # a core of the main tree, not of net
ANA = "Ana Author <ana@example.org>"
POLICY = f'[subsystem "net"]\ncores = {CORA}\nreview = 1\n'


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    proj = Project(tmp_path, capsys)
    config = proj.root / "maintainers.cfg"
    text = config.read_text().replace("[main]\n", f"[main]\ncores = {NINA}\n")
    config.write_text(text.replace('[subsystem "net"]\n', POLICY))
    assert proj.run("sync", "main").code == 0
    return proj.with_trees("net")


def commit(
    project: Project,
    monkeypatch: pytest.MonkeyPatch,
    message: str,
    *,
    author: str = ANA,
    committer: str = ANA,
    files: Mapping[str, str] | None = None,
    push: bool = True,
) -> str:
    """A commit on net's branch by `author`, applied by `committer`, pushed."""
    name, _, email = committer.partition(" <")
    monkeypatch.setenv("GIT_COMMITTER_NAME", name)
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", email.rstrip(">"))
    work = project.clone("net")
    for path, content in (files or {"net/core.c": message}).items():
        (work / path).write_text(content)
        git(work, "add", path)
    git(work, "commit", "-q", f"--author={author}", "-m", message)
    if push:
        git(work, "push", "-q", "origin", "HEAD:for-main")
    return git(work, "rev-parse", "HEAD").strip()


def note(project: Project, sha: str, text: str) -> None:
    """A review note as Gerrit's review-notes plugin writes it, pushed to the tree."""
    work = project.clone("net")
    git(work, "notes", "--ref=review", "add", "-f", "-m", text, sha)
    git(work, "push", "-q", "-f", "origin", "refs/notes/review")


def review_of(project: Project) -> dict[str, object]:
    assert project.run("sync", "net").code == 0
    review = project.json("check", "net")["review"]
    assert isinstance(review, dict)
    return review


def unreviewed(review: Mapping[str, object]) -> dict[str, str]:
    entries = review["unreviewed"]
    assert isinstance(entries, list)
    return {e["subject"]: e["why"] for e in entries}


def test_each_kind_of_evidence_counts(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    commit(project, monkeypatch, f"net: trailer\n\nWhy.\n\nReviewed-by: {CORA}")
    commit(project, monkeypatch, "net: applied by a core", committer=CORA)
    noted = commit(project, monkeypatch, "net: reviewed on gerrit")
    note(project, noted, f"Code-Review+2: {CORA}\nVerified+1: CI <ci@example.org>\n")
    review = review_of(project)
    assert review == {
        "policy": 1, "reviewed": 3, "unreviewed": [], "reviewers": {CORA: 3}, "credited": {}
    }  # fmt: skip
    assert project.run("check", "net").code == 0


def test_what_must_not_count(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    commit(project, monkeypatch, f"net: nova core\n\nReviewed-by: {NINA}")
    commit(project, monkeypatch, f"net: own review\n\nReviewed-by: {CORA}", author=CORA)
    commit(project, monkeypatch, f"net: quoted\n\nAs she said:\n> Reviewed-by: {CORA}")
    commit(project, monkeypatch, f"Acked-by: {CORA}")
    commit(project, monkeypatch, f"net: not last\n\nReviewed-by: {CORA}\n\nMore text.")
    plus_one = commit(project, monkeypatch, "net: plus one")
    note(project, plus_one, f"Code-Review+1: {CORA}\n")
    review = review_of(project)
    assert review["reviewed"] == 0
    assert review["reviewers"] == {}
    why = unreviewed(review)
    assert why == {
        "net: nova core": f"0 of 1 core review(s) needed; not cores of net: {NINA}",
        "net: own review": "0 of 1 core review(s) needed; its author's own review does not count",
        "net: quoted": "0 of 1 core review(s) needed",
        f"Acked-by: {CORA}": "0 of 1 core review(s) needed",
        "net: not last": "0 of 1 core review(s) needed",
        "net: plus one": "0 of 1 core review(s) needed; votes that do not count: "
        f"Code-Review+1 by {CORA}",
    }
    result = project.run("check", "net")
    assert result.code == 1
    assert "review   0 of 6 commit(s) reviewed by cores of net (1 core(s) per commit)" in result.out
    assert f"unreviewed {noted_prefix(project, 'net: quoted')} net: quoted  ({ANA})" in result.out


def noted_prefix(project: Project, subject: str) -> str:
    work = project.clone("net")
    return git(work, "log", "--format=%h", "--abbrev=12", f"--grep=^{subject}$").strip()


def test_a_core_merge_vouches_for_what_it_brings_in_only(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = project.clone("net")
    git(work, "checkout", "-q", "-b", "topic")
    commit(project, monkeypatch, "net: topic work", files={"net/topic.c": "t\n"}, push=False)
    git(work, "checkout", "-q", "for-main")
    commit(project, monkeypatch, "net: beside the topic")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Cora Core")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "cora@example.org")
    git(work, "merge", "-q", "--no-ff", "-m", "Merge branch 'topic'", "topic")
    git(work, "push", "-q", "origin", "HEAD:for-main")
    review = review_of(project)
    assert review["reviewers"] == {CORA: 1}
    assert list(unreviewed(review)) == ["net: beside the topic"]


def test_a_core_removed_from_maintainers_cfg_no_longer_counts(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit(project, monkeypatch, f"net: trailer\n\nReviewed-by: {CORA}")
    assert review_of(project)["reviewed"] == 1
    config = project.root / "maintainers.cfg"
    config.write_text(config.read_text().replace(f"cores = {CORA}\n", ""))
    assert review_of(project)["reviewed"] == 0


def test_notes_written_after_the_branch_stopped_are_synced(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    sha = commit(project, monkeypatch, "net: reviewed later")
    assert review_of(project)["reviewed"] == 0
    note(project, sha, f"Code-Review+2: {CORA}\n")
    assert review_of(project)["reviewed"] == 1


def test_report_only_and_escaped(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    config = project.root / "maintainers.cfg"
    config.write_text(config.read_text().replace("review = 1\n", "review = 0\n"))
    commit(project, monkeypatch, "net: \x1b[31mred")
    assert project.run("sync", "net").code == 0
    result = project.run("check", "net")
    assert result.code == 0, result.out
    assert "(report only)" in result.out
    assert "net: \\x1b[31mred" in result.out
    assert "\x1b[31m" not in result.out
    assert project.json("check", "net")["review"]["unreviewed"][0]["subject"] == "net: \x1b[31mred"
    assert project.run("check", "net", "--quiet").out == ""


def test_no_review_report_without_a_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = Project(tmp_path, capsys)
    assert project.run("sync", "main").code == 0
    project.with_trees("net")
    commit(project, monkeypatch, "net: work")
    assert project.run("sync", "net").code == 0
    assert "review" not in project.json("check", "net")
    assert "review" not in project.run("check", "net").out


def pulled_and_merged(project: Project, *force: str) -> str:
    """net's pending work sent as a pull request and merged into main; the merge."""
    assert project.run("sync", "main", "net").code == 0
    assert project.run("request-pull", "net", "--send", "--allow-fresh", "-q").code == 0
    result = project.run("merge", "net", "--push", *force)
    assert result.code == 0, result.err
    return project.main_head()


def test_audit_judges_by_the_cores_named_at_the_merge(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = project.root / "maintainers.cfg"
    project.commit("main", {"maintainers.cfg": config.read_text()}, "Keep maintainers.cfg here")
    commit(project, monkeypatch, f"net: early\n\nWhy.\n\nReviewed-by: {CORA}")
    early = pulled_and_merged(project)
    # Cora leaves net's cores: in the upstream's maintainers.cfg and in today's file.
    config.write_text(config.read_text().replace(f"cores = {CORA}\n", ""))
    project.commit("main", {"maintainers.cfg": config.read_text()}, "Cora leaves net's cores")
    commit(project, monkeypatch, f"net: late\n\nWhy.\n\nReviewed-by: {CORA}")
    late = pulled_and_merged(project, "--force", "--reason", "Cora reviewed it")
    result = project.run("audit")
    assert result.code == 1
    merges: Any = project.json("audit")["merges"]
    assert [m["commit"] for m in merges] == [late, early]
    reviews = [m["review"] for m in merges]
    assert [(r["reviewed"], r["reviewers"]) for r in reviews] == [(0, {}), (1, {CORA: 1})]
    assert [u["subject"] for u in reviews[0]["unreviewed"]] == ["net: late"]
    parents = [git(project.main, "rev-parse", f"{m}^1").strip() for m in (late, early)]
    assert [m["cores_from"] for m in merges] == [f"{p[:12]}:maintainers.cfg" for p in parents]
    assert "review   1 of 1 commit(s) reviewed by cores of net" in result.out
    assert f"cores as named by {parents[1][:12]}:maintainers.cfg" in result.out


def test_audit_without_the_file_in_the_tree_uses_todays(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit(project, monkeypatch, f"net: work\n\nWhy.\n\nReviewed-by: {CORA}")
    merged = pulled_and_merged(project)
    (audited,) = project.json("audit")["merges"]
    assert audited["review"]["reviewed"] == 1
    parent = git(project.main, "rev-parse", f"{merged}^1").strip()
    assert audited["cores_from"] == f"today's maintainers.cfg (none in the tree at {parent[:12]})"
