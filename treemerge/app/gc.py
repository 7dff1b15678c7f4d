"""`gc`: the workspace packed and pruned, by hand or on cron's schedule."""

from __future__ import annotations

import time
from typing import NamedTuple

from treemerge.app.project import Project
from treemerge.store.files import atomic_write

# cron maintains the workspace once a day (at its first cycle after a day has passed).
CRON_EVERY = 24 * 3600
STAMP_FILE = "gc.stamp"  # when the workspace was last maintained (Unix seconds)


class GcResult(NamedTuple):
    before: dict[str, int]  # `git count-objects -v` before, and after
    after: dict[str, int]
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return {"before": self.before, "after": self.after, "seconds": round(self.seconds, 2)}


def gc(project: Project) -> GcResult:
    """Pack the workspace's refs and objects and prune what nothing names."""
    workspace = project.workspace
    workspace.ensure()
    started = time.monotonic()
    before = workspace.objects()
    workspace.maintain()
    atomic_write(workspace.workspace / STAMP_FILE, f"{int(time.time())}\n")
    return GcResult(before, workspace.objects(), time.monotonic() - started)


def gc_due(project: Project, *, now: float | None = None) -> bool:
    """Whether cron should maintain the workspace now (never done, or a day ago)."""
    stamp = project.workspace.workspace / STAMP_FILE
    try:
        last = int(stamp.read_text().strip())
    except (OSError, ValueError):
        return True
    return (time.time() if now is None else now) - last >= CRON_EVERY
