"""Pattern conversion details: regex text, depth, /x, pathological shapes (no git)."""

from __future__ import annotations

import pytest

from treemerge.core.patterns import (
    PatternError,
    compile_file_pattern,
    compile_regex,
    glob_to_regex,
    is_pathological,
    strip_x_flag,
)


@pytest.mark.parametrize(
    ("raw", "regex"),
    [
        ("drivers/net/", "drivers/net/"),
        ("drivers/scsi/hpsa*.[ch]", "drivers/scsi/hpsa.*\\.[ch]"),
        ("xen/common/{kexec,kimage}.c", "xen/common/(kexec|kimage)\\.c"),
        ("drivers/pm8???-*", "drivers/pm8...-.*"),
        ("a{2}b", "a{2}b"),
    ],
)
def test_glob_to_regex(raw: str, regex: str) -> None:
    assert glob_to_regex(raw) == regex


@pytest.mark.parametrize(
    ("raw", "depth"),
    [
        ("drivers/net/", 2),
        ("drivers/net/*", 3),
        ("drivers/net/foo.c", 3),
        ("*", -1),
        ("*/", -1),
        ("*/net/*", -1),
        ("foo.c", 1),
    ],
)
def test_depth(raw: str, depth: int) -> None:
    assert compile_file_pattern("F", raw, 1, 0, lambda _p: False).depth == depth


def test_directory_rule_adds_the_slash_and_its_depth() -> None:
    pattern = compile_file_pattern("F", "drivers/net", 1, 0, {"drivers/net"}.__contains__)
    assert (pattern.regex, pattern.depth, pattern.directory) == ("drivers/net/", 2, True)


@pytest.mark.parametrize(
    ("pattern", "stripped"),
    [
        ("te gra", "tegra"),
        ("a # comment", "a"),
        ("[ ]x", "[ ]x"),
        ("a\\ b", "a\\ b"),
        ("[]a ]b", "[]a ]b"),
    ],
)
def test_strip_x_flag(pattern: str, stripped: str) -> None:
    assert strip_x_flag(pattern) == stripped


def test_regexes_re2_cannot_run_are_errors() -> None:
    with pytest.raises(PatternError, match="invalid perl operator"):
        compile_regex("(?<=a)b")


@pytest.mark.parametrize(
    ("regex", "slow"), [("(a+)+$", True), ("(x*)*", True), ("(ab)+", False), ("a+b*", False)]
)
def test_pathological(regex: str, slow: bool) -> None:
    assert is_pathological(regex) is slow
