"""The ownership rules of ownership.md, one table row per rule (no git needed)."""

from __future__ import annotations

import pytest

from treemerge.core.maintainers_file import parse_maintainers
from treemerge.core.matcher import OwnershipIndex

# Sections used by the table below, in file order.
MAINTAINERS = """\
Prose before the first entry is ignored.
\tF:\tindented/examples/are/not/entries

XEN KEXEC
M:\tX <x@example.org>
F:\txen/common/{kexec,kimage}.c

ANY CRYPTO
F:\tarch/*/crypto/

NET WILDCARD
F:\t*/net/*

DRIVERS C FILES
F:\tdrivers/*.c

NET DRIVERS DIR
F:\tdrivers/net

NETDEV ONE LEVEL
F:\tdrivers/net/*

FOO C
F:\tfoo.c

NETWORKING
F:\tnet/
X:\tnet/ipv6/

TEGRA
N:\ttegra

TEGRA SPACED
N:\tte gra  # Perl /x: blanks and comments are ignored

PM8 CHIPS
F:\tdrivers/pm8???-*

SOURCES
F:\tlib/sort.[ch]

ALTERNATION
F:\tqux|bar

TWO PATTERNS
F:\tdrivers/
F:\tdrivers/net/deep/

THE REST
M:\tL T <lt@example.org>
F:\t*
F:\t*/
"""

DIRECTORIES = {"drivers", "drivers/net", "drivers/net/deep", "net", "net/ipv6", "arch"}


@pytest.fixture(scope="module")
def index() -> OwnershipIndex:
    ownership = parse_maintainers(MAINTAINERS)
    assert not ownership.errors
    return OwnershipIndex(ownership, DIRECTORIES.__contains__)


CASES = [
    # brace expansion
    ("xen/common/kexec.c", ["XEN KEXEC", "THE REST"]),
    ("xen/common/kimage.c", ["XEN KEXEC", "THE REST"]),
    ("xen/common/kfoo.c", ["THE REST"]),
    # `*` crosses `/` in a directory pattern
    ("arch/x86/crypto/aes.c", ["ANY CRYPTO", "THE REST"]),
    ("arch/x86/boot/crypto/aes.c", ["ANY CRYPTO", "THE REST"]),
    # ...but a non-directory pattern needs as many `/` as the path
    ("fs/net/x.c", ["NET WILDCARD", "THE REST"]),
    ("fs/sub/net/x.c", ["THE REST"]),
    ("drivers/a.c", ["DRIVERS C FILES", "TWO PATTERNS", "THE REST"]),
    # a pattern naming a directory of the tree is a directory pattern
    (
        "drivers/net/e1000/main.c",
        ["NET DRIVERS DIR", "TWO PATTERNS", "THE REST"],
    ),
    # `drivers/net/*` covers files in drivers/net, not below; the deepest section first,
    # and a pattern starting with `*` (depth -1) after every other
    (
        "drivers/net/loopback.c",
        ["NETDEV ONE LEVEL", "NET DRIVERS DIR", "TWO PATTERNS", "NET WILDCARD", "THE REST"],
    ),
    # anchored at the start only: `foo.c` also matches `foo.c.orig`, not `bar/foo.c`
    ("foo.c", ["FOO C", "THE REST"]),
    ("foo.c.orig", ["FOO C", "THE REST"]),
    ("bar/foo.c", ["THE REST"]),
    # X: first
    ("net/ipv4/tcp.c", ["NETWORKING", "THE REST"]),
    ("net/ipv6/route.c", ["THE REST"]),
    # N: searched anywhere (depth 0), with Perl's /x
    ("drivers/clk/tegra/clk.c", ["TWO PATTERNS", "TEGRA", "TEGRA SPACED", "THE REST"]),
    ("arch/arm/mach-tegra/board.c", ["TEGRA", "TEGRA SPACED", "THE REST"]),
    # `?` is one character, `.` is literal, character classes keep their meaning
    # (equal depth: file order)
    ("drivers/pm8921-core.c", ["DRIVERS C FILES", "PM8 CHIPS", "TWO PATTERNS", "THE REST"]),
    ("drivers/pm89-x", ["TWO PATTERNS", "THE REST"]),
    ("lib/sort.c", ["SOURCES", "THE REST"]),
    ("lib/sort.h", ["SOURCES", "THE REST"]),
    ("lib/sortxc", ["THE REST"]),
    # a top-level `|` is Perl's `^qux|bar`: `bar` may match anywhere
    ("xbar", ["ALTERNATION", "THE REST"]),
    # a section's depth is its deepest matching pattern
    (
        "drivers/net/deep/x.c",
        ["TWO PATTERNS", "NET DRIVERS DIR", "THE REST"],
    ),
    # `*` alone covers top-level files, `*/` everything below (depth -1: last)
    ("Makefile", ["THE REST"]),
    ("Documentation/a/b.txt", ["THE REST"]),
]


