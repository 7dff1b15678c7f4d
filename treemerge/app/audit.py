"""`audit`: the merges already in the upstream, checked again after the fact.

Merges of subsystem work are found by reachability (the merged commit is in a tree's
history or one of its fetched pull tags), never by trusting what a message says. Each
is judged as the upstream stood just before it: ownership by the ownership file it had
then, review by the cores its maintainers.cfg named then.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from treemerge.app.check import judge_pending, judge_pending_review
from treemerge.app.configfile import CONFIG_NAME
from treemerge.app.ownership import configured_maintainers
from treemerge.app.project import Project
from treemerge.app.review import upstream_head
from treemerge.core.check import CheckResult
from treemerge.core.config import Config, parse_config
from treemerge.core.errors import ConfigError, UsageError
from treemerge.core.model import Section
from treemerge.core.ownership import combine
from treemerge.gitio.treeat import TreeAt


@dataclass(frozen=True)
class AuditedMerge:
    commit: str
    subsystem: str
    check: CheckResult
    cores_from: str = ""  # which maintainers.cfg named the cores (with a review policy)

    def as_dict(self) -> dict[str, object]:
        document: dict[str, object] = {
            "commit": self.commit,
            "subsystem": self.subsystem,
            "violations": self.check.violations,
            "files": [f.as_dict() for f in self.check.files if f.status != "owned"],
        }
        if self.check.review is not None:
            document.update(review=self.check.review.as_dict(), cores_from=self.cores_from)
        return document


class CoresThen(NamedTuple):
    """The review policies as the upstream named them at a commit."""

    config: Config
    sections: tuple[Section, ...]
    source: str  # `COMMIT:maintainers.cfg`, or why today's file stood in


def audit(
    project: Project, *, upstream: str = "main", since: str | None = None
) -> list[AuditedMerge]:
    """Every merge of a subsystem's work on `upstream`'s first-parent line (after
    `since`), judged by the ownership the upstream had just before it, and with a review
    policy, the review of what it brought in by the cores named then."""
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
        before = commit.parents[0]
        result, pending = judge_pending(project, subsystem, upstream, before, merged)
        then = cores_at(project, before)
        review = judge_pending_review(
            project, subsystem, then.sections, pending, hide=before, config=then.config
        )
        found.append(
            AuditedMerge(commit.sha, subsystem, result._replace(review=review), then.source)
        )
    return found


def cores_at(project: Project, commit: str) -> CoresThen:
    """The upstream's maintainers.cfg at `commit` and the ownership sections it gives
    with the MAINTAINERS file of that commit (today's maintainers.cfg when the tree had
    none there, or one that does not parse)."""
    tree = TreeAt(project.workspace.path, commit)
    try:
        config, source = _config_then(project, tree.read(CONFIG_NAME), commit)
        kernel = configured_maintainers(config, tree)
    finally:
        tree.close()
    return CoresThen(config, combine(config, kernel).sections, source)


def _config_then(project: Project, data: bytes | None, commit: str) -> tuple[Config, str]:
    source = f"{commit[:12]}:{CONFIG_NAME}"
    if data is None:
        return project.config, f"today's {CONFIG_NAME} (none in the tree at {commit[:12]})"
    try:
        return parse_config(data.decode("utf-8"), source), source
    except (UnicodeDecodeError, ConfigError) as exc:
        return project.config, f"today's {CONFIG_NAME} ({source} is unreadable: {exc})"


def _tree_tips(project: Project, upstream: str) -> dict[str, list[str]]:
    """For each subsystem pulling into `upstream`: its synced head and fetched pull tags."""
    tips: dict[str, list[str]] = {}
    for tree in project.trees():
        if tree.upstream != upstream:
            continue
        heads = project.workspace.tree_tips(tree.id)
        if heads:
            tips[tree.id] = heads
    return tips
