"""`request-pull --send` to a forge, end to end: real trees, the branch treemerge pushes
to the head repository, and the forge's REST API served locally (the one thing faked:
tests/e2e/forge_server.py follows GitHub's and Gitea's published APIs, and reads the
branches of the real repositories it is told stand behind its own)."""

from __future__ import annotations

from base64 import b64encode
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from tests.e2e.forge_server import BOT, PASSWORD, TOKEN, FakeForge, branch_sha
from tests.git.project import Project
from tests.helpers import git

pytestmark = pytest.mark.slow  # whole request-pull --send runs against the local forge

KINDS = ["github", "gitea"]
BRANCH = "treemerge/net-for-main"
# What git's credential helper holds for each forge, and the Authorization it is sent as.
HELPER_LOGINS = {
    "gitea": (PASSWORD, "Basic " + b64encode(f"{BOT}:{PASSWORD}".encode()).decode()),
    "github": (TOKEN, f"Bearer {TOKEN}"),
}


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    proj = Project(tmp_path, capsys).with_trees("net")
    proj.commit("net", {"net/core.c": "faster\n"}, "net: faster core")
    proj.run("sync")  # the other trees are not created: only net matters
    return proj


def use_forge(
    project: Project, forge: FakeForge, kind: str, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Deliver to `forge`, strict, whose nova/nova is the main tree and whose
    net-team/nova, a fork of it, is the net tree; that tree's git directory."""
    monkeypatch.setenv("TREEMERGE_TOKEN", TOKEN)
    net = project.root / "trees" / "net.git"
    forge.strict = True
    forge.add_repo("nova/nova", project.main / ".git", writers=(BOT,))
    forge.add_repo("net-team/nova", net, fork_of="nova/nova")
    config = (project.root / "maintainers.cfg").read_text()
    config = config.replace('[subsystem "net"]\n', '[subsystem "net"]\nforge-fork = net-team\n')
    url = forge.github_url if kind == "github" else forge.gitea_url
    delivery = f"\n[delivery]\nmethod = {kind}\napi-url = {url}\nrepo = nova/nova\n"
    (project.root / "maintainers.cfg").write_text(config + delivery)
    return net


def send(project: Project) -> tuple[str, str]:
    """`request-pull net --send`, which must succeed: the tag and the commit it names."""
    result = project.run("request-pull", "net", "--send")
    assert result.code == 0, result.err
    assert TOKEN not in result.out + result.err
    assert PASSWORD not in result.out + result.err
    record = project.json("prs")["pulls"][-1]
    assert record["state"] == "sent"
    return str(record["tag"]), str(record["head"])


@pytest.mark.parametrize("kind", KINDS)
def test_the_pull_request_shows_the_tagged_commit_and_follows_later_requests(
    project: Project, forge_server: FakeForge, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    net = use_forge(project, forge_server, kind, monkeypatch)

    tag, tagged = send(project)

    assert git(net, "rev-parse", f"{tag}^{{commit}}").strip() == tagged
    (pull,) = forge_server.pulls(kind)
    assert (pull.head_repo, pull.head, pull.base) == ("net-team/nova", BRANCH, "master")
    assert branch_sha(net, BRANCH) == tagged
    assert forge_server.view(kind, pull)["head"]["sha"] == tagged
    # The team goes on merging: the pull request still shows what was tagged.
    project.commit("net", {"net/core.c": "faster still\n"}, "net: faster still")
    assert forge_server.view(kind, pull)["head"]["sha"] == tagged
    # Its next request moves the branch and updates the same pull request.
    project.run("sync")
    later_tag, later = send(project)

    assert (later_tag, later) != (tag, tagged)
    assert forge_server.pulls(kind) == [pull]
    assert forge_server.view(kind, pull)["head"]["sha"] == later == branch_sha(net, BRANCH)
    assert f"tag `{later_tag}`" in pull.body
    records = project.json("prs")["pulls"]
    assert [r["state"] for r in records] == ["superseded", "sent"]
    assert len({r["delivered_to"] for r in records}) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_without_a_token_the_login_comes_from_git_s_credential_helper(
    project: Project, forge_server: FakeForge, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real helper in the user's global git config: Gitea is sent its user name and
    password (the account's own) by Basic auth, GitHub its password as a token."""
    password, authorization = HELPER_LOGINS[kind]
    use_forge(project, forge_server, kind, monkeypatch)
    monkeypatch.delenv("TREEMERGE_TOKEN")
    helper = f"!f() {{ echo username={BOT}; echo password={password}; }}; f"
    git(project.root, "config", "--global", "credential.helper", helper)

    send(project)

    assert {r.headers["Authorization"] for r in forge_server.requests} == {authorization}
    (pull,) = forge_server.pulls(kind)
    assert pull.poster == BOT


def test_a_pull_of_2000_files_is_delivered_with_its_body_capped(
    project: Project, forge_server: FakeForge, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_forge(project, forge_server, "github", monkeypatch)
    work = project.clone("net")
    folder = work / "net" / "drivers" / "ethernet" / "a-vendor-with-a-rather-long-name"
    folder.mkdir(parents=True)
    for n in range(2000):
        (folder / f"queue-handler-number-{n:04}.c").write_text(f"{n}\n")
    git(work, "add", "net")
    git(work, "commit", "-q", "-m", "net: one handler per queue")
    git(work, "push", "-q", "origin", "HEAD:for-main")
    project.run("sync")

    tag, _ = send(project)

    (pull,) = forge_server.pulls("github")
    whole = (project.root / ".treemerge" / "pulls" / f"{tag}.md").read_text()
    assert len(whole) > 65_536
    assert len(pull.body) <= 65_536
    assert pull.body.endswith(" -->\n")  # treemerge's marker stays last
    assert f"`.treemerge/pulls/{tag}.md` where it was sent from" in pull.body
    assert " lines cut here …]\n" in pull.body
    # The summary at the start and treemerge's report at the end stand as they were.
    assert pull.body.startswith(whole[: whole.index("<details>")])
    assert whole[whole.index("</details>") :].rstrip() in pull.body
    # It renders as the whole text does: git's text folded away, the report after it.
    page = MarkdownIt("commonmark").render(pull.body)
    assert page.count("<pre><code>") == page.count("</code></pre>") == 2
    assert page.index("</details>") < page.index("treemerge report")


def test_a_branch_that_cannot_be_pushed_fails_before_the_forge_is_asked(
    project: Project, forge_server: FakeForge, monkeypatch: pytest.MonkeyPatch
) -> None:
    net = use_forge(project, forge_server, "github", monkeypatch)
    # A branch named `treemerge` leaves no room for treemerge/net-for-main (git's refs
    # are files): the push is refused, as a protected branch would be.
    git(net, "update-ref", "refs/heads/treemerge", git(net, "rev-parse", "for-main").strip())

    result = project.run("request-pull", "net", "--send")

    assert result.code == 3
    assert "cannot push treemerge/net-for-main, the branch the forge pull request is" in result.err
    (record,) = project.json("prs")["pulls"]
    assert record["state"] == "failed"
    assert "cannot push treemerge/net-for-main" in record["error"]
    assert forge_server.requests == []