@pytest.mark.parametrize(("path", "expected"), CASES)
def test_sections_in_order(index: OwnershipIndex, path: str, expected: list[str]) -> None:
    assert [s.name for s in index.owners(path).sections] == expected


def test_prose_examples_are_not_entries(index: OwnershipIndex) -> None:
    assert [s.name for s in index.owners("indented/examples/are/not/entries").sections] == [
        "THE REST"
    ]


def test_without_the_tree_a_bare_directory_name_is_a_file_pattern() -> None:
    index = OwnershipIndex(parse_maintainers(MAINTAINERS))  # no directories known
    assert "NET DRIVERS DIR" not in [s.name for s in index.owners("drivers/net/x/y.c").sections]
    # ...and as a file pattern it matches names that start with it, at its level.
    assert "NET DRIVERS DIR" in [s.name for s in index.owners("drivers/network.c").sections]


def test_explain_names_pattern_and_exclusion(index: OwnershipIndex) -> None:
    owners = index.owners("net/ipv6/route.c", explain=True)
    assert [(e.section.name, e.pattern.raw) for e in owners.exclusions] == [
        ("NETWORKING", "net/ipv6/")
    ]
    deep = index.owners("drivers/net/deep/x.c", explain=True).matches[0]
    assert (deep.pattern.raw, deep.depth) == ("drivers/net/deep/", 3)


def test_ties_keep_file_order() -> None:
    text = "B\nF:\tsrc/\n\nA\nF:\tsrc/\n\nC\nF:\tsrc/\n"
    index = OwnershipIndex(parse_maintainers(text))
    assert [s.name for s in index.owners("src/x.c").sections] == ["B", "A", "C"]


def test_file_names_that_are_not_utf8_match() -> None:
    index = OwnershipIndex(parse_maintainers("S\nF:\tdrivers/\nN:\tx\n"))
    path = b"drivers/\xff\xfex.c".decode("utf-8", "surrogateescape")
    assert [s.name for s in index.owners(path).sections] == ["S"]


def test_pathological_regex_is_linear() -> None:
    index = OwnershipIndex(parse_maintainers("S\nN:\t(a+)+$\nN:\t(x+x+)+y\n"))
    path = "a" * 5000 + "!"
    assert [s.name for s in index.owners(path).sections] == []
    assert any(d.code == "slow-pattern" for d in index.diagnostics)


def test_many_name_patterns_run_as_one_set() -> None:
    text = "".join(f"S{i}\nN:\tq{i}q\n\n" for i in range(20))
    index = OwnershipIndex(parse_maintainers(text))
    assert [s.name for s in index.owners("a/q7x/q13q").sections] == ["S13"]


@pytest.mark.parametrize(
    "path",
    ["drivers/", "drivers/net/", "", "a", "/x.c", "drivers//net/x.c", "lib/s", "xen/common/k"],
)
def test_odd_paths_match_what_each_pattern_matches(index: OwnershipIndex, path: str) -> None:
    # Empty and one-letter names, trailing and doubled slashes: the index's shortcuts
    # (per directory, per first letters of a name) agree with every pattern on its own.
    found = {p.ordinal for p in index.matching_patterns(path)}
    assert found == {p.ordinal for p in index.patterns if p.matches(path)}
    alone = OwnershipIndex(parse_maintainers(MAINTAINERS), DIRECTORIES.__contains__)
    assert index.owners(path).sections == alone.owners(path).sections
