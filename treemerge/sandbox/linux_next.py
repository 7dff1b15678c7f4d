"""A synthetic `next` result at linux-next's size, for the report's tests and benchmark.

The HTML report is pure rendering of a `NextResult`, so its size and how a browser takes
it depend on the shape of the run, not on real repositories: N trees in merge order, a
few dozen of them in conflicting pairs (the later tree of a pair held back at its last
good head, or left out), two never synced, a few failing the test command, and what
changed since the last run. The same seed gives the same result.
"""

from __future__ import annotations

import random

from treemerge.app.integration.outcome import NOT_SYNCED, Collision, NextResult, TreeOutcome
from treemerge.app.testrun import TestRun

CONFLICTING_PAIRS = 30
NOT_SYNCED_TREES = 2
FAILING_TESTS = 3
OUTPUT_LINES = 40  # as much test output as `next` keeps


def tree_names(count: int) -> list[str]:
    """`count` subsystem tree names, in merge order."""
    return [f"area{n:03d}" for n in range(count)]


def linux_next_result(trees: int = 400, *, seed: int = 0) -> NextResult:
    """A `next` run over `trees` subsystem trees (at least 100: the pairs need room)."""
    rng = random.Random(seed)  # noqa: S311 (reproducible numbers are the point, not secrecy)
    names = tree_names(trees)
    pairs = _pairs(rng, trees)
    collisions: dict[int, list[Collision]] = {}
    for (first, second), count in pairs.items():
        paths = [f"drivers/shared/{names[first]}-{k}.c" for k in range(count)]
        found = collisions.setdefault(second, [])
        owners = ("DRIVER CORE", names[first].upper())
        found += [Collision(path, owners, (names[first],)) for path in paths]
    paired = {n for pair in pairs for n in pair}
    calm = [n for n in range(trees) if n not in paired]
    failing = set(rng.sample(calm, FAILING_TESTS))
    unsynced = set(rng.sample([n for n in calm if n not in failing], NOT_SYNCED_TREES))
    outcomes = []
    for n, name in enumerate(names):
        if n in unsynced:
            outcomes.append(TreeOutcome(name, "", False, problem=NOT_SYNCED))
            continue
        head, commits = f"{rng.getrandbits(160):040x}", rng.randint(1, 300)
        held_back = n in collisions or n in failing
        good = f"{rng.getrandbits(160):040x}" if held_back and n % 3 else None
        outcome = TreeOutcome(
            name,
            head,
            merged=not held_back or good is not None,
            used_head=good if held_back else head,
            fallback=good is not None,
            commits=commits,
            conflicts=tuple(collisions.get(n, ())),
            test=_test(rng, failed=n in failing),
        )
        outcomes.append(outcome)
    synced = [name for n, name in enumerate(names) if n not in unsynced]
    changes = [f"{names[b]} gained a conflict with {names[a]}" for a, b in list(pairs)[:4]]
    return NextResult(
        "main",
        f"{rng.getrandbits(160):040x}",
        f"{rng.getrandbits(160):040x}",
        tuple(outcomes),
        tuple(synced),
        _cells(synced, {(names[a], names[b]): count for (a, b), count in pairs.items()}),
        "2026-11-22T09:30:00Z",
        tuple(sorted(changes)),
    )


def _pairs(rng: random.Random, trees: int) -> dict[tuple[int, int], int]:
    """CONFLICTING_PAIRS pairs of trees (earlier, later), each with how many paths."""
    pairs: dict[tuple[int, int], int] = {}
    while len(pairs) < CONFLICTING_PAIRS:
        first, second = sorted(rng.sample(range(trees), 2))
        pairs[(first, second)] = rng.choice((1, 1, 1, 2, 2, 3, 5, 12))
    return pairs


def _cells(names: list[str], pairs: dict[tuple[str, str], int]) -> tuple[tuple[int, ...], ...]:
    """The symmetric matrix over `names` of the paths each pair conflicts in."""
    index = {name: i for i, name in enumerate(names)}
    cells = [[0] * len(names) for _ in names]
    for (first, second), count in pairs.items():
        i, j = index[first], index[second]
        cells[i][j] = cells[j][i] = count
    return tuple(tuple(row) for row in cells)


def _test(rng: random.Random, *, failed: bool) -> TestRun:
    if not failed:
        return TestRun("passed", "  CC      drivers/built-in.a\nok", rng.uniform(20, 90))
    lines = [f"  CC      drivers/part{k}.o" for k in range(OUTPUT_LINES - 1)]
    return TestRun("failed", "\n".join([*lines, "make: *** [all] Error 2"]), rng.uniform(20, 90))
