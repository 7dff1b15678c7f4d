"""Small helpers shared by the tests: real repositories, and the CLI run in process."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from treemerge.cli.main import main
from treemerge.gitio.fastimport import Commit, import_commits

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def git(cwd: Path, *args: str) -> str:
    """Run git in `cwd` and return its output (tests only; the product uses gitio)."""
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


def make_repo(path: Path, files: Mapping[str, bytes | str], *, message: str = "initial") -> Path:
    """A checkout at `path` with one commit holding `files`."""
    encoded = {k: v.encode() if isinstance(v, str) else v for k, v in files.items()}
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "master")
    import_commits(path / ".git", [Commit(message, dict(encoded))])
    git(path, "checkout", "-q", "-f", "master")
    return path


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    """Run `treemerge ARGS` in process, exactly as the console script does."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    captured = capsys.readouterr()
    code = exit_info.value.code
    return Result(code if isinstance(code, int) else 0, captured.out, captured.err)
