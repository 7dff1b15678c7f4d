"""`gc`: the workspace packed and pruned, by hand or on cron's schedule."""

from __future__ import annotations

import time
from typing import NamedTuple

from treemerge.app.project import Project
from treemerge.store.files import atomic_write

STAMP_FILE = "gc.stamp"  # when the workspace was last maintained (Unix seconds)


class GcResult(NamedTuple):
    before: dict[str, int]  # `git count-objects -v` before, and after
    after: dict[str, int]
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return {"before": self.before, "after": self.after, "seconds": round(self.seconds, 2)}


def gc(project: Project, *, auto: bool = False) -> GcResult:
    """Pack the workspace's refs and objects and prune what nothing names (`auto`: only
    what git's rule finds needs it, as cron does)."""
    workspace = project.workspace
    workspace.ensure()
    started = time.monotonic()
    before = workspace.objects()
    workspace.maintain(auto=auto)
    atomic_write(workspace.workspace / STAMP_FILE, f"{int(time.time())}\n")
    return GcResult(before, workspace.objects(), time.monotonic() - started)


def gc_due(project: Project) -> bool:
    """Whether cron should maintain the workspace now: when git's own rule (that of
    `git gc --auto`) says it needs it, too many loose objects or too many packs."""
    return project.workspace.needs_packing()
