"""treemerge's trailer parser agrees with `git interpret-trailers --parse` on every
message of the unit tests' table."""

from __future__ import annotations

import subprocess

import pytest

from tests.unit.test_trailers import CASES, DIVIDER_CASES
from treemerge.core.trailers import trailers


def git_trailers(message: str, *, divider: bool) -> list[tuple[str, str]]:
    args = ["git", "interpret-trailers", "--parse"] + ([] if divider else ["--no-divider"])
    out = subprocess.run(args, input=message.encode(), capture_output=True, check=True).stdout
    found = []
    for line in out.decode().split("\n")[:-1]:
        token, _, value = line.partition(": ")
        found.append((token, value))
    return found


@pytest.mark.parametrize("message", [m for m, _ in CASES] + [m for m, _ in DIVIDER_CASES])
@pytest.mark.parametrize("divider", [False, True])
def test_same_trailers_as_git(message: str, *, divider: bool) -> None:
    ours = [(t.token, t.value) for t in trailers(message, divider=divider)]
    assert ours == git_trailers(message, divider=divider)
