"""The integration's test command, run on one merged step in a temporary checkout."""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from treemerge.gitio.run import run_git

# The test command is the top maintainer's own (maintainers.cfg); it gets this long.
TEST_TIMEOUT = 1800
OUTPUT_LINES = 40


@dataclass(frozen=True)
class TestRun:
    status: str  # passed | failed
    output: str  # the last lines of what it printed
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return {"status": self.status, "output": self.output, "seconds": round(self.seconds, 2)}


def run_test(repo: Path, commit: str, command: str, *, timeout: float = TEST_TIMEOUT) -> TestRun:
    """Run `command` (a shell command line) in a fresh copy of `commit`'s tree.

    The tree is unpacked from `git archive` with tarfile's `data` filter: no file lands
    outside the directory and no symlink is followed out of it. A tree that cannot be
    unpacked so (a link pointing out of it, a name the file system refuses) fails the
    step, saying why, and the command does not run.
    """
    archive = run_git(["archive", "--format=tar", commit], cwd=repo, where="next")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="treemerge-next-") as tmp:
        try:
            with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                tar.extractall(tmp, filter="data")
        except (tarfile.TarError, OSError) as error:
            # The tree's names are untrusted text: the report escapes them when shown.
            why = f"cannot unpack {commit[:12]} for the test command: {error}"
            return TestRun("failed", why, time.monotonic() - started)
        try:
            # The command line is the top maintainer's own (maintainers.cfg): a shell one.
            done = subprocess.run(  # noqa: S602
                command, shell=True, cwd=tmp, capture_output=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            return TestRun("failed", f"timed out after {timeout:.0f} s", time.monotonic() - started)
    said = (done.stdout + done.stderr).decode("utf-8", "replace").splitlines()
    status = "passed" if done.returncode == 0 else "failed"
    return TestRun(status, "\n".join(said[-OUTPUT_LINES:]), time.monotonic() - started)
