"""Review provenance: which of a tree's own cores reviewed each pending commit (issue 17).

A tree's cores are the people its `[subsystem]` block names in `cores =`, its
maintainers (maintainers.cfg's and its MAINTAINERS section's M:), and with
`cores-from-reviewers = yes` its reviewers (`reviewers =` and R:). The main tree's cores
are `[main]`'s `cores =`. Nobody else counts: a core of the main tree or of another
subsystem is no core of this one unless this one lists them.

The evidence, all of it in git, each piece naming a person by email address:

- `Reviewed-by:` and `Acked-by:` in the commit's trailer block (git's rules: see
  `treemerge.core.trailers`);
- `Code-Review+2: Name <email>` lines of the commit's review note (the format of
  Gerrit's review-notes plugin); a +1 counts only with `review-votes = +1`;
- the committer, when a core other than the author applied the commit;
- a merge committed by a core, for the commits that merge brings in (those of its other
  parents that its first parent lacks), never for any other commit.

A person never reviews their own commit. Merges are not judged themselves: what they
bring in is. A commit is reviewed when it has at least `review` distinct cores' review
(at least one when `review = 0`, which reports and enforces nothing).

In a trust tree, a commit of a child tree that reached this one through a merge of the
child's pull (found by reachability, see `pulled_in`) was reviewed there: it is judged
by the child's cores and policy, and the report says so (`Credit`).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence, Set
from typing import NamedTuple

from treemerge.core.changes import CommitInfo
from treemerge.core.config import MAIN_ID, Config
from treemerge.core.model import Diagnostic, Ownership, Section
from treemerge.core.people import email_of
from treemerge.core.trailers import trailers

REVIEW_TRAILERS = ("reviewed-by", "acked-by")  # compared without regard to case, as git does
# A message without one of those words anywhere has none of those trailers (a token is
# ASCII, compared without regard to ASCII case): its trailer block is not worth finding.
MAY_HOLD_REVIEW = re.compile("|".join(REVIEW_TRAILERS), re.IGNORECASE | re.ASCII)
# A vote of Gerrit's review-notes plugin: `Code-Review+2: Name <email>`.
CODE_REVIEW = re.compile(r"^Code-Review([+-]?[0-9]+):[ \t]*(.*?)[ \t]*$", re.MULTILINE)
COMMITTER = "committer"


class Evidence(NamedTuple):
    """One person's review of a commit, as git records it."""

    email: str  # lower-cased: the address decides who it is
    person: str  # as the evidence writes them
    kind: str  # the trailer's token, "Code-Review+2", "committer" or "merge <commit>"
    vote: int = 0  # a review note's vote (0 for other kinds)


class ReviewPolicy(NamedTuple):
    """Whose review counts for a tree, and how much of it each commit needs."""

    tree: str
    required: int
    votes: int  # the lowest review-note vote that counts
    cores: Mapping[str, str]  # email (lower-cased) -> `Name <email>` as configured


class Credit(NamedTuple):
    """Commits of a child tree that reached the judged tree through merged pulls of the
    child: judged by the child's cores and policy, with the child's review notes."""

    policy: ReviewPolicy  # the child's
    commits: frozenset[str]
    notes: Mapping[str, str]


class CommitReview(NamedTuple):
    commit: str
    subject: str
    author: str
    reviewers: tuple[str, ...]  # the cores whose review counts, as configured
    why: str = ""  # for an unreviewed commit: what is missing
    tree: str = ""  # the tree whose cores and policy judged it
    required: int = 0  # that tree's `review = N`: unreviewed, it is a finding when N > 0

    @property
    def reviewed(self) -> bool:
        return not self.why

    def as_dict(self) -> dict[str, object]:
        return {"commit": self.commit, "subject": self.subject, "author": self.author,
                "why": self.why, "tree": self.tree}  # fmt: skip


