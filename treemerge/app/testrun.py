"""The integration's test command, run on one merged step in a temporary checkout."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from treemerge.app.sandbox_run import runner
from treemerge.gitio.checkout import CheckoutError, check_out

# The test command is the top maintainer's own (maintainers.cfg); it gets this long.
TEST_TIMEOUT = 1800
OUTPUT_LINES = 40
OUTPUT_TAIL = 64 * 1024  # bytes of its output read back, enough for OUTPUT_LINES lines


@dataclass(frozen=True)
class TestRun:
    status: str  # passed | failed
    output: str  # the last lines of what it printed
    seconds: float
    exit_status: int | None = None  # None: it did not run, or was stopped (timed out)

    def as_dict(self) -> dict[str, object]:
        return {
            "status": self.status,
            "output": self.output,
            "seconds": round(self.seconds, 2),
            "exit_status": self.exit_status,
        }


def run_test(
    repo: Path,
    commit: str,
    command: str,
    *,
    timeout: float = TEST_TIMEOUT,
    sandbox: str = "bubblewrap",
) -> TestRun:
    """Run `command` (a shell command line) on a fresh checkout of `commit`'s tree.

    The checkout holds exactly the tree (written from its objects: no attributes, no
    filters, symlinks as symlinks). The command runs in a bubblewrap sandbox that sees
    that checkout and nothing else of the user's, unless `sandbox` is "none"; when no
    sandbox can be made, SandboxUnavailable is raised and nothing runs. A tree that
    cannot be written out (a name the file system refuses) fails the step, saying why,
    and the command does not run.
    """
    start = runner(sandbox)
    started = time.monotonic()
    # (The command may leave files it cannot remove behind: cleaning up must not fail.)
    with tempfile.TemporaryDirectory(prefix="treemerge-next-", ignore_cleanup_errors=True) as tmp:
        checkout = Path(tmp) / "checkout"
        try:
            check_out(repo, commit, checkout)
        except CheckoutError as error:
            # The tree's names are untrusted text: the report escapes them when shown.
            why = f"cannot check out {commit[:12]} for the test command: {error}"
            return TestRun("failed", why, time.monotonic() - started)
        # Its output goes to a file outside the checkout: bounded by the file size limit.
        with open(Path(tmp) / "output", "w+b") as output:
            code = start.run(command, checkout, output, timeout=timeout)
            output.seek(max(0, output.seek(0, 2) - OUTPUT_TAIL))
            said = output.read().decode("utf-8", "replace").splitlines()
    seconds = time.monotonic() - started
    if code is None:
        said.append(f"timed out after {timeout:.0f} s")
    status = "passed" if code == 0 else "failed"
    return TestRun(status, "\n".join(said[-OUTPUT_LINES:]), seconds, code)
