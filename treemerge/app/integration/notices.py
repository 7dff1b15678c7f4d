"""The notices of one `next` run: the facts read from git (each conflict's blobs and
hunks, the heads' subjects and dates) handed to the rules of core/notices_next.py.

What an earlier run decided is in next.json: the conflicts notified (for their
"resolved" replies), how many runs in a row each tree was left out, when each tree's
head was first seen, and the keys of every notice in effect (to say which are new).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

from treemerge.app.integration.outcome import NextResult, TreeOutcome
from treemerge.core.changes import CommitInfo
from treemerge.core.errors import TreemergeError
from treemerge.core.notice import Notice
from treemerge.core.notices_next import (
    Addressing,
    Conflict,
    ConflictPath,
    Failure,
    Remembered,
    Side,
    Stale,
    conflict_key,
    conflict_notice,
    failure_notice,
    follows,
    gone,
    marker_regions,
    pair_of,
    resolved_notice,
    stale_notice,
    stale_reason,
)
from treemerge.gitio.conflicts import conflicted_files

if TYPE_CHECKING:
    from treemerge.app.notify import NoticeOutcome
    from treemerge.app.project import Project
    from treemerge.core.matcher import OwnershipIndex


class Found(NamedTuple):
    """What the merges of a run found, beyond its result."""

    pairs: Mapping[frozenset[str], tuple[str, ...]]  # the matrix: pair -> paths
    onto: Mapping[str, str]  # tree -> the integration commit its head conflicted with
    failed_at: Mapping[str, str]  # tree -> the head whose merge failed the test
    command: str | None  # the test command


class Facts(NamedTuple):
    """What the rules need to know of the project and its trees."""

    project: Project
    result: NextResult
    commits: dict[str, CommitInfo]  # the heads involved, by id
    ownership: OwnershipIndex | None  # ownership at the upstream's tip (None: unusable)
    addressing: Addressing

    def subject(self, commit: str) -> str:
        info = self.commits.get(commit)
        return info.subject if info else ""

    def owners(self, path: str) -> tuple[str, ...]:
        if self.ownership is None:
            return ()
        return tuple(s.name for s in self.ownership.owners(path).sections)

    def maintainers(self, tree: str) -> tuple[str, ...]:
        """The tree's maintainers: maintainers.cfg's and its MAINTAINERS section's M:
        (the main tree's: [main] to; an upstream subsystem's: its maintainers)."""
        config = self.project.config
        sub = config.subsystem(tree)
        if sub is None:
            return config.main.to
        found = list(sub.maintainers)
        if self.ownership is not None:
            sections = self.ownership.sections
            found += [m for s in sections if s.subsystem == tree for m in s.maintainers]
        return tuple(dict.fromkeys(found))


def addressing(project: Project) -> Addressing:
    """Who hears of next's notices besides the trees' maintainers ([notify])."""
    notify = project.config.notify
    listed = (notify.conflicts_list,) if notify.conflicts_list else ()
    return Addressing(top=project.config.main.to, cc=notify.cc, conflicts_list=listed)


# The [notify] switch each kind of next's notices follows.
SWITCHES = {"conflict": "conflicts", "resolved": "conflicts", "test-failure": "conflicts"}


def next_notices(project: Project, result: NextResult) -> list[Notice]:
    """The run's notices that [notify] wants sent: conflicts, their resolved replies and
    test failures (`conflicts = yes`), stale trees (`stale = yes`). Every notice in
    effect, not only the new ones: delivery sends each key once, and retries one whose
    delivery failed."""
    notify = project.config.notify
    wanted = {kind for kind, switch in SWITCHES.items() if getattr(notify, switch)}
    if notify.stale:
        wanted.add("stale")
    return [notice for notice in result.notices if notice.kind in wanted]


def notify_next(project: Project, result: NextResult) -> list[NoticeOutcome]:
    """Deliver the run's notices [notify] wants (`next_notices`), each once."""
    from treemerge.app.notify import deliver_notices  # noqa: PLC0415 - delivery on demand

    return deliver_notices(project, next_notices(project, result))


