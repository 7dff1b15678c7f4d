"""Delivering notices (merged replies, conflict notices, warnings): each exactly once.

A notice is recorded by its key before delivery (prepared, with its text rendered then
and kept), `sending` while it goes out and `sent` or `failed` after, as a pull request
is (app/send.py): a run killed in between leaves a record the next run finishes under
the same Message-Id and with the same words, and a notice sent is never sent again.

It goes the way [delivery] says: by email (threaded to the message it answers), as a
comment on the forge pull request it concerns (a merged reply also closes it), or as a
file in the workspace (`method = none`, and a notice that has no pull request to
comment on).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from treemerge.app.project import Project
from treemerge.app.send import deliver_recorded, forge_client, mail_domain, records, send_mail
from treemerge.core.escape import escape_text
from treemerge.core.notice import Notice
from treemerge.deliver import DeliveryError, NoticeMessage, forge_branch
from treemerge.store.files import atomic_write
from treemerge.store.notices import NoticeRecord
from treemerge.store.records import Records

NOTICES_DIR = "notices"
SHORT_KEY = 12  # hex digits of the key's digest in a notice's file name
NO_PULL_REQUEST = "no pull request to comment on"


class NoticeOutcome(NamedTuple):
    """What became of one notice: its record (state sent or failed, `delivered_to`,
    `error`), and whether an earlier run had sent it already."""

    record: NoticeRecord
    already_sent: bool

    @property
    def failed(self) -> bool:
        return self.record.state == "failed"

    def as_dict(self) -> dict[str, object]:
        return {**self.record.as_dict(), "already_sent": self.already_sent}


def notice_message_id(key: str, domain: str) -> str:
    """The Message-Id of the notice keyed `key`: the same whatever the run."""
    return f"<treemerge.notice.{_digest(key)[:20]}@{domain}>"


def deliver_notices(project: Project, notices: Sequence[Notice]) -> list[NoticeOutcome]:
    """Deliver each notice not sent yet, once, by [delivery]'s method: prepared (by its
    key: a notice recorded already keeps its text), sending, delivered, then sent; or
    failed, with the error, for the next run to retry (the others still go). A notice
    sent already is not sent again."""
    if not notices:
        return []
    with records(project) as store:
        return [_deliver_one(project, store, notice) for notice in notices]


def _deliver_one(project: Project, store: Records, notice: Notice) -> NoticeOutcome:
    method = project.config.delivery.method
    record = store.notice(notice.key) or store.prepare_notice(
        _addressed(project, notice),
        message_id=notice_message_id(notice.key, mail_domain(project)),
        in_reply_to=_thread(store, notice),
    )
    if record.state == "sent":
        return NoticeOutcome(record, already_sent=True)
    record, _ = deliver_recorded(
        store.update_notice,
        record,
        lambda sending: _deliver(project, store, sending, method),
        method=method,
        point="notice-deliver",
    )
    return NoticeOutcome(record, already_sent=False)  # (failed: the next run retries)


def _addressed(project: Project, notice: Notice) -> Notice:
    """The notice with [notify]'s `cc` added (never someone it goes To already)."""
    cc = [c for c in (*notice.cc, *project.config.notify.cc) if c not in notice.to]
    return notice._replace(cc=tuple(dict.fromkeys(cc)))


def _thread(store: Records, notice: Notice) -> str | None:
    """The Message-Id the notice answers: its pull's, or the notice it follows'."""
    if notice.reply_to_message:
        return notice.reply_to_message
    followed = store.notice(notice.reply_to_key) if notice.reply_to_key else None
    return followed.message_id if followed else None


def _deliver(project: Project, store: Records, record: NoticeRecord, method: str) -> str:
    """Hand the recorded notice to `method`; where it went."""
    message = NoticeMessage(
        subsystem=record.trees[0] if record.trees else record.kind,
        subject=record.subject,
        body_text=record.body,
        sender=project.config.delivery.get("from"),
        to=record.to,
        cc=record.cc,
        message_id=record.message_id,
        in_reply_to=record.in_reply_to,
    )
    if method == "email":
        return send_mail(project, message)
    if method in ("github", "gitea"):
        return _to_forge(project, store, record, message, method)
    if method == "none":
        return str(write_notice(project.workspace.workspace / NOTICES_DIR, record))
    raise DeliveryError(f"unknown delivery method {method!r}", retryable=False)


def _to_forge(
    project: Project, store: Records, record: NoticeRecord, message: NoticeMessage, kind: str
) -> str:
    """A comment on the forge pull request of the pull the notice concerns (closed
    too, for a merged reply); a file saying so when there is none."""
    from treemerge.deliver.forge_notice import PullTarget  # noqa: PLC0415

    pull = store.pull_by_tag(record.pull_tag) if record.pull_tag else None
    commented = None
    if pull is not None:
        target = PullTarget(
            forge_branch(pull.subsystem, pull.upstream),
            project.tree(pull.upstream).branch,
            pull.message_id,
        )
        client = forge_client(project, kind, pull.subsystem)
        try:
            commented = client.comment(message, target, close=record.kind == "merged")
        finally:
            client.close()
    if commented is None:
        written = write_notice(project.workspace.workspace / NOTICES_DIR, record)
        return f"{written} ({NO_PULL_REQUEST})"
    return commented.url + (" (pull request closed)" if commented.closed else "")


def write_notice(directory: Path, record: NoticeRecord) -> Path:
    """The notice as KIND-SHORTKEY.txt: its headers, a blank line, its body (written
    atomically: a reader sees all of it or none)."""
    directory.mkdir(parents=True, exist_ok=True)
    headers = {
        "Subject": record.subject,
        "To": ", ".join(record.to),
        "Cc": ", ".join(record.cc),
        "Message-Id": record.message_id,
        "In-Reply-To": record.in_reply_to or "",
    }
    shown = {name: value for name, value in headers.items() if value}  # as a mail omits them
    head = "".join(f"{name}: {escape_text(value)}\n" for name, value in shown.items())
    path = directory / f"{record.kind}-{_digest(record.key)[:SHORT_KEY]}.txt"
    atomic_write(path, f"{head}\n{record.body.rstrip()}\n")
    return path


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()
