"""What `next` reports: each tree's outcome, and the whole run's."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from treemerge.core.plain import as_dict

if TYPE_CHECKING:
    from treemerge.app.testrun import TestRun
    from treemerge.core.notice import Notice

NOT_SYNCED = "never synced: run `treemerge sync`"


class Collision(NamedTuple):
    path: str
    owners: tuple[str, ...]
    with_: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return as_dict(self, with_="with")


class TreeOutcome(NamedTuple):
    subsystem: str
    head: str
    merged: bool
    used_head: str | None = None  # the head merged: a last good one when `fallback`
    fallback: bool = False
    commits: int = 0
    conflicts: tuple[Collision, ...] = ()
    test: TestRun | None = None
    problem: str | None = None  # why it could not be merged at all (no conflict to show)
    stale: bool = False  # not moved for [integration] stale-after days, or left out too long
    stale_why: str | None = None

    def as_dict(self) -> dict[str, object]:
        return as_dict(self)


class NextResult(NamedTuple):
    upstream: str
    base: str
    result: str
    trees: tuple[TreeOutcome, ...]
    matrix_trees: tuple[str, ...]
    cells: tuple[tuple[int, ...], ...]
    generated: str
    changes: tuple[str, ...] = ()
    notices: tuple[Notice, ...] = ()  # every notice in effect (core/notices_next.py)
    new_notices: tuple[str, ...] = ()  # the keys of those an earlier run did not have
    inputs: str = ""  # what the run depended on (state.inputs_key), for cron's reuse

    @property
    def left_out(self) -> tuple[str, ...]:
        return tuple(t.subsystem for t in self.trees if not t.merged)

    def as_dict(self) -> dict[str, object]:
        return {
            "upstream": self.upstream,
            "base": self.base,
            "result": self.result,
            "generated": self.generated,
            "trees": [t.as_dict() for t in self.trees],
            "matrix": {"trees": list(self.matrix_trees), "cells": [list(r) for r in self.cells]},
            "changes": list(self.changes),
            "notices": [
                {
                    "kind": n.kind,
                    "key": n.key,
                    "trees": list(n.trees),
                    "subject": n.subject,
                    "new": n.key in self.new_notices,
                }
                for n in self.notices
            ],
        }
