"""Notices: what treemerge tells people after a pull goes out.

A merged reply in a pull's thread, a conflict between two trees found by `next` (and
its "resolved" reply), a failing test command, a tree gone stale. Each is decided here
from facts (pure: no git, no I/O) as a Notice, then recorded and delivered exactly once
by app/notify.py, with the same guarantees as a pull request.

A notice's `key` is its identity: the same event always gives the same key, so a
notice is never sent twice, and a changed event (another conflicting blob, a new test
failure) gives a new key and is sent again. The Message-Id is derived from the key.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from treemerge.core.plain import as_dict

Kind = Literal["merged", "conflict", "resolved", "test-failure", "stale"]
KINDS: tuple[Kind, ...] = ("merged", "conflict", "resolved", "test-failure", "stale")


class Notice(NamedTuple):
    """One message to send, decided but not yet recorded nor delivered."""

    kind: Kind
    key: str  # stable identity: "merged:<pull Message-Id>", "conflict:<digest>", ...
    trees: tuple[str, ...]  # the trees it is about (subsystem ids; "main" for the main tree)
    subject: str  # escaped for a header: one line, no control characters
    body: str  # plain text, every piece from a tree already escaped
    to: tuple[str, ...]  # "Name <address>"
    cc: tuple[str, ...] = ()
    # The thread it belongs to: the Message-Id of the pull it answers (merged), or the
    # key of the notice it follows (resolved replies to its conflict); None opens one.
    reply_to_message: str | None = None
    reply_to_key: str | None = None
    pull_tag: str | None = None  # the pull request it answers (forge: comment there)

    def as_dict(self) -> dict[str, object]:
        return as_dict(self)
