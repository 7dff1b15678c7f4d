"""Merged replies, the way kernel.org's pr-tracker-bot writes them, and the facts that
decide them (pure: the facts are read by app/merged.py).

A sent pull counts as merged when its head commit is in its upstream (reachable from
the upstream's synced head), never because its base is. One of whose commits only some
arrived, by the same commit or the same patch (cherry-picked, rebased), is partly
merged: reported, and not answered as merged.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from treemerge.core.escape import escape_keeping_lines, escape_text
from treemerge.core.notice import Notice

SIGNATURE = "-- \ntreemerge"


class MergedPull(NamedTuple):
    """What a merged reply says, and to whom: the pull as it was sent, and where it
    went in."""

    subsystem: str
    tag: str
    message_id: str  # the pull's: the reply is in its thread
    subject: str  # the pull's subject ("" when not recorded: older records)
    sender: str | None  # who sent it (the reply goes To them)
    to: tuple[str, ...]
    cc: tuple[str, ...]
    url: str  # where the tag was fetched from
    sent: float  # when (Unix time)
    upstream: str  # the upstream's id
    upstream_url: str
    merge_commit: str  # the upstream's first-parent commit that brought the head in


def merged_key(message_id: str) -> str:
    """The key of the merged reply to the pull whose Message-Id is `message_id`."""
    return f"merged:{message_id}"


def merged_notice(pull: MergedPull) -> Notice:
    """The reply in the pull's thread saying where it was merged: To its sender, Cc
    whoever it went to."""
    subject = pull.subject or f"[GIT PULL] {pull.tag}"
    when = mail_date(pull.sent)
    body = "\n".join(
        [
            f"The pull request you sent on {when}:",
            "",
            f"> {pull.url} tags/{pull.tag}",
            "",
            f"has been merged into {pull.upstream}:",
            f"{pull.upstream_url} {pull.merge_commit}",
            "",
            "Thank you!",
            "",
            SIGNATURE,
        ]
    )
    to = (pull.sender,) if pull.sender else ()
    return Notice(
        kind="merged",
        key=merged_key(pull.message_id),
        trees=(pull.subsystem,),
        subject=escape_text(f"Re: {' '.join(subject.split())}"),
        body=escape_keeping_lines(body) + "\n",
        to=to,
        cc=tuple(c for c in dict.fromkeys((*pull.to, *pull.cc)) if c not in to),
        reply_to_message=pull.message_id,
        pull_tag=pull.tag,
    )


DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def mail_date(seconds: float) -> str:
    """A Unix time as a mail's Date says it (RFC 5322, in UTC), whatever the locale:
    "Sun, 06 Dec 2026 14:55:28 +0000"."""
    when = dt.datetime.fromtimestamp(seconds, dt.UTC)
    weekday, month = DAYS[when.weekday()], MONTHS[when.month - 1]
    return f"{weekday}, {when:%d} {month} {when:%Y %H:%M:%S} +0000"
