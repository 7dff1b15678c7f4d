"""Pull requests on GitHub and Gitea: what they point at, created once and updated
after, against the fake forge on 127.0.0.1 (the REST API is the one thing faked; the
forge's repositories are real: see forge_client.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.e2e.forge_client import (
    BRANCH,
    KINDS,
    MARKER,
    Repos,
    client,
    forge,
    pull_message,
    repos,
    settings,
    sleeps,
)
from tests.e2e.forge_server import FakeForge, Recorded, forge_server
from treemerge.deliver import DeliveryError
from treemerge.deliver.forge import ForgeResult

__all__ = ["forge", "forge_server", "repos"]  # the fixtures, used by name


# What the pull request points at


@pytest.mark.parametrize("kind", KINDS)
def test_creates_the_pull_request_from_the_branch_holding_the_commit(
    forge: FakeForge, repos: Repos, kind: str
) -> None:
    result = client(forge, kind).deliver(pull_message(repos.head))

    kind_path = "pull" if kind == "github" else "pulls"
    assert result == ForgeResult(1, f"https://{kind}.example/nova/nova/{kind_path}/1", True)
    [pull] = forge.pulls(kind)
    assert (pull.head_repo, pull.head, pull.base) == ("nova/nova", BRANCH, "master")
    assert forge.view(kind, pull)["head"]["sha"] == repos.head
    assert pull.title == "[GIT PULL] LIBVIRT DRIVER for main 2026-11-22"
    assert pull.body == f"Please pull.\n\n{MARKER}\n"
    prefix = "/api/v1" if kind == "gitea" else ""
    assert forge.methods() == [
        f"GET {prefix}/repos/nova/nova/pulls",
        f"POST {prefix}/repos/nova/nova/pulls",
    ]
    post = forge.requests[1]
    assert post.body["head"] == BRANCH
    assert post.headers["User-Agent"] == "treemerge"


@pytest.mark.parametrize("kind", KINDS)
def test_a_later_request_moves_the_branch_and_updates_the_same_pull(
    forge: FakeForge, repos: Repos, kind: str
) -> None:
    forge_client = client(forge, kind, fork="libvirt-team")
    first = forge_client.deliver(pull_message(repos.head, body="First version."))
    repos.move(repos.fork, repos.later)  # what app.send pushes for the later request

    second = forge_client.deliver(pull_message(repos.later, body="Second version."))

    assert second == ForgeResult(first.number, first.url, created=False)
    [pull] = forge.pulls(kind)
    assert pull.body == f"Second version.\n\n{MARKER}\n"
    assert forge.view(kind, pull)["head"]["sha"] == repos.later
    assert [r.method for r in forge.requests] == ["GET", "POST", "GET", "PATCH"]
    assert forge.requests[-1].path.endswith("/repos/nova/nova/pulls/1")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("when", ["POST", "PATCH"])
def test_a_head_that_moved_is_refused(forge: FakeForge, repos: Repos, kind: str, when: str) -> None:
    """Someone pushes to the branch between treemerge's push and its call: the forge
    now shows another commit than the tag names, and would merge it."""
    forge_client = client(forge, kind, fork="libvirt-team")
    if when == "PATCH":
        forge_client.deliver(pull_message(repos.head))

    def push_meanwhile(recorded: Recorded) -> None:
        if recorded.method == when:
            repos.move(repos.fork, repos.base)

    forge.on_request = push_meanwhile

    with pytest.raises(DeliveryError) as error:
        forge_client.deliver(pull_message(repos.head))

    assert error.value.retryable
    assert error.value.exit_code == 3
    text = str(error.value)
    assert f"shows {repos.base[:12]} at its head {BRANCH}, not {repos.head[:12]}" in text
    assert "the commit tag libvirt-for-main-2026-11-22 names" in text
    # Read again after GitHub's background update had time, then refused.
    assert sleeps(forge) == [2.0, 4.0]
    assert forge.methods()[-2:] == [f"GET {forge.requests[-1].path}"] * 2


@pytest.mark.parametrize("kind", KINDS)
def test_a_branch_missing_from_the_head_repository_is_refused_in_the_forge_s_words(
    forge: FakeForge, repos: Repos, kind: str
) -> None:
    with pytest.raises(DeliveryError) as error:
        client(forge, kind, fork="libvirt-team").deliver(pull_message(repos.head, "for-main"))

    assert not error.value.retryable
    text = str(error.value)
    if kind == "github":
        # GitHub's 422 names only the field and the code.
        assert "HTTP 422: Validation Failed: head: invalid" in text
    else:
        assert "HTTP 404 (not found): Gitea answers 404 here when" in text
        assert "when branch for-main is not in the head repository" in text


def test_gitea_404_names_every_cause(forge: FakeForge, repos: Repos) -> None:
    forge.add_repo("ironic-team/ironic", repos.fork)  # ironic-team exists, without a fork

    with pytest.raises(DeliveryError) as error:
        client(forge, "gitea", fork="ironic-team").deliver(pull_message(repos.head))

    text = str(error.value)
    assert "HTTP 404 (GetBaseRepo): Gitea answers 404 here when there is no user or " in text
    assert "organisation ironic-team, when ironic-team has no fork of nova/nova, when " in text
    assert "or when the token's account cannot read either repository" in text
    assert "check `repo =" not in text


def test_github_fork_in_the_upstream_s_organisation_names_its_repository(
    forge: FakeForge, repos: Repos
) -> None:
    forge.add_repo("nova/nova-libvirt", repos.fork, fork_of="nova/nova")
    forge_client = client(forge, fork="nova/nova-libvirt")

    first = forge_client.deliver(pull_message(repos.head))
    second = forge_client.deliver(pull_message(repos.head))

    post = next(r for r in forge.requests if r.method == "POST")
    assert (post.body["head"], post.body["head_repo"]) == (f"nova:{BRANCH}", "nova/nova-libvirt")
    assert [p.head_repo for p in forge.pulls("github")] == ["nova/nova-libvirt"]
    assert (first.created, second.number, second.created) == (True, first.number, False)


def test_gitea_refuses_a_fork_in_the_upstream_s_organisation(forge: FakeForge) -> None:
    with pytest.raises(DeliveryError, match=r"^forge-fork: Gitea cannot open a pull request"):
        settings(forge, "gitea", fork="nova/nova-libvirt")


@pytest.mark.parametrize("kind", KINDS)
def test_logins_compare_without_case(forge: FakeForge, repos: Repos, kind: str) -> None:
    forge_client = client(forge, kind, fork="Libvirt-Team")

    first = forge_client.deliver(pull_message(repos.head))
    second = forge_client.deliver(pull_message(repos.head))

    assert (first.created, second.number, second.created) == (True, first.number, False)
    assert len(forge.pulls(kind)) == 1


def test_title_is_one_line_without_controls(forge: FakeForge, repos: Repos) -> None:
    message = replace(pull_message(repos.head), subject="[GIT PULL] x\r\nInjected: \x1b[31mred")

    client(forge).deliver(message)

    assert forge.pulls("github")[0].title == "[GIT PULL] x Injected: \\x1b[31mred"


@pytest.mark.parametrize("kind", KINDS)
def test_another_head_branch_gets_its_own_pull(forge: FakeForge, repos: Repos, kind: str) -> None:
    other = "treemerge/libvirt-for-scheduler"
    repos.move(repos.upstream, repos.head, other)
    forge_client = client(forge, kind)
    first = forge_client.deliver(pull_message(repos.head))

    second = forge_client.deliver(pull_message(repos.head, other, message_id="<pull-2@x>"))

    assert (first.number, second.number, second.created) == (1, 2, True)
    assert [p.head for p in forge.pulls(kind)] == [BRANCH, other]


@pytest.mark.parametrize("kind", KINDS)
def test_closed_pull_is_not_reused(forge: FakeForge, repos: Repos, kind: str) -> None:
    forge.add_pull(kind, BRANCH, state="closed")

    result = client(forge, kind).deliver(pull_message(repos.head))

    assert (result.number, result.created) == (2, True)


@pytest.mark.parametrize("kind", KINDS)
def test_fork_head_is_owner_qualified(forge: FakeForge, repos: Repos, kind: str) -> None:
    # The same branch name in the upstream repository itself is another pull request.
    forge.add_pull(kind, BRANCH)
    forge_client = client(forge, kind, fork="libvirt-team")

    first = forge_client.deliver(pull_message(repos.head))
    second = forge_client.deliver(pull_message(repos.head))

    assert (first.number, first.created, second.number, second.created) == (2, True, 2, False)
    post = next(r for r in forge.requests if r.method == "POST")
    assert post.body["head"] == f"libvirt-team:{BRANCH}"
    assert "head_repo" not in post.body
    assert forge.pulls(kind)[1].head_repo == "libvirt-team/nova"


@pytest.mark.parametrize("kind", KINDS)
def test_pull_created_meanwhile_is_updated(forge: FakeForge, repos: Repos, kind: str) -> None:
    # Another run creates the pull request between our lookup and our create: the
    # forge refuses the duplicate (GitHub 422, Gitea 409) and we update that one.
    def race(recorded: Recorded) -> None:
        if recorded.method == "POST":
            forge.add_pull(kind, BRANCH, body="made by the other run")

    forge.on_request = race

    result = client(forge, kind).deliver(pull_message(repos.head))

    assert (result.number, result.created) == (1, False)
    [pull] = forge.pulls(kind)
    assert MARKER in pull.body
    assert [r.method for r in forge.requests] == ["GET", "POST", "GET", "PATCH"]


def test_gitea_pull_of_another_poster_needs_write_access(forge: FakeForge, repos: Repos) -> None:
    repo = forge.repo("nova/nova")
    assert repo is not None
    repo.writers.clear()
    forge.add_pull("gitea", BRANCH, poster="someone-else")

    with pytest.raises(DeliveryError) as error:
        client(forge, "gitea").deliver(pull_message(repos.head))

    text = str(error.value)
    assert "PATCH /repos/nova/nova/pulls/1: HTTP 403: the token may not do this" in text
    assert "only the pull request's poster or a writer may edit it" in text


# The body's cap


@pytest.mark.parametrize("kind", KINDS)
def test_a_body_past_github_s_limit_is_cut_and_delivered(
    forge: FakeForge, repos: Repos, kind: str
) -> None:
    text = "## Pull\n\n```\n" + "".join(f"line {n:06}\n" for n in range(10_000)) + "```\n"

    client(forge, kind).deliver(pull_message(repos.head, body=text), kept_at=".treemerge/x.md")

    [pull] = forge.pulls(kind)
    if kind == "gitea":  # no such limit
        assert pull.body == f"{text.rstrip()}\n\n{MARKER}\n"
        return
    assert len(pull.body) <= 65_536
    assert pull.body.endswith(f"\n\n{MARKER}\n")
    assert "lines cut here …]\n" in pull.body
    assert "line 000000\n" in pull.body
    assert "line 009999\n```\n\n*This description is cut to the forge's limit" in pull.body
    assert "The whole pull request is in `.treemerge/x.md` where it was sent from" in pull.body
