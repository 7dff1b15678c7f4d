"""Merged replies end to end: `cron` sends the pulls, `merge --push` merges one, and the
next `cron` answers it exactly once, by real SMTP on 127.0.0.1 (threaded to the pull)
or as a comment on the forge pull request, which it closes; also when a run is killed
anywhere on the way and run again."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.e2e.forge_server import TOKEN, FakeForge
from tests.e2e.smtp_server import Server
from tests.e2e.test_cron import SCENARIOS, cron, make_fixture, pulls
from treemerge.sandbox.fixture import Fixture


def email_fixture(tmp_path: Path, server: Server) -> Fixture:
    return make_fixture(
        tmp_path,
        f"method = email\nsmtp-server = 127.0.0.1\nsmtp-port = {server.port}\n"
        "from = Bot <bot@example.org>\n",
    )


def merge(fixture: Fixture, tree: str) -> None:
    """The top maintainer merges `tree`'s pull and pushes the main tree."""
    done = subprocess.run(
        [sys.executable, "-m", "treemerge", "merge", tree, "--push"],
        cwd=fixture.dest,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def replies(server: Server) -> list[EmailMessage]:
    mails = [received.parsed() for received in server.handler.received]
    return [mail for mail in mails if str(mail["Subject"]).startswith("Re: ")]


def sent_and_merged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], server: Server
) -> tuple[Fixture, dict[str, object]]:
    fixture = email_fixture(tmp_path, server)
    first = cron(fixture)
    assert first.returncode == 0, first.stdout + first.stderr
    assert len(server.handler.received) == len(SCENARIOS)
    merge(fixture, "libvirt")
    (pull,) = [p for p in pulls(fixture, capsys) if p["subsystem"] == "libvirt"]
    return fixture, pull


def test_a_merged_pull_gets_one_threaded_reply(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], serve: Callable[..., Server]
) -> None:
    server = serve()
    fixture, pull = sent_and_merged(tmp_path, capsys, server)
    after = cron(fixture, "--quiet")
    assert after.returncode == 0, after.stdout + after.stderr
    assert f"notify libvirt: sent  merged reply to {pull['tag']} -> <treemerge.notice." in (
        after.stdout
    )
    (reply,) = replies(server)
    assert str(reply["Subject"]) == f"Re: {pull['subject']}"
    assert str(reply["Subject"]).startswith("Re: [GIT PULL] ")
    assert str(reply["In-Reply-To"]) == pull["message_id"]
    assert str(reply["References"]) == pull["message_id"]
    assert str(reply["To"]) == "Bot <bot@example.org>"
    for address in [*pull["to"], *pull["cc"]]:  # type: ignore[misc]
        assert address.split("<")[-1].rstrip(">") in str(reply["Cc"])
    body = reply.get_content().replace("\r\n", "\n")
    assert f"tags/{pull['tag']}\n\nhas been merged into main:\n" in body
    assert cron(fixture, "--quiet").stdout == ""
    assert len(replies(server)) == 1
    others = [p for p in pulls(fixture, capsys) if p["subsystem"] != "libvirt"]
    assert {p["state"] for p in others} == {"sent"}


@pytest.mark.slow  # whole cron cycles, each killed once and run again
@pytest.mark.parametrize(
    "point",
    [
        "after-sync",
        "notice-sending",
        "before-notice-deliver",
        "after-notice-deliver",
        "notice-sent",
    ],
)
def test_killed_anywhere_the_reply_still_goes_once(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    serve: Callable[..., Server],
    point: str,
) -> None:
    server = serve()
    fixture, pull = sent_and_merged(tmp_path, capsys, server)
    killed = cron(fixture, failpoint=point)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    finished = cron(fixture)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert cron(fixture, "--quiet").stdout == ""
    mails = replies(server)
    # One reply, under one Message-Id; only a kill after the server took it and before
    # it was recorded sent sends it again, and then under the same Message-Id.
    delivered_unrecorded = point in ("after-notice-deliver", "notice-sent")
    assert len(mails) == (2 if delivered_unrecorded else 1)
    assert len({str(m["Message-ID"]) for m in mails}) == 1
    assert {str(m["In-Reply-To"]) for m in mails} == {pull["message_id"]}


@pytest.mark.slow  # whole cron cycles over a forge served locally
def test_on_a_forge_the_reply_is_a_comment_and_the_pull_request_closes(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    forge_server: FakeForge,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TREEMERGE_TOKEN", TOKEN)
    fixture = make_fixture(
        tmp_path, f"method = github\napi-url = {forge_server.github_url}\nrepo = nova/nova\n"
    )
    text = fixture.config.read_text()
    for tree in SCENARIOS:
        header = f'[subsystem "{tree}"]\n'
        text = text.replace(header, f"{header}forge-fork = {tree}-team\n")
    fixture.config.write_text(text)
    assert cron(fixture).returncode == 0
    merge(fixture, "libvirt")
    killed = cron(fixture, failpoint="after-notice-deliver")  # commented, not recorded
    assert killed.returncode == -signal.SIGKILL
    again = cron(fixture, "--quiet")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "notify libvirt: sent  merged reply to libvirt-for-main-" in again.stdout
    by_head = {p.head: p for p in forge_server.pulls("github")}
    merged = by_head["treemerge/libvirt-for-main"]
    assert merged.state == "closed"
    (comment,) = merged.comments
    assert "has been merged into main" in comment.body
    assert "treemerge-notice: <treemerge.notice." in comment.body
    others = [p for head, p in by_head.items() if head != "treemerge/libvirt-for-main"]
    assert [(p.state, p.comments) for p in others] == [("open", [])] * 2
    assert cron(fixture, "--quiet").stdout == ""
    closes = [
        r for r in forge_server.requests if r.method == "PATCH" and r.body == {"state": "closed"}
    ]
    assert len(closes) == 1


def test_a_notice_with_no_pull_request_is_a_file_that_says_so(
    tmp_path: Path, forge_server: FakeForge, monkeypatch: pytest.MonkeyPatch
) -> None:
    from treemerge.app.notify import NO_PULL_REQUEST, deliver_notices
    from treemerge.app.project import open_project
    from treemerge.core.notice import Notice

    monkeypatch.setenv("TREEMERGE_TOKEN", TOKEN)
    fixture = make_fixture(
        tmp_path, f"method = github\napi-url = {forge_server.github_url}\nrepo = nova/nova\n"
    )
    notice = Notice("conflict", "conflict:x", ("libvirt", "vmware"), "conflict", "body\n", ())
    project = open_project(fixture.config, fixture.dest)
    (outcome,) = deliver_notices(project, [notice])
    assert outcome.record.state == "sent"
    assert outcome.record.delivered_to.endswith(f" ({NO_PULL_REQUEST})")
    assert outcome.record.delivered_to.startswith(str(fixture.dest / ".treemerge" / "notices"))
    assert forge_server.requests == []
