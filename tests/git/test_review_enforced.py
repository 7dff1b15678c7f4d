"""Review provenance where a pull is judged (issue 17): request-pull's Review part and
`unreviewed` lint, `review`'s report and verdict, and `merge`'s refusal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.git.project import Project
from tests.git.test_review_provenance import ANA, CORA, NINA, POLICY, commit
from tests.helpers import git

RED = "net: \x1b[31mred"


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    proj = Project(tmp_path, capsys)
    config = proj.root / "maintainers.cfg"
    config.write_text(config.read_text().replace('[subsystem "net"]\n', POLICY))
    assert proj.run("sync", "main").code == 0
    return proj.with_trees("net")


def two_commits(project: Project, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """One commit a core of net reviewed, one nobody did (its subject with an escape)."""
    reviewed = commit(project, monkeypatch, f"net: reviewed\n\nWhy.\n\nReviewed-by: {CORA}")
    unreviewed = commit(project, monkeypatch, RED, files={"net/red.c": "red\n"})
    assert project.run("sync", "net").code == 0
    return reviewed, unreviewed


def test_request_pull_reports_review_and_lints_unreviewed(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, unreviewed = two_commits(project, monkeypatch)
    result = project.run("request-pull", "net", "--dry-run", "--allow-fresh")
    assert result.code == 0, result.err
    assert (
        "Review (by net's cores; 1 core review per commit):\n"
        "  1 of 2 commits reviewed.\n"
        f"  by {CORA}: 1 commit\n"
        f"  unreviewed  {unreviewed[:12]} net: \\x1b[31mred ({ANA})\n"
        "              0 of 1 core review(s) needed\n"
    ) in result.out
    assert "\x1b[31m" not in result.out
    assert f"warning: 1 commit(s) lack the review of 1 core(s) of net other than their " \
        f"author: {unreviewed[:12]} [unreviewed]" in result.out  # fmt: skip
    document: Any = project.json("request-pull", "net", "--dry-run", "--allow-fresh")
    assert document["review"] == project.json("check", "net")["review"]
    assert document["review"]["unreviewed"][0]["subject"] == RED
    assert [f["rule"] for f in document["lint"] if f["rule"] == "unreviewed"] == ["unreviewed"]
    markdown = project.run("request-pull", "net", "--dry-run", "--format", "markdown").out
    assert "  1 of 2 commits reviewed." in markdown
    assert "\x1b[31m" not in markdown


def test_request_pull_report_only_policy_lints_nothing(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = project.root / "maintainers.cfg"
    config.write_text(config.read_text().replace("review = 1\n", "review = 0\n"))
    two_commits(project, monkeypatch)
    document: Any = project.json("request-pull", "net", "--dry-run", "--allow-fresh")
    assert document["review"]["policy"] == 0
    assert document["review"]["reviewed"] == 1
    assert "unreviewed" not in [f["rule"] for f in document["lint"]]
    text = project.run("request-pull", "net", "--dry-run", "--allow-fresh").out
    assert "Review (by net's cores; report only):" in text


def test_markdown_fence_outlasts_backticks_in_a_reviewer(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    eve = "Eve ```` <eve@example.org>"
    commit(project, monkeypatch, f"net: odd reviewer\n\nWhy.\n\nReviewed-by: {eve}")
    assert project.run("sync", "net").code == 0
    markdown = project.run("request-pull", "net", "--dry-run", "--format", "markdown").out
    report = markdown.split("</details>")[1]
    fence = report.strip().split("\n")[0]
    assert fence == "`````"
    assert eve in report


def test_request_pull_strict_refuses_to_send_unreviewed_work(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, unreviewed = two_commits(project, monkeypatch)
    result = project.run("request-pull", "net", "--strict", "--send", "--allow-fresh")
    assert result.code == 1
    assert f"error: 1 commit(s) lack the review of 1 core(s) of net other than their " \
        f"author: {unreviewed[:12]} [unreviewed]" in result.out  # fmt: skip
    assert "refusing to send the net pull request" in result.err
    assert project.json("prs")["pulls"] == []
    lenient = project.run("request-pull", "net", "--send", "--allow-fresh")
    assert lenient.code == 0, lenient.err
    assert [p["state"] for p in project.json("prs")["pulls"]] == ["sent"]


def test_request_pull_strict_passes_reviewed_work(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit(project, monkeypatch, f"net: reviewed\n\nWhy.\n\nReviewed-by: {CORA}")
    assert project.run("sync", "net").code == 0
    result = project.run("request-pull", "net", "--strict", "--dry-run", "--allow-fresh")
    assert result.code == 0, result.out


def pull_sent(project: Project) -> None:
    """The pull request of net's work: its tag made and pushed."""
    result = project.run("request-pull", "net", "--allow-fresh", "-q")
    assert result.code == 0, result.err


def test_review_reports_and_fails_an_unmet_policy(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, unreviewed = two_commits(project, monkeypatch)
    pull_sent(project)
    result = project.run("review", "net")
    assert result.code == 1
    assert (
        "  review     1 of 2 commit(s) reviewed by cores of net (1 core(s) per commit); "
        f"by {CORA} (1)"
    ) in result.out
    assert f"    unreviewed {unreviewed[:12]} net: \\x1b[31mred  ({ANA})" in result.out
    assert "\x1b[31m" not in result.out
    assert (
        f"not ready: 1 commit(s) without the review of 1 core(s) of net ({unreviewed[:12]})"
        in result.out
    )
    document: Any = project.json("review", "net")
    assert document["review"] == project.json("check", "net")["review"]
    assert document["review"]["unreviewed"][0]["subject"] == RED


def test_review_passes_a_reviewed_pull(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    commit(project, monkeypatch, f"net: reviewed\n\nWhy.\n\nReviewed-by: {CORA}")
    commit(project, monkeypatch, "net: applied by a core", committer=CORA)
    assert project.run("sync", "net").code == 0
    pull_sent(project)
    result = project.run("review", "net")
    assert result.code == 0, result.out
    assert "review     2 of 2 commit(s) reviewed" in result.out
    assert "ready to merge" in result.out


def test_merge_refuses_an_unmet_policy_unless_forced(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit(project, monkeypatch, f"net: nova core\n\nReviewed-by: {NINA}")
    assert project.run("sync", "net").code == 0
    pull_sent(project)
    before = project.main_head()
    refused = project.run("merge", "net", "--push")
    assert refused.code == 1
    assert "1 commit(s) without the review of 1 core(s) of net" in refused.err
    assert "--force --reason TEXT" in refused.err
    assert project.main_head() == before
    forced = project.run("merge", "net", "--force", "--reason", "reviewed on the list", "--push")
    assert forced.code == 0, forced.err
    message = git(project.main, "log", "-1", "--format=%B", project.main_head())
    assert "Merged despite 1 commit(s) without the review of 1 core(s) of net" in message
    assert "Reason: reviewed on the list" in message