def gather(project: Project, result: NextResult, found: Found) -> Facts:
    heads = {t.head for t in result.trees if t.head} | {result.base}
    heads |= {*found.failed_at.values(), *found.onto.values()}
    commits = project.history().commits(heads)
    try:
        index: OwnershipIndex | None = project.ownership_at(result.base)
    except TreemergeError:  # (then the notices name no owners, and maintainers.cfg's people)
        index = None
    return Facts(project, result, commits, index, addressing(project))


def conflicts(facts: Facts, found: Found) -> list[Conflict]:
    """Every conflict of the run: between two trees (the matrix), and of a tree with
    the integration it was merged onto where no other tree's work explains it."""
    result = facts.result
    by_tree = {t.subsystem: t for t in result.trees}
    found_conflicts = []
    for pair, paths in sorted(found.pairs.items(), key=lambda item: sorted(item[0])):
        one, two = sorted(pair)
        sides = (_side(facts, by_tree[one]), _side(facts, by_tree[two]))
        found_conflicts.append(_conflict(facts, sides, set(paths)))
    for tree in result.trees:
        alone = {c.path for c in tree.conflicts if c.with_ == (result.upstream,)}
        onto = found.onto.get(tree.subsystem)
        if alone and onto:
            sides = (_upstream_side(facts, onto), _side(facts, tree))
            found_conflicts.append(_conflict(facts, sides, alone))
    return found_conflicts


def _side(facts: Facts, tree: TreeOutcome) -> Side:
    if not tree.merged:
        did = "left it out of the integration"
    elif tree.fallback:
        did = f"merged its last good head {tree.used_head or ''} instead"
    else:
        did = "merged it"
    name = tree.subsystem
    return Side(name, tree.head, facts.subject(tree.head), facts.maintainers(name), did)


def _upstream_side(facts: Facts, onto: str) -> Side:
    upstream = facts.result.upstream
    did = f"the integration so far (its tip {facts.result.base[:12]} and the trees merged before)"
    return Side(upstream, onto, facts.subject(onto), facts.maintainers(upstream), did)


def _conflict(facts: Facts, sides: tuple[Side, Side], paths: set[str]) -> Conflict:
    repo = facts.project.workspace.path
    ours, theirs = sides[0].head, sides[1].head
    files = conflicted_files(repo, ours, theirs, where="next")
    shown = []
    for file in files:
        if file.path not in paths:
            continue
        text = file.merged.decode("utf-8", "surrogateescape") if file.merged else ""
        blobs = (file.blobs[1], file.blobs[2])
        owners = facts.owners(file.path)
        shown.append(ConflictPath(file.path, owners, blobs, marker_regions(text), file.messages))
    command = f"git merge-tree --write-tree {ours} {theirs}"
    return Conflict(sides, tuple(shown), command)


def conflict_notices(
    facts: Facts, found: Found, previous: dict[str, object]
) -> tuple[list[Notice], dict[str, object]]:
    """The notice of every conflict in effect, a "resolved" reply for every conflict
    notified before whose trees no longer conflict, and what to remember of them."""
    before = remembered(previous.get("conflicts"))
    now = [c for c in conflicts(facts, found) if c.paths]
    notices = []
    keep: dict[str, object] = {}
    for conflict in now:
        replaces = follows(before, conflict)
        notices.append(conflict_notice(conflict, facts.addressing, follows=replaces))
        keep[conflict_key(conflict)] = {"trees": list(pair_of(conflict)), "follows": replaces}
    for old in gone(before, now):
        people = [p for tree in old.trees for p in facts.maintainers(tree)]
        notices.append(resolved_notice(old, facts.addressing, people))
    return notices, keep


def remembered(value: object) -> list[Remembered]:
    if not isinstance(value, dict):
        return []
    found = []
    for key, entry in value.items():
        if isinstance(entry, dict) and len(entry.get("trees") or ()) == 2:
            one, two = (str(t) for t in entry["trees"])
            replaces = entry.get("follows")
            found.append(Remembered(str(key), (one, two), str(replaces) if replaces else None))
    return found