class ReviewReport(NamedTuple):
    """The verdict on every non-merge pending commit, oldest first."""

    tree: str
    policy: int
    commits: tuple[CommitReview, ...]

    @property
    def reviewed(self) -> int:
        return sum(1 for c in self.commits if c.reviewed)

    @property
    def unreviewed(self) -> tuple[CommitReview, ...]:
        return tuple(c for c in self.commits if not c.reviewed)

    @property
    def findings(self) -> int:
        """Unreviewed commits that break the policy that judged them (none under
        `review = 0`)."""
        return sum(1 for c in self.unreviewed if c.required > 0)

    def reviewers(self) -> dict[str, int]:
        """How many commits each core reviewed, most first."""
        counts = Counter(who for c in self.commits for who in c.reviewers)
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def credited(self) -> dict[str, tuple[int, int]]:
        """For each child tree whose merged pulls brought commits in: how many of them
        its review covered, and how many there are."""
        found: dict[str, tuple[int, int]] = {}
        for c in self.commits:
            if c.tree != self.tree:
                reviewed, total = found.get(c.tree, (0, 0))
                found[c.tree] = (reviewed + c.reviewed, total + 1)
        return found

    def as_dict(self) -> dict[str, object]:
        return {
            "policy": self.policy,
            "reviewed": self.reviewed,
            "unreviewed": [c.as_dict() for c in self.unreviewed],
            "reviewers": self.reviewers(),
            "credited": {
                tree: {"commits": total, "reviewed": reviewed}
                for tree, (reviewed, total) in self.credited().items()
            },
        }


def tree_section(sections: Sequence[Section], tree: str) -> Section | None:
    """The ownership section of subsystem `tree` (maintainers.cfg's, or the MAINTAINERS
    section it joins)."""
    return next((s for s in sections if s.subsystem == tree), None)


def tree_cores(config: Config, tree: str, section: Section | None) -> dict[str, str]:
    """The cores of `tree` by lower-cased address, each as first written."""
    if tree == MAIN_ID:
        return _by_email(config.main.cores)
    sub = config.subsystem(tree)
    if sub is None or sub.review is None:
        return {}
    people = [*sub.review.cores, *sub.maintainers]
    people += section.maintainers if section else ()
    if sub.review.cores_from_reviewers:
        people += [*sub.reviewers, *(section.reviewers if section else ())]
    return _by_email(people)


def review_policy(config: Config, tree: str, sections: Sequence[Section]) -> ReviewPolicy | None:
    """The review policy of subsystem `tree`, its cores found in `sections` (the
    ownership the upstream has); None when maintainers.cfg sets none."""
    sub = config.subsystem(tree)
    if sub is None or sub.review is None:
        return None
    cores = tree_cores(config, tree, tree_section(sections, tree))
    return ReviewPolicy(tree, sub.review.required, sub.review.votes, cores)


def policy_findings(config: Config, ownership: Ownership) -> list[Diagnostic]:
    """Trees whose policy no commit can meet: fewer than `review` + 1 cores (a core's
    own commit needs `review` others)."""
    found = []
    for sub in config.subsystems:
        policy = review_policy(config, sub.id, ownership.sections)
        if sub.review is None or policy is None or policy.required == 0:
            continue
        have, need = len(policy.cores), policy.required + 1
        if have < need:
            found.append(
                Diagnostic(
                    "error",
                    "review-unsatisfiable",
                    config.file,
                    sub.review.line,
                    f"subsystem {sub.id!r} asks each commit for review by {policy.required} "
                    f"core(s) other than its author but has {have} core(s); it needs {need}",
                    key="review",
                )
            )
    return found


def commit_evidence(commit: CommitInfo, note: str | None) -> list[Evidence]:
    """The review evidence a commit carries itself: trailers, its note, its committer."""
    found = []
    if MAY_HOLD_REVIEW.search(commit.message):
        for trailer in trailers(commit.message):
            if trailer.token.lower() in REVIEW_TRAILERS:
                found += _evidence(trailer.value, trailer.token)
    for vote, person in CODE_REVIEW.findall(note or ""):
        found += _evidence(person, f"Code-Review{vote}", vote=int(vote))
    if commit.committer:
        found += _evidence(commit.committer, COMMITTER)
    return found


def judge_review(
    policy: ReviewPolicy,
    pending: Sequence[CommitInfo],
    notes: Mapping[str, str],
    credits: Sequence[Credit] = (),
) -> ReviewReport:
    """The review verdict on each non-merge commit of `pending` (parents before
    children); `notes` are the review notes by commit. A commit of one of `credits` is
    judged by that child tree's policy instead (a later credit wins: a grandchild's
    comes after its parent's)."""
    judged_by: dict[str, tuple[ReviewPolicy, Mapping[str, str]]] = {}
    vouched = merge_vouchers(pending, policy.cores)
    for credit in credits:
        theirs = [c for c in pending if c.sha in credit.commits]
        child_vouched = merge_vouchers(theirs, credit.policy.cores)
        for sha in credit.commits:
            judged_by[sha] = (credit.policy, credit.notes)
            vouched[sha] = child_vouched.get(sha, [])
    verdicts = []
    for commit in pending:
        if commit.is_merge:
            continue
        judge, its_notes = judged_by.get(commit.sha, (policy, notes))
        evidence = commit_evidence(commit, its_notes.get(commit.sha))
        verdicts.append(_verdict(judge, commit, evidence + vouched.get(commit.sha, [])))
    return ReviewReport(policy.tree, policy.required, tuple(verdicts))


