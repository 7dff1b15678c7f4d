"""Review in a trust tree (wireless -> net -> main): the commits a merged pull of
wireless brought into net are judged, in net's pull to main, by wireless's cores and
policy, found by reachability and never by a merge's message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.git.project import Project
from tests.git.test_review_provenance import ANA, CORA, POLICY
from tests.helpers import git

WENDY = "Wendy Wifi <wendy@example.org>"  # a core of wireless, not of net
WIRELESS = f'[subsystem "wireless"]\ncores = {WENDY}\nreview = 1\n'


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    proj = Project(tmp_path, capsys)
    config = proj.root / "maintainers.cfg"
    text = config.read_text().replace('[subsystem "net"]\n', POLICY)
    config.write_text(text.replace('[subsystem "wireless"]\n', WIRELESS))
    assert proj.run("sync", "main").code == 0
    return proj.with_trees("net", "wireless")


def work(project: Project, tree: str, path: str, message: str) -> str:
    """A commit by Ana in `tree`'s work clone (not pushed)."""
    clone = project.clone(tree)
    (clone / path).parent.mkdir(parents=True, exist_ok=True)
    (clone / path).write_text(message)
    git(clone, "add", path)
    git(clone, "commit", "-q", f"--author={ANA}", "-m", message)
    return git(clone, "rev-parse", "HEAD").strip()


def push(project: Project, tree: str, branch: str) -> None:
    git(project.clone(tree), "push", "-q", "origin", f"HEAD:{branch}")


def trust_history(project: Project) -> dict[str, str]:
    """wireless's two commits, pulled into net by a plain git merge; net's own reviewed
    commit, and a topic merge of net's whose message claims to pull wireless."""
    shas = {
        "w1": work(project, "wireless", "net/wireless/a.c", f"wireless: a\n\nReviewed-by: {WENDY}"),
        "w2": work(project, "wireless", "net/wireless/b.c", f"wireless: b\n\nReviewed-by: {CORA}"),
    }
    push(project, "wireless", "for-net")
    net = project.clone("net")
    wireless = str(project.root / "trees" / "wireless.git")
    git(net, "pull", "-q", "--no-rebase", "--no-ff", "--no-edit", wireless, "for-net")
    shas["n1"] = work(project, "net", "net/n1.c", f"net: own\n\nReviewed-by: {CORA}")
    git(net, "checkout", "-q", "-b", "topic", "HEAD~1")
    shas["x"] = work(project, "net", "net/x.c", "net: topic")
    git(net, "checkout", "-q", "for-main")
    git(net, "merge", "-q", "--no-ff", "-m", "Merge tag 'wireless-for-net-2026-01-01'", "topic")
    push(project, "net", "for-main")
    assert project.run("sync", "net", "wireless").code == 0
    return shas


def test_a_child_trees_commits_are_judged_by_its_cores(project: Project) -> None:
    shas = trust_history(project)
    review: Any = project.json("check", "net")["review"]
    assert review["reviewed"] == 2  # w1 by wireless's core, n1 by net's
    assert review["credited"] == {"wireless": {"commits": 2, "reviewed": 1}}
    assert review["reviewers"] == {CORA: 1, WENDY: 1}
    assert {u["commit"]: (u["tree"], u["why"]) for u in review["unreviewed"]} == {
        shas["w2"]: ("wireless", f"0 of 1 core review(s) needed; not cores of wireless: {CORA}"),
        shas["x"]: ("net", "0 of 1 core review(s) needed"),
    }
    result = project.run("check", "net")
    assert result.code == 1
    assert "1 of 2 reviewed in wireless" in result.out
    assert f"{shas['w2'][:12]} wireless: b  ({ANA})  0 of 1 core review(s) needed; not cores " \
        f"of wireless: {CORA} (judged in wireless, by its cores)" in result.out  # fmt: skip
    text = project.run("request-pull", "net", "--dry-run", "--allow-fresh").out
    assert "  1 of 2 commits from wireless's merged pulls reviewed in wireless" in text
    assert "0 of 1 core review(s) needed; not cores of wireless: " in text
    assert "(judged in wireless)" in text


def test_without_the_childs_policy_the_tree_judges_all(project: Project) -> None:
    config = project.root / "maintainers.cfg"
    config.write_text(config.read_text().replace(WIRELESS, '[subsystem "wireless"]\n'))
    shas = trust_history(project)
    review: Any = project.json("check", "net")["review"]
    assert review["credited"] == {}
    assert review["reviewers"] == {CORA: 2}  # w2 and n1: Cora is net's core
    assert {u["commit"]: u["tree"] for u in review["unreviewed"]} == {
        shas["w1"]: "net",
        shas["x"]: "net",
    }
