"""Each tree's judged pending work, remembered by what it was judged from.

`status` judges every tree's range (its commits, back-merges and ownership violations)
with a few git commands per tree: at 400 trees, most of a cron cycle with nothing new.
The answer depends only on the tree's head, its upstream's tip and the configuration,
so it is kept (`.treemerge/judged.json`) and reused while those stay the same.

A cache and nothing else: unreadable, it is ignored and written afresh.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, NamedTuple

from treemerge.store.files import atomic_write

if TYPE_CHECKING:
    from treemerge.app.project import Project

JUDGED_FILE = "judged.json"


class Judged(NamedTuple):
    ahead: int
    behind: int
    oldest_pending: int | None
    backmerges: int
    violations: int


def judged_key(tree: str, tip: str, head: str) -> str:
    return f"{tree} {tip} {head}"


class JudgedRanges:
    """What was judged, under the configuration it was judged with."""

    def __init__(self, project: Project) -> None:
        self.path = project.workspace.workspace / JUDGED_FILE
        self.config = hashlib.sha256(project.config_path.read_bytes()).hexdigest()
        self.known: dict[str, Judged] = {}
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
            if saved.get("config") == self.config:
                self.known = {k: Judged(*v) for k, v in saved["ranges"].items()}
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            self.known = {}

    def save(self, now: dict[str, Judged], trees: set[str]) -> None:
        """Keep `now`, the ranges judged or reused by a run over `trees`, in place of
        what was kept for those trees."""
        kept = {k: v for k, v in self.known.items() if k.split(" ", 1)[0] not in trees}
        kept.update(now)
        if kept != self.known:
            text = json.dumps({"config": self.config, "ranges": kept}, indent=0)
            atomic_write(self.path, text + "\n")
