"""Named points where a test can kill treemerge, to prove a crash loses nothing.

`TREEMERGE_FAILPOINT=after-deliver` makes the process SIGKILL itself the first time it
reaches that point (the way a power cut or the OOM killer would); `NAME@N` waits for the
Nth time. Nothing happens when the variable is unset.
"""

from __future__ import annotations

import os
import signal

ENV = "TREEMERGE_FAILPOINT"
_hits: dict[str, int] = {}


def failpoint(name: str) -> None:
    wanted = os.environ.get(ENV)
    if not wanted:
        return
    for spec in wanted.split(","):
        point, _, nth = spec.partition("@")
        if point != name:
            continue
        _hits[name] = _hits.get(name, 0) + 1
        if _hits[name] == (int(nth) if nth.isdigit() else 1):
            os.kill(os.getpid(), signal.SIGKILL)
