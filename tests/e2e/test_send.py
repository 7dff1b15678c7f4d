"""`request-pull --send` end to end: real trees, a real SMTP server on 127.0.0.1, and a
forge's REST API served locally (a fake following the published API; see forge_server)."""

from __future__ import annotations

import json
from collections.abc import Callable
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest

from tests.e2e.forge_server import TOKEN, FakeForge
from tests.e2e.smtp_server import Server, free_port, smtp_on
from tests.git.project import Project


def configure(project: Project, delivery: str) -> None:
    config = (project.root / "maintainers.cfg").read_text()
    config = config.replace(
        "maintainers-file = MAINTAINERS\n",
        "maintainers-file = MAINTAINERS\nto = Top Dog <top@example.org>\n"
        "cc = everyone@lists.example.org\n",
    )
    config = config.replace(
        "title = NETWORKING\n",
        "title = NETWORKING\nmaintainers = Net Chief <net@example.org>\n"
        "list = netdev@lists.example.org\n",
    )
    (project.root / "maintainers.cfg").write_text(config + "\n[delivery]\n" + delivery)


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    proj = Project(tmp_path, capsys)
    assert proj.run("tree", "create", "net").code == 0
    proj.commit("net", {"net/core.c": "faster\n"}, "net: faster core")
    proj.run("sync")
    return proj


def smtp_delivery(port: int) -> str:
    return (
        f"method = email\nsmtp-server = 127.0.0.1\nsmtp-port = {port}\n"
        "smtp-encryption = none\nfrom = Net Chief <net@example.org>\n"
    )


def test_email_is_sent_once_with_threading_for_the_next_pull(
    project: Project, serve: Callable[..., Server]
) -> None:
    server = serve()
    configure(project, smtp_delivery(server.port))
    first = project.run("request-pull", "net", "--send")
    assert first.code == 0, first.err
    assert project.run("request-pull", "net", "--send").code == 0
    assert len(server.handler.received) == 1
    received = server.handler.received[0]
    mail = message_from_bytes(received.content, policy=default_policy)
    assert str(mail["Subject"]).startswith("[GIT PULL] NETWORKING for main ")
    assert str(mail["To"]) == "Top Dog <top@example.org>"
    assert "netdev@lists.example.org" in str(mail["Cc"])
    assert sorted(received.rcpt_tos) == sorted(
        [
            "top@example.org",
            "everyone@lists.example.org",
            "netdev@lists.example.org",
            "net@example.org",
        ]
    )
    body = mail.get_content()
    assert "are available in the Git repository at:" in body
    assert "treemerge report" in body
    first_id = str(mail["Message-ID"])
    pulls = project.json("prs")["pulls"]
    assert [p["message_id"] for p in pulls] == [first_id]
    # The next pull of the subsystem is a reply to the previous one.
    project.commit("net", {"net/core.c": "faster still\n"}, "net: faster still")
    project.run("sync")
    assert project.run("request-pull", "net", "--send").code == 0
    second = message_from_bytes(server.handler.received[1].content, policy=default_policy)
    assert str(second["In-Reply-To"]) == first_id
    states = [p["state"] for p in project.json("prs")["pulls"]]
    assert states == ["superseded", "sent"]


def test_smtp_down_fails_then_the_retry_uses_the_same_message_id(project: Project) -> None:
    port = free_port()
    configure(project, smtp_delivery(port))
    down = project.run("request-pull", "net", "--send")
    assert down.code == 3
    assert f"127.0.0.1:{port}" in down.err
    (failed,) = project.json("prs")["pulls"]
    assert (failed["state"], failed["attempts"]) == ("failed", 1)
    with smtp_on(port) as handler:
        assert project.run("request-pull", "net", "--send").code == 0
    (sent,) = project.json("prs")["pulls"]
    assert (sent["state"], sent["attempts"], sent["message_id"]) == (
        "sent",
        2,
        failed["message_id"],
    )
    mail = message_from_bytes(handler.received[0].content, policy=default_policy)
    assert str(mail["Message-ID"]) == failed["message_id"]


def test_forge_pull_request_created_once_and_updated_after_a_crash(
    project: Project, forge_server: FakeForge, monkeypatch: pytest.MonkeyPatch
) -> None:
    from treemerge.store.records import Records

    monkeypatch.setenv("TREEMERGE_TOKEN", TOKEN)
    configure(project, f"method = github\napi-url = {forge_server.github_url}\nrepo = nova/nova\n")
    first = project.run("request-pull", "net", "--send")
    assert first.code == 0, first.err
    assert TOKEN not in first.out + first.err
    (pull,) = forge_server.pulls("github")
    assert (pull.head, pull.base) == ("treemerge/net-for-main", "master")
    assert "treemerge report" in pull.body
    # A run that died after the forge answered but before the record was written:
    store = Records(project.root / ".treemerge" / "records.db")
    (record,) = store.all()
    store.update(record.id, "sending")
    store.close()
    again = project.run("request-pull", "net", "--send")
    assert again.code == 0, again.err
    assert len(forge_server.pulls("github")) == 1
    methods = [r.method for r in forge_server.requests]
    assert methods.count("POST") == 1
    assert methods.count("PATCH") == 1
    assert json.loads(project.run("prs", "--json").out)["pulls"][0]["state"] == "sent"
