"""`cron` mails next's conflict notices over real SMTP (127.0.0.1): once to both
trees' maintainers, not again on the next cycle, again when the conflict changes, and
a "resolved" reply in the conflict's thread when it is gone."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.e2e.smtp_server import Server
from tests.git.project import Project

NET = "Net Chief <net@example.org>"
DEE = "Dee River <dee@example.org>"


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str], server: Server) -> Project:
    project = Project(tmp_path, capsys).with_trees("net", "drivers", "wireless")
    config = project.root / "maintainers.cfg"
    text = config.read_text().replace(
        "maintainers-file = MAINTAINERS\n",
        "maintainers-file = MAINTAINERS\nto = Top Dog <top@example.org>\n",
    )
    config.write_text(
        text + "\n[delivery]\nmethod = email\nsmtp-server = 127.0.0.1\n"
        f"smtp-port = {server.port}\nsmtp-encryption = none\nfrom = Bot <bot@example.org>\n"
        "\n[integration]\nstale-after = 0\nstale-cycles = 0\n"
        "\n[notify]\ncc = next@lists.example.org\n"
    )
    return project


def cycle(project: Project, server: Server) -> list[EmailMessage]:
    """One cron cycle; the messages it mailed."""
    before = len(server.handler.received)
    result = project.run("cron", "--quiet")
    assert result.code == 0, result.out + result.err
    return [received.parsed() for received in server.handler.received[before:]]


@pytest.mark.slow  # five whole cron cycles
def test_cron_mails_a_conflict_once_again_when_changed_and_its_resolution(
    project: Project, server: Server
) -> None:
    project.commit("net", {"README": "net's readme\n"}, "net: readme")
    project.commit("drivers", {"README": "drivers' readme\n"}, "drivers: readme")
    [first] = cycle(project, server)
    assert first["Subject"] == (
        "treemerge next: conflict between the drivers tree and the net tree"
    )
    assert {str(a) for a in first["To"].addresses} == {DEE, NET}
    assert str(first["Cc"]) == "Top Dog <top@example.org>, next@lists.example.org"
    body = first.get_content().replace("\r\n", "\n")
    assert "  README  (THE REST)" in body
    assert "drivers' readme\n=======\nnet's readme\n>>>>>>> " in body
    assert server.handler.received[0].rcpt_tos == [
        "dee@example.org",
        "net@example.org",
        "top@example.org",
        "next@lists.example.org",
    ]

    assert cycle(project, server) == []  # the same conflict: not mailed again

    project.commit("drivers", {"README": "drivers' second readme\n"}, "drivers: again")
    [changed] = cycle(project, server)
    assert "drivers' second readme" in changed.get_content()
    assert changed["In-Reply-To"] == first["Message-Id"]
    assert changed["Message-Id"] != first["Message-Id"]

    project.commit("drivers", {"README": "readme\n"}, "drivers: give the readme back")
    [resolved] = cycle(project, server)
    # (A subject this long is folded after "Subject:", which unfolds to a leading space.)
    assert str(resolved["Subject"]).strip() == "Re: " + first["Subject"]
    assert resolved["In-Reply-To"] == changed["Message-Id"]
    assert "is gone" in resolved.get_content()
    assert cycle(project, server) == []
