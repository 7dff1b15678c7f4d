"""Pulls found merged upstream (by `sync`), and the replies in their threads (by `cron`).

A sent pull is merged when its head commit is reachable from its upstream's synced head
(however, by whomever it was merged), never because its base is. A pull superseded by a
newer one of its tree stays superseded. A pull of which only some commits arrived (the
same commits, or cherry-picked ones) is noted as partly merged, and not answered.

A pull found merged owes a reply (`reply = due`, in the same transaction that marks it
merged, so a run killed in between never loses the reply): `send_merged_replies` sends
it once the upstream the workspace has synced holds the pull's head (`merge` records a
pull merged before its merge is pushed), and notes it `sent` after deliver_notices has.
"""

from __future__ import annotations

from typing import NamedTuple

from treemerge.app.notify import NoticeOutcome, deliver_notices
from treemerge.app.project import Project, TrackedTree
from treemerge.app.send import default_sender, records, records_kept
from treemerge.core.notice import Notice
from treemerge.core.replies import MergedPull, merged_notice
from treemerge.store.records import PullRecord


class MergeFindings(NamedTuple):
    merged: tuple[PullRecord, ...]  # found merged by this sync
    partial: tuple[PullRecord, ...]  # found partly merged, or more so, by this sync


class Replied(NamedTuple):
    pull: PullRecord
    outcome: NoticeOutcome


def mark_merged(project: Project) -> MergeFindings:
    """Pulls whose head their upstream now has become `merged` (a sent one then owes a
    reply, unless [notify] `merged = no`); a sent pull not merged whose commits partly
    arrived is noted so (`partial`)."""
    if not records_kept(project):
        return MergeFindings((), ())
    with records(project) as store:
        history = project.history()
        heads = project.workspace.tree_heads()
        merged, partial = [], []
        for record in store.all():
            upstream = heads.get(record.upstream)
            if record.state in ("merged", "superseded") or not upstream:
                continue
            if not history.resolve(record.head):
                continue
            if record.head != record.base and history.is_ancestor(record.head, upstream):
                owed = record.state == "sent" and project.config.notify.merged
                merged.append(store.update(record.id, "merged", reply="due" if owed else ""))
            elif record.state == "sent" and history.resolve(record.base):
                arrival = history.arrival(record.base, record.head, upstream).describe()
                if arrival != record.partial:
                    store.note(record.id, partial=arrival)
                    partial += [record._replace(partial=arrival)] if arrival else []
    return MergeFindings(tuple(merged), tuple(partial))


def send_merged_replies(project: Project) -> list[Replied]:
    """The reply owed for each pull found merged whose head the synced upstream holds,
    delivered once (deliver_notices), then noted sent on its pull."""
    if not records_kept(project) or not project.config.notify.merged:
        return []
    with records(project) as store:
        owed = [(p, _reply(project, p)) for p in store.all("merged") if p.reply == "due"]
    due = [(pull, notice) for pull, notice in owed if notice is not None]
    outcomes = deliver_notices(project, [notice for _, notice in due])
    with records(project) as store:
        for (pull, _), outcome in zip(due, outcomes, strict=True):
            if outcome.record.state == "sent":
                store.note(pull.id, reply="sent")
    return [Replied(pull, outcome) for (pull, _), outcome in zip(due, outcomes, strict=True)]


def _reply(project: Project, pull: PullRecord) -> Notice | None:
    """The merged reply to `pull`; None while the synced upstream lacks its head."""
    history = project.history()
    upstream = project.workspace.ref(pull.upstream)
    if upstream is None or not history.is_ancestor(pull.head, upstream):
        return None
    trees = {tree.id: tree for tree in project.trees()}
    return merged_notice(
        MergedPull(
            subsystem=pull.subsystem,
            tag=pull.tag,
            message_id=pull.message_id,
            subject=pull.subject,
            sender=pull.sender or default_sender(project),
            to=pull.to,
            cc=pull.cc,
            url=pull.url or _url(trees.get(pull.subsystem)),
            sent=pull.sent or pull.updated,
            upstream=pull.upstream,
            upstream_url=_url(trees.get(pull.upstream)),
            merge_commit=history.bringing_commit(pull.head, upstream),
        )
    )


def _url(tree: TrackedTree | None) -> str:
    return tree.url or "" if tree is not None else ""
