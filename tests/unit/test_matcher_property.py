"""The indexed matcher against a slow, obviously-correct transcription of the rules."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from treemerge.core.maintainers_file import parse_maintainers
from treemerge.core.matcher import OwnershipIndex

pytestmark = pytest.mark.slow  # hundreds of generated ownership files

NAMES = ["a", "b", "ab", "a.b", "ba", "aab"]
GLOB_TOKENS = ["a", "b", "ab", ".", "*", "?", "{a,b}", "{ab,ba}", "[ab]", "a*", "*b"]


def reference_owners(
    sections: list[tuple[str, list[tuple[str, str]]]], dirs: set[str], path: str
) -> list[str]:
    """get_maintainer.pl's loop, written out plainly (ownership.md's depth rule)."""

    def convert(value: str) -> str:
        regex = value.replace(".", "\\.").replace("*", ".*").replace("?", ".")
        regex = re.sub(
            r"\{([^{}]*,[^{}]*)\}", lambda m: "(" + m.group(1).replace(",", "|") + ")", regex
        )
        if (
            not any(c in "*?[]{}()+|^$\\" for c in value)
            and not value.endswith("/")
            and value in dirs
        ):
            regex += "/"
        return regex

    def file_match(pattern: str) -> bool:
        if re.match("^" + pattern, path) is None:
            return False
        return pattern.endswith("/") or path.count("/") == pattern.count("/")

    found: list[tuple[int, int, str]] = []
    for index, (name, entries) in enumerate(sections):
        if any(letter == "X" and file_match(convert(v)) for letter, v in entries):
            continue
        depths = []
        for letter, value in entries:
            if letter == "F":
                pattern = convert(value)
                if file_match(pattern):
                    depth = pattern.count("/") + (0 if pattern.endswith("/") else 1)
                    depths.append(-1 if pattern.startswith(".*") else depth)
            elif letter == "N" and re.search(value, path):
                depths.append(0)
        if depths:
            found.append((-max(depths), index, name))
    return [name for _, _, name in sorted(found)]


segment = st.lists(st.sampled_from(GLOB_TOKENS), min_size=1, max_size=3).map("".join)
glob = st.builds(
    lambda parts, slash: "/".join(parts) + ("/" if slash else ""),
    st.lists(segment, min_size=1, max_size=3),
    st.booleans(),
)
plain = st.builds(
    lambda parts, slash: "/".join(parts) + ("/" if slash else ""),
    st.lists(st.sampled_from(NAMES), min_size=1, max_size=3),
    st.booleans(),
)
name_regex = st.sampled_from(["a", "ab", "b/a", "^a", "b$", "a.b", "[ab]b", "(a|ba)/"])
entry = st.one_of(
    st.tuples(st.just("F"), st.one_of(glob, plain)),
    st.tuples(st.just("X"), st.one_of(glob, plain)),
    st.tuples(st.just("N"), name_regex),
)
sections_strategy = st.lists(st.lists(entry, min_size=1, max_size=4), min_size=1, max_size=8)
path = st.lists(st.sampled_from(NAMES), min_size=1, max_size=4).map("/".join)


@settings(max_examples=400, deadline=None)
@given(sections_strategy, st.lists(path, min_size=1, max_size=12))
def test_index_agrees_with_reference(
    entries: list[list[tuple[str, str]]], paths: list[str]
) -> None:
    sections = [(f"S{i}", e) for i, e in enumerate(entries)]
    text = "\n".join(
        f"{name}\n" + "".join(f"{letter}:\t{value}\n" for letter, value in body)
        for name, body in sections
    )
    dirs = {"/".join(p.split("/")[:i]) for p in paths for i in range(1, p.count("/") + 1)}
    index = OwnershipIndex(parse_maintainers(text), dirs.__contains__)
    for candidate in paths:
        got = [s.name for s in index.owners(candidate).sections]
        assert got == reference_owners(sections, dirs, candidate), candidate


def _explained(index: OwnershipIndex, candidate: str) -> tuple[object, ...]:
    owners = index.owners(candidate, explain=True)
    return (
        [(m.section.name, m.index, m.depth, m.pattern.raw, m.pattern.line) for m in owners.matches],
        [(e.section.name, e.pattern.raw, e.pattern.line) for e in owners.exclusions],
    )


@settings(max_examples=300, deadline=None)
@given(sections_strategy, st.lists(path, min_size=1, max_size=16))
def test_one_index_answers_each_path_as_if_asked_alone(
    entries: list[list[tuple[str, str]]], paths: list[str]
) -> None:
    """The index works out each directory once and each set of matching patterns once:
    asked about many paths, in any order, it answers each as a fresh index would, and
    matches exactly the patterns that match on their own."""
    text = "\n".join(
        f"S{i}\n" + "".join(f"{letter}:\t{value}\n" for letter, value in body)
        for i, body in enumerate(entries)
    )
    dirs = {"/".join(p.split("/")[:i]) for p in paths for i in range(1, p.count("/") + 1)}
    shared = OwnershipIndex(parse_maintainers(text), dirs.__contains__)
    for candidate in [*paths, *reversed(paths)]:
        alone = OwnershipIndex(parse_maintainers(text), dirs.__contains__)
        assert _explained(shared, candidate) == _explained(alone, candidate), candidate
        assert shared.owning_sections(candidate) == shared.owners(candidate).sections
        hits = {p.ordinal for p in shared.matching_patterns(candidate)}
        assert hits == {p.ordinal for p in shared.patterns if p.matches(candidate)}, candidate