def failure_notices(facts: Facts, found: Found) -> list[Notice]:
    """One notice per tree whose merge failed the test command."""
    notices = []
    for tree in facts.result.trees:
        if tree.test is None or tree.test.status != "failed" or not found.command:
            continue
        head = found.failed_at.get(tree.subsystem, tree.head)
        failure = Failure(
            tree.subsystem,
            head,
            facts.subject(head),
            found.command,
            tree.test.exit_status,
            tree.test.output,
            facts.maintainers(tree.subsystem),
        )
        notices.append(failure_notice(failure, facts.addressing))
    return notices


def staleness(
    project: Project,
    heads: Mapping[str, str],
    state: dict[str, object],
    commits: Mapping[str, CommitInfo],
    now: int,
) -> dict[str, str | None]:
    """Why each tree of `heads` is stale (None: it is not), by next.json's counts."""
    integration = project.config.integration
    left_out = _counts(state.get("left_out_runs"))
    moves = _moves(state.get("moves"))
    found: dict[str, str | None] = {}
    for tree, head in heads.items():
        info = commits.get(head)
        seen_head, seen = moves.get(tree, ("", None))
        seen_at = seen if seen and seen_head == head else now
        moved = max(info.time if info else 0, seen_at)
        found[tree] = stale_reason(
            now=now,
            moved=moved,
            left_out=left_out.get(tree, 0),
            after_days=integration.stale_after,
            cycles=integration.stale_cycles,
        )
    return found


def _counts(value: object) -> dict[str, int]:
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, int)}


def _moves(value: object) -> dict[str, tuple[str, int | None]]:
    if not isinstance(value, dict):
        return {}
    found: dict[str, tuple[str, int | None]] = {}
    for tree, entry in value.items():
        if isinstance(entry, list) and len(entry) == 2:
            seen = entry[1] if isinstance(entry[1], int) else None
            found[str(tree)] = (str(entry[0]), seen)
    return found


def run_counts(result: NextResult, previous: dict[str, object], now: int) -> dict[str, object]:
    """This run's counts for next.json: runs in a row each tree was left out, and
    each tree's head with when a run first saw it there. A tree's branch is only known
    to have been still since then: staleness is never judged on what no run saw."""
    left_before = _counts(previous.get("left_out_runs"))
    moves_before = _moves(previous.get("moves"))
    left_out = {t.subsystem: left_before.get(t.subsystem, 0) + 1 for t in result.trees}
    left_out.update({t.subsystem: 0 for t in result.trees if t.merged})
    moves: dict[str, list[object]] = {}
    for tree in result.trees:
        if not tree.head:
            continue
        head, seen = moves_before.get(tree.subsystem, (None, None))
        moves[tree.subsystem] = [tree.head, seen if head == tree.head and seen else now]
    return {"left_out_runs": left_out, "moves": moves}


def decide(
    project: Project, result: NextResult, found: Found, previous: dict[str, object]
) -> tuple[NextResult, dict[str, object]]:
    """The run's result with its notices and stale trees, and what next.json keeps."""
    now = int(time.time())
    facts = gather(project, result, found)
    notices, keep = conflict_notices(facts, found, previous)
    notices += failure_notices(facts, found)
    state = {**run_counts(result, previous, now), "conflicts": keep}
    heads = {t.subsystem: t.head for t in result.trees if t.head}
    stale = staleness(project, heads, state, facts.commits, now)
    trees = tuple(
        t._replace(stale=bool(stale.get(t.subsystem)), stale_why=stale.get(t.subsystem))
        for t in result.trees
    )
    for tree in trees:
        if tree.stale_why:
            found_stale = Stale(
                tree.subsystem, tree.head, tree.stale_why, facts.maintainers(tree.subsystem)
            )
            notices.append(stale_notice(found_stale, facts.addressing))
    known = set(previous.get("notices") or ())  # type: ignore[call-overload]
    state["notices"] = [n.key for n in notices]
    fresh = tuple(n.key for n in notices if n.key not in known)
    return result._replace(trees=trees, notices=tuple(notices), new_notices=fresh), state
