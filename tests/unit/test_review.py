"""Review provenance judged from commits (treemerge.core.review): whose review counts,
for which commit, and what an unreviewed commit lacks."""

from __future__ import annotations

import pytest

from treemerge.core.changes import CommitInfo
from treemerge.core.config import parse_config
from treemerge.core.maintainers_file import parse_maintainers
from treemerge.core.ownership import combine
from treemerge.core.review import (
    Credit,
    ReviewPolicy,
    judge_review,
    policy_findings,
    pulled_in,
    review_policy,
)

CORA = "Cora Core <cora@example.org>"
MAX = "Max Maint <max@example.org>"
NINA = "Nina Nova <nina@example.org>"  # a core of the main tree only
ANA = "Ana Author <ana@example.org>"
ROB = "Rob Rev <rob@example.org>"  # R: of the MAINTAINERS section

CONFIG = f"""\
[main]
url = x
maintainers-file = MAINTAINERS
cores = {NINA}

[subsystem "virt"]
title = VIRT
maintainers = {MAX}
cores = {CORA}
review = 1

[subsystem "plain"]
title = PLAIN
"""
MAINTAINERS = f"VIRT\nM:\tMia Section <mia@example.org>\nR:\t{ROB}\nF:\tvirt/\n"


def policy(extra: str = "", *, tree: str = "virt") -> ReviewPolicy | None:
    config = parse_config(CONFIG.replace("review = 1\n", f"review = 1\n{extra}"), "m.cfg")
    ownership = combine(config, parse_maintainers(MAINTAINERS, "MAINTAINERS"))
    return review_policy(config, tree, ownership.sections)


@pytest.mark.parametrize(
    ("extra", "cores"),
    [
        ("", {"cora@example.org", "max@example.org", "mia@example.org"}),
        ("cores-from-reviewers = yes\n",
         {"cora@example.org", "max@example.org", "mia@example.org", "rob@example.org"}),
    ],
)  # fmt: skip
def test_who_is_a_core(extra: str, cores: set[str]) -> None:
    found = policy(extra)
    assert found is not None
    assert set(found.cores) == cores  # never the main tree's Nina
    assert found.cores["cora@example.org"] == CORA


def test_no_policy_without_review_keys() -> None:
    assert policy(tree="plain") is None


def test_lint_finds_a_policy_that_cannot_be_met() -> None:
    config = parse_config(CONFIG.replace("review = 1", "review = 3"), "m.cfg")
    ownership = combine(config, parse_maintainers(MAINTAINERS, "MAINTAINERS"))
    (finding,) = policy_findings(config, ownership)
    assert (finding.severity, finding.code, finding.line, finding.key) == (
        "error", "review-unsatisfiable", 9, "review")  # fmt: skip
    assert "has 3 core(s); it needs 4" in finding.message
    met = parse_config(CONFIG.replace("review = 1", "review = 2"), "m.cfg")
    assert policy_findings(met, combine(met, parse_maintainers(MAINTAINERS, "M"))) == []


def commit(
    name: str,
    message: str = "",
    *,
    author: str = ANA,
    committer: str = ANA,
    parents: tuple[str, ...] = ("0" * 40,),
) -> CommitInfo:
    return CommitInfo(name * 40, parents, author, 0, f"{name}: work\n\n{message}", "", "",
                      committer)  # fmt: skip


# (commit, its review note, the cores credited, why it is unreviewed)
VERDICTS: list[tuple[CommitInfo, str | None, tuple[str, ...], str]] = [
    (commit("a", f"Reviewed-by: {CORA}\n"), None, (CORA,), ""),
    (commit("b", "Acked-by: Max <MAX@example.org>\n"), None, (MAX,), ""),  # email decides
    (commit("c", f"Reviewed-by: {NINA}\n"), None, (),
     f"0 of 1 core review(s) needed; not cores of virt: {NINA}"),
    (commit("d", f"Reviewed-by: {ANA}\n"), None, (),
     "0 of 1 core review(s) needed; its author's own review does not count"),
    (commit("e", f"> Reviewed-by: {CORA}\n"), None, (), "0 of 1 core review(s) needed"),
    (commit("f", committer=CORA), None, (CORA,), ""),  # a core applied it
    (commit("g", author=CORA, committer=CORA), None, (), "0 of 1 core review(s) needed"),
    (commit("h"), f"Code-Review+2: {CORA}\nVerified+1: Bot <bot@x.org>\n", (CORA,), ""),
    (commit("i"), f"Code-Review+1: {CORA}\n", (),
     f"0 of 1 core review(s) needed; votes that do not count: Code-Review+1 by {CORA}"),
    (commit("j", f"Reviewed-by: {CORA}\nReviewed-by: {MAX}\n", committer=CORA), None,
     (CORA, MAX), ""),
    # Tokens compare without regard to case, white space may stand before the colon.
    (commit("k", f"REVIEWED-BY: {CORA}\n"), None, (CORA,), ""),
    (commit("l", f"acked-By : {CORA}\n"), None, (CORA,), ""),
    (commit("o", f"Signed-off-by: {ANA}\nReviewed-by-bot: {CORA}\n"), None, (),
     "0 of 1 core review(s) needed"),
]  # fmt: skip


