"""What `next` tells people: conflict notices (and their "resolved" replies), test
failures and stale trees, decided from plain facts (no git, no I/O).

linux-next mails both trees' maintainers when it has to fix up a merge ("linux-next:
manual merge of the X tree with the Y tree"), mails about build breaks, and warns
before it drops a tree idle for a year. These are the same rules: a notice's key is
its identity (see core/notice.py), so the same event is never mailed twice and a
changed one (another conflicting blob, a new failing head) is mailed again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from treemerge.core.check import owner_list
from treemerge.core.escape import escape_text
from treemerge.core.notice import Notice

SUBJECT_PREFIX = "treemerge next"
MARKER_SIZE = 7  # git's conflict markers: <<<<<<<, =======, >>>>>>>
HUNK_LINES = 60  # lines of one conflict region shown
NOTICE_HUNK_LINES = 300  # lines of conflict regions in one notice
TEST_LINES = 30  # lines of a failing test command's output shown
SHORT = 12
DAY = 86_400
SIGNATURE = "\n-- \ntreemerge next\n"


class Addressing(NamedTuple):
    """Who hears of what, from the configuration."""

    top: tuple[str, ...]  # the top maintainer(s): [main] to
    cc: tuple[str, ...] = ()  # [notify] cc
    conflicts_list: tuple[str, ...] = ()  # [notify] conflicts-list: To for conflicts


class Side(NamedTuple):
    """One tree of a conflict, as `next` found it."""

    tree: str
    head: str  # the commit whose work conflicts
    subject: str  # its subject line (text from the tree)
    maintainers: tuple[str, ...]
    did: str  # what next did with the tree ("merged", "left out", ...)


class ConflictPath(NamedTuple):
    path: str
    owners: tuple[str, ...]
    blobs: tuple[str, str]  # the blob of each side ("" where the side has none)
    hunks: tuple[str, ...] = ()  # the conflict-marker regions of the merge result
    messages: tuple[str, ...] = ()  # git's CONFLICT lines about the path


class Conflict(NamedTuple):
    """Two trees (or a tree and its upstream) whose work conflicts."""

    sides: tuple[Side, Side]  # in the merge's order: ours (<<<<<<<), theirs (>>>>>>>)
    paths: tuple[ConflictPath, ...]
    command: str = ""  # how to see it again (`git merge-tree --write-tree A B`)


class Remembered(NamedTuple):
    """A conflict notified by an earlier run (next.json)."""

    key: str
    trees: tuple[str, str]
    follows: str | None = None  # the key of the conflict it replaced in its thread


def digest(*parts: str) -> str:
    """A stable digest of `parts` (NUL-separated, so no two lists share one)."""
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()[:32]


def pair_of(conflict: Conflict) -> tuple[str, str]:
    one, two = conflict.sides
    return (one.tree, two.tree) if one.tree <= two.tree else (two.tree, one.tree)


def conflict_key(conflict: Conflict) -> str:
    """The conflict's identity: the pair of trees, the paths and each side's blob of
    each path; the same whichever side merged into the other."""
    flip = conflict.sides[0].tree > conflict.sides[1].tree
    parts = list(pair_of(conflict))
    for path in sorted(conflict.paths):
        blobs = path.blobs[::-1] if flip else path.blobs
        parts += [path.path, *blobs]
    return "conflict:" + digest(*parts)


def conflict_subject(pair: Sequence[str]) -> str:
    one, two = (escape_text(tree) for tree in pair)
    return f"{SUBJECT_PREFIX}: conflict between the {one} tree and the {two} tree"


def recipients(
    people: Iterable[str], addressing: Addressing, *, to_list: bool = False
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(To, Cc): `people` To, the top maintainer and [notify] cc Cc; with `to_list`
    and a conflicts-list, that list To and everyone else Cc. Nobody twice; nobody
    To at all falls back to the top maintainer."""
    to = list(dict.fromkeys(people))
    cc = [*addressing.top, *addressing.cc]
    if to_list and addressing.conflicts_list:
        to, cc = list(addressing.conflicts_list), [*to, *cc]
    if not to:
        to = list(addressing.top)
    return tuple(to), tuple(dict.fromkeys(c for c in cc if c not in to))


def conflict_notice(conflict: Conflict, addressing: Addressing, *, follows: str | None) -> Notice:
    """The notice of one conflict (`follows`: the key of the one it replaces)."""
    people = [p for side in conflict.sides for p in side.maintainers]
    to, cc = recipients(people, addressing, to_list=True)
    pair = pair_of(conflict)
    return Notice(
        kind="conflict",
        key=conflict_key(conflict),
        trees=pair,
        subject=conflict_subject(pair),
        body=conflict_body(conflict),
        to=to,
        cc=cc,
        reply_to_key=follows,
    )


def conflict_body(conflict: Conflict) -> str:
    one, two = conflict.sides
    lines = [
        "Hi all,",
        "",
        f"Today's integration run (treemerge next) found a conflict between the "
        f"{_shown(one.tree)} tree and the {_shown(two.tree)} tree.",
        "",
        *(_side_line(side) for side in conflict.sides),
        "",
        "The conflicting paths, with their owners:",
        "",
        *(f"  {_shown(p.path)}  ({_shown(owner_list(p.owners))})" for p in conflict.paths),
        "",
        "What next did: " + "; ".join(f"{_shown(s.tree)}: {_shown(s.did)}" for s in conflict.sides),
        "",
        f"The conflicts, as `git merge-tree` shows them (<<<<<<< {_shown(one.tree)}, "
        f">>>>>>> {_shown(two.tree)}):",
        "",
        *hunk_lines(conflict.paths),
    ]
    if conflict.command:
        lines += ["", f"To see them again: {_shown(conflict.command)}"]
    lines += [
        "",
        "Please sort it out between the two trees before either is sent upstream (one",
        "tree merging the other's work, or the conflict mentioned in the pull request),",
        "as the kernel's linux-next asks. You will hear from next again when it changes",
        "or when it is gone.",
    ]
    return "\n".join(lines) + "\n" + SIGNATURE


def _side_line(side: Side) -> str:
    return f"  {_shown(side.tree)}  {side.head[:SHORT]}  {_shown(side.subject)}"


def hunk_lines(paths: Sequence[ConflictPath]) -> list[str]:
    """Each path's conflict regions (or git's word on it), escaped, at most
    NOTICE_HUNK_LINES lines in all."""
    lines: list[str] = []
    for path in paths:
        lines.append(f"{_shown(path.path)}:")
        lines += [f"  {_shown(message)}" for message in path.messages]
        for hunk in path.hunks:
            lines += [_code_line(line) for line in hunk.split("\n")]
        if not path.hunks and not path.messages:
            lines.append("  (no conflict markers: see the command below)")
        lines.append("")
    if len(lines) > NOTICE_HUNK_LINES:
        left = len(lines) - NOTICE_HUNK_LINES
        lines = [*lines[:NOTICE_HUNK_LINES], f"[... {left} more line(s) not shown]", ""]
    return lines[:-1] if lines else ["(none shown)"]


def marker_regions(text: str, *, limit: int = HUNK_LINES) -> tuple[str, ...]:
    """The conflict-marker regions of a merged file (from `<<<<<<<` to `>>>>>>>`),
    each cut to `limit` lines; a region begins with the line number it starts at."""
    regions: list[str] = []
    current: list[str] | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        if current is None:
            if _is_marker(line, "<"):
                current = [f"@@ line {number} @@", line]
            continue
        current.append(line)
        if _is_marker(line, ">"):
            regions.append("\n".join(_cut(current, limit)))
            current = None
    if current is not None:  # (a file ending inside a region)
        regions.append("\n".join(_cut(current, limit)))
    return tuple(regions)


def _is_marker(line: str, char: str) -> bool:
    marker = char * MARKER_SIZE
    return line.startswith(marker) and line[MARKER_SIZE : MARKER_SIZE + 1] in ("", " ")


def _cut(lines: list[str], limit: int) -> list[str]:
    if len(lines) <= limit:
        return lines
    kept = max(limit - 2, 1)
    return [*lines[:kept], f"[... {len(lines) - kept - 1} more line(s) ...]", lines[-1]]


def resolved_notice(
    remembered: Remembered, addressing: Addressing, people: Sequence[str]
) -> Notice:
    """The one reply, in a conflict's thread, saying the conflict is gone."""
    to, cc = recipients(people, addressing, to_list=True)
    one, two = (_shown(tree) for tree in remembered.trees)
    body = (
        f"Hi all,\n\nThe conflict between the {one} tree and the {two} tree reported in this "
        "thread is gone: today's integration run (treemerge next) merged the two without "
        f"it.\n\nThanks.\n{SIGNATURE}"
    )
    return Notice(
        kind="resolved",
        key="resolved:" + remembered.key,
        trees=remembered.trees,
        subject="Re: " + conflict_subject(remembered.trees),
        body=body,
        to=to,
        cc=cc,
        reply_to_key=remembered.key,
    )


def gone(before: Iterable[Remembered], now: Iterable[Conflict]) -> list[Remembered]:
    """The conflicts notified before whose pair of trees no longer conflicts (a pair
    whose conflict changed has its new notice, not a "resolved" one)."""
    pairs = {pair_of(conflict) for conflict in now}
    return [r for r in before if tuple(sorted(r.trees)) not in pairs]


def follows(before: Iterable[Remembered], conflict: Conflict) -> str | None:
    """The key of the earlier notice for the same pair that this conflict replaces."""
    pair, key = pair_of(conflict), conflict_key(conflict)
    for remembered in before:
        if tuple(sorted(remembered.trees)) == pair:
            return remembered.follows if remembered.key == key else remembered.key
    return None


class Failure(NamedTuple):
    """A tree whose merge made the test command fail."""

    tree: str
    head: str  # the head whose merge was tested
    subject: str
    command: str
    status: int | None  # its exit status; None when it was stopped (timed out)
    output: str
    maintainers: tuple[str, ...]


def failure_notice(failure: Failure, addressing: Addressing) -> Notice:
    to, cc = recipients(failure.maintainers, addressing)
    tree = _shown(failure.tree)
    status = "none (stopped)" if failure.status is None else str(failure.status)
    tail = failure.output.split("\n")[-TEST_LINES:]
    lines = [
        "Hi all,",
        "",
        f"Today's integration run (treemerge next) merged the {tree} tree at",
        f"  {failure.head[:SHORT]}  {_shown(failure.subject)}",
        "and the test command failed on the result:",
        "",
        f"  command      {_shown(failure.command)}",
        f"  exit status  {status}",
        "",
        f"The last {len(tail)} line(s) of its output:",
        "",
        *(_code_line(line) for line in tail),
        "",
        "next did not take this head; it will try again when the tree moves.",
    ]
    return Notice(
        kind="test-failure",
        key="test-failure:" + digest(failure.tree, failure.head, failure.command),
        trees=(failure.tree,),
        subject=f"{SUBJECT_PREFIX}: the {tree} tree fails the test command",
        body="\n".join(lines) + "\n" + SIGNATURE,
        to=to,
        cc=cc,
    )


def stale_reason(
    *, now: int, moved: int | None, left_out: int, after_days: int, cycles: int
) -> str | None:
    """Why a tree is stale (its branch still since `moved` for `after_days` days, or
    left out of `left_out` runs of next in a row), or None; 0 turns a rule off."""
    if after_days and moved is not None and now - moved >= after_days * DAY:
        return f"not moved for {(now - moved) // DAY} days (stale-after = {after_days})"
    if cycles and left_out >= cycles:
        return f"left out of next {left_out} runs in a row (stale-cycles = {cycles})"
    return None


class Stale(NamedTuple):
    tree: str
    head: str
    reason: str
    maintainers: tuple[str, ...]


def stale_notice(stale: Stale, addressing: Addressing) -> Notice:
    to, cc = recipients(stale.maintainers, addressing)
    tree = _shown(stale.tree)
    body = (
        f"Hi all,\n\nThe {tree} tree (at {stale.head[:SHORT]}) is stale: {_shown(stale.reason)}."
        "\n\nIt is marked stale in `treemerge status` and in the integration report. If it "
        "is still in use, please update it (or tell the top maintainer); otherwise it may "
        f"be dropped from the integration, as linux-next drops idle trees.\n{SIGNATURE}"
    )
    return Notice(
        kind="stale",
        key="stale:" + digest(stale.tree, stale.head),
        trees=(stale.tree,),
        subject=f"{SUBJECT_PREFIX}: the {tree} tree is stale",
        body=body,
        to=to,
        cc=cc,
    )


def new_notices(notices: Iterable[Notice], known: Mapping[str, object]) -> list[Notice]:
    """The notices whose key an earlier run did not have."""
    return [notice for notice in notices if notice.key not in known]


def _shown(text: str) -> str:
    return escape_text(text)


def _code_line(line: str) -> str:
    """A line of a file or of output: tabs as spaces (they are not controls to a
    reader), everything else escaped."""
    return escape_text(line.expandtabs(8))
