"""`audit`: the merges already in the upstream, checked again after the fact.

Merges of subsystem work are found by reachability (the merged commit is in a tree's
history or one of its fetched pull tags), never by trusting what a message says.
"""

from __future__ import annotations

from dataclasses import dataclass

from treemerge.app.check import judge_range
from treemerge.app.project import Project
from treemerge.app.review import upstream_head
from treemerge.core.check import CheckResult
from treemerge.core.errors import UsageError


@dataclass(frozen=True)
class AuditedMerge:
    commit: str
    subsystem: str
    check: CheckResult

    def as_dict(self) -> dict[str, object]:
        return {
            "commit": self.commit,
            "subsystem": self.subsystem,
            "violations": self.check.violations,
            "files": [f.as_dict() for f in self.check.files if f.status != "owned"],
        }


def audit(
    project: Project, *, upstream: str = "main", since: str | None = None
) -> list[AuditedMerge]:
    """Every merge of a subsystem's work on `upstream`'s first-parent line (after
    `since`), judged by the ownership the upstream had just before it."""
    history = project.history()
    tip = upstream_head(project, upstream)
    stop = history.resolve(since) if since else None
    if since and stop is None:
        raise UsageError(f"--since {since}: not a commit of the workspace")
    tips = _tree_tips(project, upstream)
    found = []
    for commit in history.first_parents(tip, stop):
        if len(commit.parents) < 2:
            continue
        merged = commit.parents[1]
        subsystem = next(
            (
                sub
                for sub, heads in tips.items()
                if any(history.is_ancestor(merged, h) for h in heads)
            ),
            None,
        )
        if subsystem is None:
            continue
        result = judge_range(project, subsystem, upstream, commit.parents[0], merged)
        found.append(AuditedMerge(commit.sha, subsystem, result))
    return found


def _tree_tips(project: Project, upstream: str) -> dict[str, list[str]]:
    """For each subsystem pulling into `upstream`: its synced head and fetched pull tags."""
    tips: dict[str, list[str]] = {}
    synced = project.workspace.tree_heads()
    for tree in project.trees():
        if tree.upstream != upstream:
            continue
        heads = [synced[tree.id]] if tree.id in synced else []
        out = project.workspace.git(
            "for-each-ref", "--format=%(objectname)^{commit}", f"refs/pulls/{tree.id}/"
        ).decode()
        for line in out.split():
            resolved = project.history().resolve(line)
            if resolved:
                heads.append(resolved)
        if heads:
            tips[tree.id] = heads
    return tips
