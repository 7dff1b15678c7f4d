"""The verdict on each path of a pull (core/check.py), without git."""

from __future__ import annotations

from treemerge.core.changes import CommitInfo, NetChange
from treemerge.core.check import (
    FileVerdict,
    backmerges,
    judge,
    not_owned,
    owners_of,
    pairable,
    paths_of,
)
from treemerge.core.maintainers_file import parse_maintainers
from treemerge.core.matcher import OwnershipIndex
from treemerge.core.model import Ownership

MAINTAINERS = """\
NETWORKING
M:\tN <n@x.org>
F:\tnet/

DRIVERS
M:\tD <D@X.org>
F:\tdrivers/

THE REST
M:\tL <l@x.org>
F:\t*
F:\t*/
"""


def _index() -> OwnershipIndex:
    parsed = parse_maintainers(MAINTAINERS)
    sections = tuple(
        s._replace(subsystem="net") if s.name == "NETWORKING" else s for s in parsed.sections
    )
    return OwnershipIndex(Ownership(sections, ()))


def _commit(name: str, *acks: str) -> CommitInfo:
    trailers = "".join(f"Acked-by: {a}\n" for a in acks)
    return CommitInfo(name * 40, ("0" * 40,), "A <a@x.org>", 0, f"{name}: work\n\n{trailers}")


BY_D = _commit("1", "D <d@x.org>")
BY_D_AND_L = _commit("2", "Someone <d@X.ORG>", "L <l@x.org>")
UNACKED = _commit("3")
BY_L = _commit("4", "L <l@x.org>")
TOUCHED = {
    "drivers/x.c": [BY_D, BY_D_AND_L],
    "drivers/y.c": [BY_D, UNACKED],
    "Makefile": [BY_D],
    "docs/z.txt": [BY_L],
}
PATHS = {
    "Makefile": "M",
    "docs/z.txt": "A",
    "drivers/none.c": "D",
    "drivers/x.c": "M",
    "drivers/y.c": "M",
    "net/a.c": "M",
}
EXPECTED = (
    FileVerdict("Makefile", "foreign", ("THE REST",), ("1" * 40,)),
    FileVerdict("docs/z.txt", "acked", ("THE REST",), ("4" * 40,), ("l@x.org",), "A"),
    FileVerdict("drivers/none.c", "foreign", ("DRIVERS",), (), change="D"),
    FileVerdict("drivers/x.c", "acked", ("DRIVERS",), ("1" * 40, "2" * 40), ("d@x.org",)),
    FileVerdict("drivers/y.c", "foreign", ("DRIVERS",), ("1" * 40, "3" * 40)),
    FileVerdict("net/a.c", "owned", (), ()),
)


def test_each_path_is_owned_acked_or_foreign() -> None:
    owners = owners_of(_index(), PATHS)
    assert not_owned("net", owners) == [p for p in PATHS if p != "net/a.c"]
    assert judge("net", owners, PATHS, TOUCHED) == EXPECTED


def test_paths_with_the_same_owners_share_one_tuple() -> None:
    owners = owners_of(_index(), PATHS)
    assert owners["drivers/x.c"] is owners["drivers/y.c"]
    assert [s.name for s in owners["drivers/x.c"]] == ["DRIVERS", "THE REST"]


def test_owners_need_not_be_shared() -> None:
    # Equal sequences that are different objects (and lists) judge the same.
    owners = {p: list(sections) for p, sections in owners_of(_index(), PATHS).items()}
    assert judge("net", owners, PATHS, TOUCHED) == EXPECTED
    assert not_owned("net", owners) == [p for p in PATHS if p != "net/a.c"]


def test_no_maintainers_means_no_acks() -> None:
    index = OwnershipIndex(parse_maintainers("ANON\nF:\tdrivers/\n"))
    owners = owners_of(index, ["drivers/x.c"])
    verdicts = judge("net", owners, {"drivers/x.c": "M"}, {"drivers/x.c": [BY_D]})
    assert verdicts == (FileVerdict("drivers/x.c", "foreign", ("ANON",), ("1" * 40,)),)


def test_paths_of_names_both_sides_of_a_rename_sorted() -> None:
    changes = [NetChange("M", "b.c"), NetChange("R", "new.c", "old.c"), NetChange("A", "a.c")]
    assert paths_of(changes) == {"a.c": "A", "b.c": "M", "new.c": "R", "old.c": "R"}


def test_paths_of_the_net_change_then_its_pairing_gives_the_pairs_letters() -> None:
    changes = [NetChange("D", "old.c"), NetChange("M", "b.c"), NetChange("A", "new.c"),
               NetChange("A", "a.c")]  # fmt: skip
    pairing = [NetChange("A", "a.c"), NetChange("R", "new.c", "old.c")]
    assert list(paths_of(changes)) == ["a.c", "b.c", "new.c", "old.c"]
    assert paths_of([*changes, *pairing]) == {"a.c": "A", "b.c": "M", "new.c": "R", "old.c": "R"}


def test_only_an_added_and_a_deleted_path_can_pair() -> None:
    added, deleted = NetChange("A", "a.c"), NetChange("D", "d.c")
    modified, typechanged = NetChange("M", "m.c"), NetChange("T", "t.c")
    assert pairable([added, modified, deleted])
    assert not pairable([added, added._replace(path="b.c"), modified, typechanged])
    assert not pairable([deleted, modified, typechanged])
    assert not pairable([])


def test_a_backmerge_is_a_merge_of_history_that_is_not_pending() -> None:
    upstream, side = "u" * 40, "s" * 40
    work = CommitInfo("w" * 40, (upstream,), "A <a@x.org>", 0, "net: work\n")
    topic = CommitInfo(side, (upstream,), "A <a@x.org>", 0, "net: topic\n")
    merges_topic = CommitInfo("m" * 40, ("w" * 40, side), "A <a@x.org>", 0, "Merge topic\n")
    merges_upstream = CommitInfo("b" * 40, ("m" * 40, upstream), "A <a@x.org>", 0, "Merge up\n")
    # Only the merge whose other parent is not pending brings in the upstream's history.
    assert backmerges([work, topic, merges_topic, merges_upstream]) == ("b" * 40,)
    assert backmerges([work, topic, merges_topic]) == ()
