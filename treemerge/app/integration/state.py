"""What one run of `next` remembers for the next: the last good head of each tree, the
test verdicts, the trees left out and the pairs in conflict (`.treemerge/next.json`)."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

from treemerge.app.integration.outcome import NextResult
from treemerge.core.errors import UsageError
from treemerge.store.files import atomic_write

if TYPE_CHECKING:
    from treemerge.app.project import Project

STATE_FILE = "next.json"


def strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def string_map(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def changes(previous: dict[str, object], result: NextResult) -> tuple[str, ...]:
    """What is new since the last run, in words ("vmware gained a conflict with libvirt")."""
    if not previous:
        return ()
    before = {frozenset(p) for p in previous.get("conflict_pairs", [])}  # type: ignore[attr-defined]
    now = conflict_pairs(result)
    said = [f"{a} gained a conflict with {b}" for a, b in map(sorted, now - before)]
    said += [f"{a} no longer conflicts with {b}" for a, b in map(sorted, before - now)]
    was_out = set(previous.get("left_out", []))  # type: ignore[call-overload]
    said += [f"{t} was left out" for t in result.left_out if t not in was_out]
    said += [
        f"{t} is back in"
        for t in sorted(was_out)
        if t not in result.left_out and t in {o.subsystem for o in result.trees}
    ]
    return tuple(sorted(said))


def conflict_pairs(result: NextResult) -> set[frozenset[str]]:
    names = result.matrix_trees
    return {
        frozenset((names[i], names[j]))
        for i, row in enumerate(result.cells)
        for j, count in enumerate(row)
        if count and i < j
    }


def inputs_key(project: Project, synced: dict[str, str], *, settings: object) -> str:
    """What a run's result depends on, as one digest: every tree's head, the
    configuration (maintainers.cfg as it is), the run's own `settings`, and the day
    (UTC): staleness is counted in days, so a result stands for one day at most."""
    config = hashlib.sha256(project.config_path.read_bytes()).hexdigest()
    day = time.strftime("%Y-%m-%d", time.gmtime())
    text = json.dumps([sorted(synced.items()), config, settings, day])
    return hashlib.sha256(text.encode()).hexdigest()


def state_path(project: Project) -> Path:
    return project.workspace.workspace / STATE_FILE


def load_state(project: Project) -> dict[str, object]:
    path = state_path(project)
    if not path.exists():
        return {}
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: unreadable ({exc}); move it aside to start afresh") from None
    return loaded if isinstance(loaded, dict) else {}


def tested_verdicts(previous: dict[str, object]) -> dict[str, dict[str, object]]:
    found = previous.get("tested")
    if not isinstance(found, dict):
        return {}
    return {str(k): v for k, v in found.items() if isinstance(v, dict)}


def save_state(
    project: Project,
    result: NextResult,
    good: dict[str, str],
    tested: dict[str, dict[str, object]],
    trivial: set[str],
    *,
    notices: dict[str, object],
    inputs: str = "",
) -> None:
    """next.json: what this run leaves for the next (`notices`: what the notices
    remember, see integration/notices.py; `inputs`: what the result depends on, set
    only once its notices are delivered: see `settle`)."""
    keep = dict(list(tested.items())[-200:])  # recent verdicts are enough
    state = {
        **notices,
        "inputs": inputs,
        "merged": sum(1 for t in result.trees if t.merged),
        "trees": len(result.trees),
        "result": result.result,
        "good_heads": good,
        "tested": keep,
        "left_out": list(result.left_out),
        "conflict_pairs": [sorted(p) for p in conflict_pairs(result)],
        "trivial_heads": sorted(trivial),
    }
    atomic_write(state_path(project), json.dumps(state, indent=2) + "\n")


def settle(project: Project, inputs: str) -> None:
    """Mark the last run's result as standing for `inputs` (what it depended on), once
    everything it decided (its notices) is delivered: until then a cycle with nothing
    new builds it again, and so decides and delivers the same notices again (each is
    sent once: delivery keeps its key)."""
    state = load_state(project)
    if state:
        state["inputs"] = inputs
        atomic_write(state_path(project), json.dumps(state, indent=2) + "\n")
