"""Sending a pull request: recorded before and after delivery, never sent twice."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from treemerge.app.project import Project
from treemerge.app.request_pull import message_id
from treemerge.core.errors import GitError, Refused
from treemerge.core.people import email_of
from treemerge.core.pullreq import PullRequest
from treemerge.deliver import DeliveryError, Mail, PullMessage, forge_branch
from treemerge.failpoints import failpoint
from treemerge.store.files import atomic_write
from treemerge.store.notices import NoticeRecord
from treemerge.store.records import PullRecord, Records, has_records

if TYPE_CHECKING:
    from treemerge.deliver.forge_notice import NoticeClient

RECORDS_FILE = "records.db"
PULLS_DIR = "pulls"


@dataclass(frozen=True)
class SendOutcome:
    record: PullRecord
    already_sent: bool


def records(project: Project) -> Records:
    return Records(project.workspace.workspace / RECORDS_FILE)


def records_kept(project: Project) -> bool:
    """Whether the workspace keeps records yet (a StoreError when they were lost)."""
    return has_records(project.workspace.workspace / RECORDS_FILE)


def send_pull(project: Project, pull: PullRequest, *, method: str | None = None) -> SendOutcome:
    """Deliver `pull` once. A pull already sent is not sent again; one whose earlier
    delivery died half-way is sent again under the same Message-Id (or forge PR)."""
    if pull.errors:
        reasons = "; ".join(f.message for f in pull.errors)
        raise Refused(f"refusing to send the {pull.subsystem} pull request: {reasons}")
    method = method or project.config.delivery.method
    with records(project) as store:
        message = pull_message(project, pull, store)
        record = store.prepare(
            subsystem=pull.subsystem,
            upstream=pull.upstream,
            base=pull.base,
            head=pull.head,
            tag=pull.tag,
            message_id=message.message_id,
            subject=message.subject,
            sender=message.sender or "",
            to=message.to,
            cc=message.cc,
            url=message.url,
        )
        if record.state in ("sent", "merged"):
            return SendOutcome(record, already_sent=True)
        record, failed = deliver_recorded(
            store.update,
            record,
            lambda _: deliver(project, pull, message, method),
            method=method,
            point="deliver",
        )
        if failed is not None:
            raise failed
        store.supersede(pull.subsystem, pull.upstream, keep=record.id)
        return SendOutcome(record, already_sent=False)


R = TypeVar("R", PullRecord, NoticeRecord)


def deliver_recorded(
    move: Callable[..., R],
    record: R,
    deliver: Callable[[R], str],
    *,
    method: str,
    point: str,
) -> tuple[R, DeliveryError | None]:
    """The one way a recorded message is delivered: `record` moved (by `move`, the
    store's update) to sending, `deliver(it)` run, then moved to sent with where it
    went, or to failed with the error, which is returned for the caller to raise or
    keep. A run killed on the way leaves it sending, for the next run to send again
    under the same Message-Id; the failpoints before-POINT and after-POINT let the
    tests kill it there."""
    record = move(record.id, "sending", method=method, error="")
    failpoint(f"before-{point}")
    try:
        where = deliver(record)
    except DeliveryError as exc:
        return move(record.id, "failed", error=exc.message), exc
    failpoint(f"after-{point}")
    return move(record.id, "sent", delivered_to=where), None


def pull_message(project: Project, pull: PullRequest, store: Records) -> PullMessage:
    """The message to deliver: addressed from the configuration, threaded to the
    subsystem's previous pull request."""
    config = project.config
    sub = config.subsystem(pull.subsystem)
    upstream = config.subsystem(pull.upstream)
    to = upstream.maintainers if upstream else config.main.to
    cc = [*(upstream.lists if upstream else config.main.cc)]
    if sub:
        cc += [*sub.lists, *sub.maintainers]
    sender = config.delivery.get("from")
    previous = store.latest(pull.subsystem)
    in_reply_to = None
    if previous is not None and previous.head != pull.head:
        in_reply_to = previous.message_id
    upstream_tree = project.tree(pull.upstream)
    return PullMessage(
        subsystem=pull.subsystem,
        subject=pull.subject,
        body_text=pull.render_text(),
        body_markdown=pull.render_markdown(),
        tag=pull.tag,
        url=pull.url,
        head=pull.head,
        base=pull.base,
        head_branch=forge_branch(pull.subsystem, pull.upstream),
        base_branch=upstream_tree.branch,
        sender=sender,
        to=tuple(to),
        cc=tuple(dict.fromkeys(c for c in cc if c not in to)),
        message_id=message_id(pull, mail_domain(project)),
        in_reply_to=in_reply_to,
    )


def mail_domain(project: Project) -> str:
    """The domain of the Message-Ids treemerge makes: the sender's, from [delivery]."""
    sender = project.config.delivery.get("from")
    domain = (email_of(sender) or "").rpartition("@")[2] if sender else ""
    return domain or "treemerge.invalid"


def deliver(project: Project, pull: PullRequest, message: PullMessage, method: str) -> str:
    """Hand the message to the delivery method; where it went (path, Message-Id, URL)."""
    if method == "none":
        return str(write_files(project.workspace.workspace / PULLS_DIR, pull))
    if method == "email":
        return send_mail(project, message)
    if method in ("github", "gitea"):
        return _to_forge(method, project, pull, message)
    raise DeliveryError(f"unknown delivery method {method!r}", retryable=False)


def default_sender(project: Project) -> str | None:
    """Who a message goes from when it names no sender: [delivery]'s `from`, else the
    user's git `sendemail.from` or identity (as for email); None when there is none."""
    from treemerge.deliver.email import smtp_settings  # noqa: PLC0415
    from treemerge.gitio.config import read_git_config  # noqa: PLC0415

    try:
        return smtp_settings(project.config.delivery, read_git_config(), os.environ).sender
    except DeliveryError:  # settings that cannot send: only the sender was wanted
        return project.config.delivery.get("from")


def send_mail(project: Project, message: Mail) -> str:
    """`message` sent by SMTP as [delivery] and the user's git config say; its Message-Id."""
    from treemerge.deliver.email import send_email, smtp_settings  # noqa: PLC0415
    from treemerge.gitio.config import read_git_config  # noqa: PLC0415

    settings = smtp_settings(project.config.delivery, read_git_config(), os.environ)
    return send_email(message, settings)


def write_files(directory: Path, pull: PullRequest) -> Path:
    """The pull request as TAG.txt, TAG.md and TAG.json (each written atomically)."""
    directory.mkdir(parents=True, exist_ok=True)
    forms = {
        "txt": f"Subject: {pull.subject}\n\n{pull.render_text()}",
        "md": pull.render_markdown(),
        "json": json.dumps(pull.as_dict(), indent=2) + "\n",
    }
    for suffix, text in forms.items():
        atomic_write(directory / f"{pull.tag}.{suffix}", text)
    return directory / f"{pull.tag}.txt"


def forge_client(project: Project, kind: str, subsystem: str) -> NoticeClient:
    """A client for forge `kind` as [delivery] says, to the pull requests of
    `subsystem` (opened from its `forge-fork`)."""
    from treemerge.deliver.forge import forge_settings  # noqa: PLC0415
    from treemerge.deliver.forge_auth import resolve_credential  # noqa: PLC0415
    from treemerge.deliver.forge_notice import NoticeClient  # noqa: PLC0415

    sub = project.config.subsystem(subsystem)
    fork = sub.forge_fork if sub else None
    settings = forge_settings(kind, project.config.delivery, fork=fork)
    attempts = project.config.delivery.get("attempts")
    if attempts:
        settings = replace(settings, max_attempts=int(attempts))
    credential = resolve_credential(settings, os.environ)
    return NoticeClient(settings, credential, budget=project.retry_budget)


def _to_forge(kind: str, project: Project, pull: PullRequest, message: PullMessage) -> str:
    # The whole text, for a body the forge's limit cuts (the body says where it is).
    kept = write_files(project.workspace.workspace / PULLS_DIR, pull).with_suffix(".md")
    _push_forge_branch(project, message)
    client = forge_client(project, kind, message.subsystem)
    try:
        return client.deliver(message, kept_at=kept.relative_to(project.root).as_posix()).url
    finally:
        client.close()


def _push_forge_branch(project: Project, message: PullMessage) -> None:
    """The named commit on `message.head_branch` in the head repository (the
    subsystem's tree), moved there whatever it held: the forge shows and merges what
    that branch holds, so it must be exactly what the request names."""
    refspec = f"+{message.head}:refs/heads/{message.head_branch}"
    try:
        project.workspace.push(message.url, [refspec], where=message.subsystem)
    except GitError as exc:
        raise DeliveryError(
            f"cannot push {message.head_branch}, the branch the forge pull request is "
            f"opened from: {exc.message}",
            retryable=True,
        ) from None
