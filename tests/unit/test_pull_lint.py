"""Every lint rule of a pull request fires when it should and stays quiet otherwise."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from treemerge.core.changes import CommitInfo
from treemerge.core.check import CheckResult, FileVerdict
from treemerge.core.pull_lint import DAY, PullFacts, explanations, lint_pull

NOW = 1_800_000_000
OLD = CommitInfo("c1" * 20, ("b" * 40,), "A <a@x.org>", NOW - 10 * DAY, "net: work\n")
FRESH = CommitInfo("c2" * 20, ("c1" * 20,), "A <a@x.org>", NOW - 3600, "net: late\n")
BARE_MERGE = CommitInfo("m1" * 20, ("c1" * 20, "u" * 40), "A <a@x.org>", NOW - 5 * DAY,
                        "Merge tag 'v2' into for-main\n")  # fmt: skip
TOLD_MERGE = BARE_MERGE._replace(message="Merge tag 'v2' into for-main\n\nNeeds the new API.\n")
CLEAN = CheckResult("net", "main", "b" * 40, "h" * 40, 1,
                    (FileVerdict("net/a.c", "owned", (), ()),), (), ())  # fmt: skip
FOREIGN = CLEAN._replace(files=(FileVerdict("drivers/x.c", "foreign", ("DRIVERS",), ("c1",)),))
EDITS = CLEAN._replace(ownership_files_changed=("MAINTAINERS",))
GOOD = PullFacts(
    tag="net-for-main-2027-01-15", url="/srv/net.git", base="b" * 40, head="h" * 40,
    tag_at_url="h" * 40, base_is_tag=True, summary="Networking.\n", check=CLEAN,
    backmerges=(), pending=(OLD,), now=NOW,
)  # fmt: skip


def rules(facts: PullFacts) -> dict[str, str]:
    return {f.rule: f.severity for f in lint_pull(facts)}


def test_a_good_pull_is_quiet() -> None:
    assert rules(GOOD) == {}


@pytest.mark.parametrize(
    ("changes", "rule", "severity"),
    [
        ({"head": "b" * 40, "pending": ()}, "empty", "error"),
        ({"tag_at_url": None}, "no-tag-at-url", "error"),
        ({"tag_at_url": "0" * 40}, "tag-not-at-head", "error"),
        ({"base_is_tag": False}, "base-not-tag", "warning"),
        ({"backmerges": (BARE_MERGE,)}, "unexplained-backmerge", "warning"),
        ({"pending": (OLD, FRESH)}, "fresh-commits", "warning"),
        ({"check": FOREIGN}, "unexplained-foreign", "warning"),
        ({"check": EDITS}, "ownership-file-edited", "warning"),
    ],
)
def test_each_rule_fires(changes: dict[str, object], rule: str, severity: str) -> None:
    found = lint_pull(GOOD._replace(**changes))  # type: ignore[arg-type]
    assert {f.rule: f.severity for f in found}.get(rule) == severity
    finding = next(f for f in found if f.rule == rule)
    assert finding.message
    assert finding.fix


@pytest.mark.parametrize(
    "changes",
    [
        {"base_is_tag": False, "summary": "Networking.\n\nBase: needs the rc2 fix.\n"},
        {"backmerges": (TOLD_MERGE,)},
        {"pending": (OLD, FRESH), "allow_fresh": True},
        {"check": FOREIGN, "summary": "Networking.\n\ndrivers/x.c: new hook, agreed on list.\n"},
        {"check": FOREIGN, "summary": "Networking.\n\nTouches drivers/ for the hook.\n"},
    ],
)
def test_each_rule_stays_quiet_when_answered(changes: dict[str, object]) -> None:
    assert rules(GOOD._replace(**changes)) == {}  # type: ignore[arg-type]


def test_errors_come_first() -> None:
    facts = GOOD._replace(base_is_tag=False, tag_at_url=None)
    assert [f.severity for f in lint_pull(facts)] == ["error", "warning"]


def test_strict_makes_every_warning_an_error() -> None:
    facts = GOOD._replace(base_is_tag=False, check=FOREIGN, tag_at_url=None)
    assert rules(facts) == {
        "no-tag-at-url": "error",
        "base-not-tag": "warning",
        "unexplained-foreign": "warning",
    }
    assert rules(facts._replace(strict=True)) == dict.fromkeys(rules(facts), "error")
    assert rules(GOOD._replace(strict=True)) == {}


def test_a_longer_path_is_no_mention_of_the_directory() -> None:
    summary = "drivers/char.c: needed.\n"
    assert explanations(summary, ["drivers/char.c", "drivers/block.c"]) == {
        "drivers/char.c": "drivers/char.c: needed."
    }


def _reference_explanations(summary: str, paths: list[str]) -> dict[str, str]:
    """The rule written plainly: the first line naming the path or its directory."""

    def mentions(line: str, path: str) -> bool:
        if path in line:
            return True
        if "/" not in path:
            return False
        directory = path.rsplit("/", 1)[0] + "/"
        return any(
            line[m + len(directory) : m + len(directory) + 1] in ("", *" \t,.:;)]")
            for m in range(len(line))
            if line.startswith(directory, m)
        )

    lines = [line.strip() for line in summary.splitlines() if line.strip()]
    found = {}
    for path in paths:
        line = next((line for line in lines if mentions(line, path)), None)
        if line is not None:
            found[path] = line
    return found


WORDS = ["a/", "a/b", "a/b/", "a/b.c", "b.c", "c/", " ", ",", ".", ")", "x", "\n", "\t"]
summaries = st.lists(st.sampled_from(WORDS), max_size=12).map("".join)
lint_paths = st.lists(
    st.lists(st.sampled_from(["a", "b", "b.c", "c", "x"]), min_size=1, max_size=3).map("/".join),
    max_size=8,
)


@given(summaries, lint_paths)
@example("see a/b/ and a/b.c\nthen a/\n", ["a/b/x", "a/b.c", "a/x", "c/x", "x"])
def test_explanations_follow_the_rule(summary: str, paths: list[str]) -> None:
    assert explanations(summary, paths) == _reference_explanations(summary, paths)
