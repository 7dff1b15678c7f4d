"""Notices recorded and delivered exactly once (delivery by files: `method = none`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.git.project import Project
from treemerge.app.notify import deliver_notices, notice_message_id
from treemerge.app.project import open_project
from treemerge.core.notice import Notice

CONFLICT = Notice(
    kind="conflict",
    key="conflict:net+drivers:abc123",
    trees=("net", "drivers"),
    subject="[treemerge] net and drivers conflict in net/core.c",
    body="net and drivers both change net/core.c.\n",
    to=("Net Chief <net@example.org>",),
    cc=("Dee River <dee@example.org>",),
)


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    proj = Project(tmp_path, capsys)
    config = proj.root / "maintainers.cfg"
    config.write_text(config.read_text() + "\n[notify]\ncc = core@lists.example.org\n")
    return proj


def deliver(project: Project, *notices: Notice) -> list[tuple[str, bool, str]]:
    opened = open_project(project.root / "maintainers.cfg", project.root)
    return [
        (o.record.state, o.already_sent, o.record.delivered_to)
        for o in deliver_notices(opened, notices)
    ]


def test_a_notice_is_a_file_once_and_keeps_its_first_text(project: Project) -> None:
    ((state, again, where),) = deliver(project, CONFLICT)
    assert (state, again) == ("sent", False)
    path = Path(where)
    assert path.parent == project.root / ".treemerge" / "notices"
    assert path.name.startswith("conflict-")
    assert path.suffix == ".txt"
    text = path.read_text()
    message_id = notice_message_id(CONFLICT.key, "treemerge.invalid")
    assert text == (
        f"Subject: {CONFLICT.subject}\n"
        "To: Net Chief <net@example.org>\n"
        "Cc: Dee River <dee@example.org>, core@lists.example.org\n"
        f"Message-Id: {message_id}\n"
        "\n"
        "net and drivers both change net/core.c.\n"
    )
    path.unlink()
    changed = CONFLICT._replace(body="other words\n")
    assert deliver(project, changed) == [("sent", True, where)]
    assert not path.exists()  # a notice sent is never sent again


def test_a_notice_following_another_is_threaded_to_it(project: Project) -> None:
    resolved = Notice(
        kind="resolved",
        key="resolved:net+drivers:abc123",
        trees=("net", "drivers"),
        subject="Re: " + CONFLICT.subject,
        body="resolved\n",
        to=CONFLICT.to,
        reply_to_key=CONFLICT.key,
    )
    outcomes = deliver(project, CONFLICT, resolved)
    assert [(state, again) for state, again, _ in outcomes] == [("sent", False)] * 2
    text = Path(outcomes[1][2]).read_text()
    assert f"In-Reply-To: {notice_message_id(CONFLICT.key, 'treemerge.invalid')}\n" in text
    listed = project.json("notices")["notices"]
    assert [(n["kind"], n["state"], n["in_reply_to"]) for n in listed] == [
        ("conflict", "sent", None),
        ("resolved", "sent", notice_message_id(CONFLICT.key, "treemerge.invalid")),
    ]
