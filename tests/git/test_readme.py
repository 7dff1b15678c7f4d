"""The README's example pull request is what treemerge writes on the demo sandbox."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
COMMAND = "$ treemerge request-pull vmware --dry-run --message summary.txt"
# Where the README's sandbox was (the demo's ./sandbox in a checkout at ~/treemerge).
SHOWN_AT = "~/treemerge/sandbox/nova"
# The day a pull is named by: the one part of the example that changes every day.
DAY = re.compile(r"(?<=vmware-for-main-)\d{4}-\d{2}-\d{2}|(?<=for main )\d{4}-\d{2}-\d{2}")


def readme_example() -> str:
    """The example's output, as the README shows it (the block after COMMAND)."""
    text = README.read_text(encoding="utf-8")
    start = text.index(COMMAND + "\n") + len(COMMAND) + 1
    return text[start : text.index("```", start)]


@pytest.mark.slow  # builds the demo sandbox
def test_the_readme_example_is_what_the_demo_sandbox_gives(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = readme_example()
    rule = "-" * 64 + "\n"
    summary = shown.split(rule)[1].removeprefix("\n").removesuffix("\n")  # the tag's message
    sandbox = tmp_path / "nova"
    subprocess.run(
        [sys.executable, "-m", "treemerge.sandbox", str(sandbox), "--config", "maintainers.cfg"],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    (sandbox / "summary.txt").write_text(summary + "\n", encoding="utf-8")
    assert run_cli(capsys, "-C", str(sandbox), "sync", "--quiet").code == 0
    args = COMMAND.removeprefix("$ treemerge ").split()
    result = run_cli(capsys, "-C", str(sandbox), *args)
    assert result.code == 0, result.err
    written = result.out.replace(str(sandbox), SHOWN_AT)
    assert DAY.sub("DAY", written) == DAY.sub("DAY", shown)
    assert "foreign  nova/compute/manager.py" in written  # (the example shows a verdict)
