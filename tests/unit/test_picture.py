"""Which trees can conflict, from the paths their work changes: pure cases."""

from __future__ import annotations

from itertools import combinations

from hypothesis import given
from hypothesis import strategies as st

from treemerge.core.picture import above, conflict_pairs, reach


def pairs(*names: str) -> set[frozenset[str]]:
    return {frozenset(name.split("+")) for name in names}


def test_directories_above_a_path() -> None:
    assert list(above("a/b/c.txt")) == ["a", "a/b"]
    assert list(above("README")) == []


def test_trees_meet_on_a_common_path_only() -> None:
    work = {"net": {"net/core.c", "README"}, "drv": {"drivers/a.c"}, "doc": {"README"}}
    base = dict.fromkeys(work, "b")
    assert conflict_pairs(work, base, {}) == pairs("net+doc")


def test_a_file_meets_what_another_tree_changes_below_it() -> None:
    work = {"one": {"drivers/block"}, "two": {"drivers/block/queue.c"}, "three": {"drivers/x"}}
    base = dict.fromkeys(work, "b")
    assert conflict_pairs(work, base, {}) == pairs("one+two")


def test_among_limits_the_pairs_to_the_trees_asked_about() -> None:
    work = {"a": {"x"}, "b": {"x"}, "c": {"x"}}
    base = dict.fromkeys(work, "b")
    assert conflict_pairs(work, base, {}, among={"a"}) == pairs("a+b", "a+c")


def test_trees_on_different_bases_carry_what_their_base_has() -> None:
    """`old` stands on an older base; `new`'s base changed README since: a merge of the
    two sees README changed on `new`'s side, so `old` meets `new` there."""
    work = {"old": {"README"}, "new": {"net/core.c"}, "new2": {"doc.txt"}}
    base = {"old": "b1", "new": "b2", "new2": "b2"}
    behind = {("b1", "b2"): set(), ("b2", "b1"): {"README"}}
    assert conflict_pairs(work, base, behind) == pairs("old+new", "old+new2")
    assert conflict_pairs(work, base, behind, among={"new"}) == pairs("old+new")


def test_reach_finds_a_heads_commits_and_the_base_under_them() -> None:
    graph = {"h": ["m"], "m": ["a", "u1"], "a": ["u0"]}
    assert reach(graph, "h") == ({"h", "m", "a"}, frozenset({"u0", "u1"}))
    assert reach(graph, "a") == ({"a"}, frozenset({"u0"}))
    assert reach(graph, "u0") == (set(), frozenset({"u0"}))


PATHS = st.sampled_from(["a", "a/b", "a/b/c", "a/d", "e", "e/f"])


@given(st.dictionaries(st.sampled_from("pqrst"), st.sets(PATHS, max_size=3), max_size=5))
def test_the_index_finds_the_pairs_a_comparison_of_every_pair_finds(
    work: dict[str, set[str]],
) -> None:
    def meet(one: set[str], two: set[str]) -> bool:
        return any(
            x == y or y.startswith(x + "/") or x.startswith(y + "/") for x in one for y in two
        )

    expected = {frozenset((a, b)) for a, b in combinations(work, 2) if meet(work[a], work[b])}
    assert conflict_pairs(work, dict.fromkeys(work, 0), {}) == expected