def pulled_in(pending: Sequence[CommitInfo], child: Set[str]) -> frozenset[str]:
    """The commits of `child` (a child tree's, in a trust tree) that merges of its work
    brought into `pending` (parents before children): for each merge that is not the
    child's own and merges a commit of the child, what it brings in (its other parents
    reach and its first parent does not). Commits the judged tree took any other way
    (a fast-forward, a cherry-pick) are its own."""
    parents = {c.sha: c.parents for c in pending}
    found: set[str] = set()
    for merge in pending:
        theirs = [p for p in merge.parents[1:] if p in child]
        if not merge.is_merge or merge.sha in child or not theirs:
            continue
        kept = _reach(parents, merge.parents[:1])
        found |= _reach(parents, theirs, stop=kept)
    return frozenset(found & child)


def merge_vouchers(
    pending: Sequence[CommitInfo], cores: Mapping[str, str]
) -> dict[str, list[Evidence]]:
    """For each commit a core's merge brings in, that merge's evidence (once per merge).

    What a merge brings in: the pending commits its other parents reach and its first
    parent does not (commits outside `pending` are upstream's, which need no review).
    """
    parents = {c.sha: c.parents for c in pending}
    found: dict[str, list[Evidence]] = {}
    for merge in pending:
        email = address(merge.committer)
        if not merge.is_merge or email not in cores:
            continue
        kept = _reach(parents, merge.parents[:1])
        evidence = Evidence(email, merge.committer, f"merge {merge.sha[:12]}")
        for sha in _reach(parents, merge.parents[1:], stop=kept):
            found.setdefault(sha, []).append(evidence)
    return found


def _reach(
    parents: Mapping[str, tuple[str, ...]], starts: Iterable[str], stop: set[str] | None = None
) -> set[str]:
    """The commits of `parents` that `starts` reach, not walking through `stop`."""
    seen: set[str] = set()
    todo = [s for s in starts if s in parents]
    while todo:
        sha = todo.pop()
        if sha in seen or (stop is not None and sha in stop):
            continue
        seen.add(sha)
        todo.extend(p for p in parents[sha] if p in parents)
    return seen


def _verdict(policy: ReviewPolicy, commit: CommitInfo, evidence: list[Evidence]) -> CommitReview:
    author = address(commit.author)
    counted: dict[str, str] = {}
    outsiders: dict[str, str] = {}
    low_votes: list[str] = []
    own = False
    for item in evidence:
        if item.email == author:
            own = own or item.kind != COMMITTER
        elif item.vote and item.vote < policy.votes:
            low_votes.append(f"{item.kind} by {item.person}")
        elif item.email in policy.cores:
            counted.setdefault(item.email, policy.cores[item.email])
        elif item.kind != COMMITTER:
            outsiders.setdefault(item.email, item.person)
    reviewers = tuple(sorted(counted.values()))
    need = max(policy.required, 1)
    judged = (policy.tree, policy.required)
    if len(reviewers) >= need:
        return CommitReview(commit.sha, commit.subject, commit.author, reviewers, "", *judged)
    why = [f"{len(reviewers)} of {need} core review(s) needed"]
    if reviewers:
        why.append(f"by {', '.join(reviewers)}")
    if outsiders:
        why.append(f"not cores of {policy.tree}: {', '.join(sorted(outsiders.values()))}")
    if low_votes:
        why.append(f"votes that do not count: {', '.join(low_votes)}")
    if own:
        why.append("its author's own review does not count")
    return CommitReview(
        commit.sha, commit.subject, commit.author, reviewers, "; ".join(why), *judged
    )


def _evidence(person: str, kind: str, *, vote: int = 0) -> list[Evidence]:
    email = address(person)
    return [Evidence(email, person, kind, vote)] if email else []


@functools.lru_cache(maxsize=4096)
def address(person: str) -> str:
    """The lower-cased address of `Name <email>` ("" without one): asked once per person,
    however many commits they wrote, applied or reviewed."""
    return (email_of(person) or "").lower()


def _by_email(people: Iterable[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for person in people:
        email = address(person)
        if email:
            found.setdefault(email, person)
    return found
