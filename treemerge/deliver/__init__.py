"""Delivery of pull requests and notices: email (smtplib) and forges (requests). The
only network code besides git. Delivery functions take a PullMessage or a
NoticeMessage and never print."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from treemerge.core.errors import EXIT_FAILURE, TreemergeError


@dataclass(frozen=True)
class PullMessage:
    """Everything a delivery method needs to send one pull request.

    `subject` and the bodies may carry text from untrusted trees (commit subjects, file
    names): the bodies are already escaped for people; header values must still be made
    safe by the delivery method (no CR/LF, no control characters).
    """

    subsystem: str
    subject: str  # "[GIT PULL] LIBVIRT DRIVER for main 2026-11-22"
    body_text: str  # the plain-text pull request (email body)
    body_markdown: str  # the same for a forge's pull-request description
    tag: str  # the annotated tag the pull names
    url: str  # where the tag can be fetched
    head: str  # commit id the tag points at
    base: str  # commit id the work is based on
    head_branch: str  # the branch a forge pull request is opened from: forge_branch()
    base_branch: str  # the upstream's branch
    sender: str | None  # "Name <address>", or None for the delivery default
    to: tuple[str, ...]
    cc: tuple[str, ...]
    message_id: str  # "<...@...>", deterministic per pull: a resend reuses it
    in_reply_to: str | None = None  # earlier message of the same pull, for threading


@dataclass(frozen=True)
class NoticeMessage:
    """Everything a delivery method needs to send one notice (a merged reply, a
    conflict notice): its text as recorded, so a resend after a crash is the same."""

    subsystem: str  # what it is about (the first tree it names), for messages
    subject: str  # escaped for a header already
    body_text: str
    sender: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    message_id: str  # "<...@...>", derived from the notice's key
    in_reply_to: str | None = None  # the message it answers (its thread)


class Mail(Protocol):
    """What an email is made of: a PullMessage or a NoticeMessage."""

    @property
    def subsystem(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def body_text(self) -> str: ...
    @property
    def sender(self) -> str | None: ...
    @property
    def to(self) -> tuple[str, ...]: ...
    @property
    def cc(self) -> tuple[str, ...]: ...
    @property
    def message_id(self) -> str: ...
    @property
    def in_reply_to(self) -> str | None: ...


# The branch of its own a forge pull request is opened from, in the head repository:
# forges open pull requests from a branch (never a tag) and show and merge whatever it
# holds, so the commit a request names is pushed there. One per subsystem and upstream:
# a later request for the same tree moves it, and updates the same pull request.
FORGE_BRANCH = "treemerge/{}-for-{}"


def forge_branch(subsystem: str, upstream: str) -> str:
    return FORGE_BRANCH.format(subsystem, upstream)


# How long one run may spend, in all, waiting to retry deliveries (seconds): a cron
# cycle holds its lock while it waits, and the next cycle retries anyway.
RUN_RETRY_BUDGET = 120.0


class RetryBudget:
    """The waits one run may still spend before retrying a delivery, shared by every
    delivery of the run (so that many pulls to a slow forge do not add up)."""

    def __init__(self, seconds: float = RUN_RETRY_BUDGET) -> None:
        self.left = seconds
        # Per forge API root, the time (Unix seconds) before which a rate limit asked
        # for no further request: every later delivery of the run respects it too.
        self.quiet_until: dict[str, float] = {}

    def take(self, seconds: float) -> bool:
        """Spend `seconds` of the budget; False (nothing spent) when too few are left."""
        if seconds > self.left:
            return False
        self.left -= seconds
        return True


class DeliveryError(TreemergeError):
    """A pull request could not be delivered (exit 3); `retryable` when trying again
    later may work (server down, 5xx, 429, timeouts) rather than never (bad settings)."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable
