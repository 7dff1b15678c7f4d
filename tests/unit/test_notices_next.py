"""The rules of next's notices (core/notices_next.py): keys, addressing, bodies."""

from __future__ import annotations

import datetime as dt

import pytest

from treemerge.core.escape import has_unsafe
from treemerge.core.notices_next import (
    DAY,
    Addressing,
    Conflict,
    ConflictPath,
    Failure,
    Remembered,
    Side,
    conflict_key,
    conflict_notice,
    failure_notice,
    follows,
    gone,
    marker_regions,
    recipients,
    resolved_notice,
    stale_reason,
)

TOP = ("Top Dog <top@example.org>",)
NET = Side("net", "a" * 40, "net: work", ("Net Chief <net@example.org>",), "merged it")
DRIVERS = Side("drivers", "b" * 40, "drivers: work", ("Dee River <dee@example.org>",), "left out")
HUNK = "@@ line 1 @@\n<<<<<<< aaaa\nnet\n=======\ndrivers\n>>>>>>> bbbb"


def conflict(*paths: ConflictPath, sides: tuple[Side, Side] = (NET, DRIVERS)) -> Conflict:
    return Conflict(sides, paths, "git merge-tree --write-tree A B")


README = ConflictPath("README", ("THE REST",), ("1" * 40, "2" * 40), (HUNK,))


def test_the_same_conflict_has_the_same_key_whichever_side_merged_first() -> None:
    swapped = README._replace(blobs=README.blobs[::-1])
    assert conflict_key(conflict(README)) == conflict_key(conflict(README))
    assert conflict_key(conflict(README)) == conflict_key(conflict(swapped, sides=(DRIVERS, NET)))
    # Heads, owners, hunks and wording are not the conflict: only trees, paths, blobs.
    moved = (NET._replace(head="c" * 40), DRIVERS)
    assert conflict_key(conflict(README._replace(hunks=()), sides=moved)) == conflict_key(
        conflict(README)
    )


def test_another_blob_another_path_or_another_pair_is_another_conflict() -> None:
    key = conflict_key(conflict(README))
    assert key.startswith("conflict:")
    changed = README._replace(blobs=("1" * 40, "3" * 40))
    assert conflict_key(conflict(changed)) != key
    assert conflict_key(conflict(README, README._replace(path="net/core.c"))) != key
    other = (NET, DRIVERS._replace(tree="wireless"))
    assert conflict_key(conflict(README, sides=other)) != key


def test_a_conflict_is_addressed_to_both_trees_and_copies_the_top_maintainer() -> None:
    notice = conflict_notice(conflict(README), Addressing(TOP, ("core@lists.org",)), follows=None)
    assert notice.to == ("Net Chief <net@example.org>", "Dee River <dee@example.org>")
    assert notice.cc == (*TOP, "core@lists.org")
    assert notice.trees == ("drivers", "net")
    assert notice.subject == "treemerge next: conflict between the drivers tree and the net tree"
    assert (notice.kind, notice.reply_to_key) == ("conflict", None)


def test_with_a_conflicts_list_the_list_is_to_and_the_maintainers_cc() -> None:
    addressing = Addressing(TOP, ("core@lists.org",), ("next@lists.org",))
    notice = conflict_notice(conflict(README), addressing, follows=None)
    assert notice.to == ("next@lists.org",)
    assert notice.cc == (
        "Net Chief <net@example.org>",
        "Dee River <dee@example.org>",
        *TOP,
        "core@lists.org",
    )


@pytest.mark.parametrize(
    ("people", "addressing", "to", "cc"),
    [
        ((), Addressing(TOP), TOP, ()),  # nobody to tell: the top maintainer
        (TOP, Addressing(TOP, TOP), TOP, ()),  # nobody twice
        (("a <a@x>", "a <a@x>"), Addressing(()), ("a <a@x>",), ()),
    ],
)
def test_recipients(
    people: tuple[str, ...], addressing: Addressing, to: tuple[str, ...], cc: tuple[str, ...]
) -> None:
    assert recipients(people, addressing) == (to, cc)


def test_the_body_names_trees_heads_paths_owners_hunks_and_what_next_did() -> None:
    body = conflict_notice(conflict(README), Addressing(TOP), follows=None).body
    assert "between the net tree and the drivers tree" in body
    assert f"  net  {'a' * 12}  net: work" in body
    assert "  README  (THE REST)" in body
    assert HUNK in body
    assert "What next did: net: merged it; drivers: left out" in body
    assert "git merge-tree --write-tree A B" in body


def test_hostile_file_names_and_commit_text_are_escaped() -> None:
    evil = "\x1b]0;pwned\x07\u202e.py"
    path = ConflictPath(f"a\n{evil}", ("O\r",), ("1", "2"), (f"<<<<<<< x\n{evil}\n>>>>>>> y",))
    sides = (NET._replace(subject=f"net: {evil}"), DRIVERS._replace(tree="drivers\x1b"))
    notice = conflict_notice(conflict(path, sides=sides), Addressing(TOP), follows=None)
    assert not has_unsafe(notice.subject)
    assert "drivers\\x1b tree" in notice.subject
    assert not has_unsafe(notice.body.replace("\n", ""))
    assert "a\\n\\x1b]0;pwned\\x07\\u202e.py  (O\\r)" in notice.body
    assert "net: \\x1b]0;pwned" in notice.body


def test_tabs_in_hunks_read_as_spaces() -> None:
    path = README._replace(hunks=("<<<<<<< x\n\tcode\n>>>>>>> y",))
    body = conflict_notice(conflict(path), Addressing(TOP), follows=None).body
    assert "\n        code\n" in body


def test_marker_regions_are_cut_from_the_merged_file() -> None:
    text = "a\n<<<<<<< ours\nx\n=======\ny\n>>>>>>> theirs\nb\n<<<<<<< ours\n" + "z\n" * 100
    first, second = marker_regions(text, limit=10)
    assert first == "@@ line 2 @@\n<<<<<<< ours\nx\n=======\ny\n>>>>>>> theirs"
    assert second.startswith("@@ line 8 @@\n<<<<<<< ours\nz\n")
    assert "more line(s)" in second
    assert len(second.split("\n")) == 10
    # Longer markers are an inner merge's, not this one's.
    assert marker_regions("<<<<<<<< x\n>>>>>>>> y\n") == ()


def test_a_conflict_gone_gets_one_resolved_reply_and_a_changed_one_none() -> None:
    key = conflict_key(conflict(README))
    before = [Remembered(key, ("drivers", "net")), Remembered("conflict:old", ("net", "zvm"))]
    changed = conflict(README._replace(blobs=("1" * 40, "9" * 40)))
    assert gone(before, [changed]) == [before[1]]
    assert follows(before, changed) == key  # the new notice replies in the old thread
    assert follows(before, conflict(README)) is None  # the same conflict: as before
    reply = resolved_notice(before[1], Addressing(TOP), ["Net Chief <net@example.org>"])
    assert (reply.kind, reply.key, reply.reply_to_key) == (
        "resolved",
        "resolved:conflict:old",
        "conflict:old",
    )
    assert reply.subject == "Re: treemerge next: conflict between the net tree and the zvm tree"
    assert reply.to == ("Net Chief <net@example.org>",)


def test_a_test_failure_names_command_status_and_the_last_lines() -> None:
    output = "\n".join(f"line {n}\t\x1b[31m" for n in range(1, 41))
    failure = Failure("net", "a" * 40, "net: break", "make \x1b", 2, output, NET.maintainers)
    notice = failure_notice(failure, Addressing(TOP))
    assert (notice.kind, notice.to, notice.cc) == ("test-failure", NET.maintainers, TOP)
    assert notice.key == failure_notice(failure, Addressing(()))._replace().key
    assert notice.key != failure_notice(failure._replace(head="c" * 40), Addressing(TOP)).key
    assert "command      make \\x1b" in notice.body
    assert "exit status  2" in notice.body
    assert "line 10 " not in notice.body
    assert "line 11 \\x1b[31m" in notice.body  # (the tab as spaces to column 8)
    assert "line 40" in notice.body
    assert not has_unsafe(notice.body.replace("\n", ""))


@pytest.mark.parametrize(
    ("moved_days_ago", "left_out", "reason"),
    [
        (10, 0, None),
        (400, 0, "not moved for 400 days (stale-after = 365)"),
        (10, 9, None),
        (10, 10, "left out of next 10 runs in a row (stale-cycles = 10)"),
    ],
)
def test_stale_reason(moved_days_ago: int, left_out: int, reason: str | None) -> None:
    now = 2_000_000_000
    moved = now - moved_days_ago * DAY
    found = stale_reason(now=now, moved=moved, left_out=left_out, after_days=365, cycles=10)
    assert found == reason


def test_stale_rules_turned_off() -> None:
    assert stale_reason(now=10**9, moved=0, left_out=99, after_days=0, cycles=0) is None


def test_a_merged_replys_date_is_the_one_a_mail_header_gives() -> None:
    from email.utils import format_datetime

    from treemerge.core.replies import mail_date

    for seconds in (0, 951_782_400, 1_796_000_000.5, 1_765_032_928):
        expected = format_datetime(dt.datetime.fromtimestamp(int(seconds), dt.UTC))
        assert mail_date(seconds) == expected