@pytest.mark.parametrize(("item", "note", "reviewers", "why"), VERDICTS)
def test_verdict(item: CommitInfo, note: str | None, reviewers: tuple[str, ...], why: str) -> None:
    found = policy()
    assert found is not None
    notes = {item.sha: note} if note else {}
    (verdict,) = judge_review(found, [item], notes).commits
    assert (verdict.reviewers, verdict.why) == (reviewers, why)


def test_plus_one_counts_where_the_policy_says_so() -> None:
    found = policy("review-votes = +1\n")
    assert found is not None
    item = commit("i")
    (verdict,) = judge_review(found, [item], {item.sha: f"Code-Review+1: {CORA}\n"}).commits
    assert verdict.reviewers == (CORA,)


def test_two_reviews_needed() -> None:
    found = policy()
    assert found is not None
    strict = found._replace(required=2)
    (verdict,) = judge_review(strict, [commit("a", f"Reviewed-by: {CORA}\n")], {}).commits
    assert verdict.why == f"1 of 2 core review(s) needed; by {CORA}"


def test_a_core_merge_vouches_only_for_what_it_brings_in() -> None:
    """base <- x (on the first-parent side) ; base <- t1 <- t2 (the topic); m merges t2."""
    base = commit("b")
    x = commit("x", parents=(base.sha,))
    t1 = commit("1", parents=(base.sha,))
    t2 = commit("2", parents=(t1.sha,))
    merge = commit("m", parents=(x.sha, t2.sha), author=CORA, committer=CORA)
    outsider = commit("n", parents=(merge.sha, t2.sha), committer=NINA)
    found = policy()
    assert found is not None
    report = judge_review(found, [base, x, t1, t2, merge, outsider], {})
    verdicts = {c.commit[0]: c.reviewers for c in report.commits}
    assert verdicts == {"b": (), "x": (), "1": (CORA,), "2": (CORA,)}  # merges not judged
    document = report.as_dict()
    assert document["policy"] == 1
    assert document["reviewed"] == 2
    assert document["reviewers"] == {CORA: 2}
    assert [u.commit[0] for u in report.unreviewed] == ["b", "x"]
    assert document["unreviewed"] == [u.as_dict() for u in report.unreviewed]
    assert report.findings == 2
    assert judge_review(found._replace(required=0), [base], {}).findings == 0


def test_a_child_trees_pull_is_judged_by_the_childs_policy() -> None:
    """base <- own (the tree's) ; base <- c1 <- c2 (the child's) ; m merges c2;
    t (a topic of the tree's) merged by n, which merges nothing of the child's."""
    base = commit("b")
    own = commit("o", f"Reviewed-by: {CORA}\n", parents=(base.sha,))
    c1 = commit("1", f"Reviewed-by: {ROB}\n", parents=(base.sha,))
    c2 = commit("2", f"Reviewed-by: {CORA}\n", parents=(c1.sha,))
    merge = commit("m", parents=(own.sha, c2.sha), committer=CORA)
    topic = commit("t", parents=(merge.sha,))
    n = commit("n", parents=(merge.sha, topic.sha))
    pending = [base, own, c1, c2, merge, topic, n]
    child = {c1.sha, c2.sha, base.sha}  # the child forked at base: it has base too
    assert pulled_in(pending, child) == {c1.sha, c2.sha}
    found = policy()
    assert found is not None
    rob = ReviewPolicy("wifi", 1, 2, {"rob@example.org": ROB})
    report = judge_review(found, pending, {}, [Credit(rob, pulled_in(pending, child), {})])
    verdicts = {c.commit[0]: (c.tree, c.reviewers) for c in report.commits}
    assert verdicts == {
        "b": ("virt", ()),
        "o": ("virt", (CORA,)),
        "1": ("wifi", (ROB,)),
        "2": ("wifi", ()),  # Cora is no core of wifi, and Cora's merge is virt's
        "t": ("virt", ()),
    }
    assert report.credited() == {"wifi": (1, 2)}
    assert report.as_dict()["credited"] == {"wifi": {"commits": 2, "reviewed": 1}}
    assert report.findings == 3  # b, 2 and t
    lenient = Credit(rob._replace(required=0), frozenset({c1.sha, c2.sha}), {})
    assert judge_review(found, pending, {}, [lenient]).findings == 2  # wifi reports only
