"""Small helpers shared by the tests: real repositories, and the CLI run in process."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from treemerge.cli.main import main
from treemerge.gitio.fastimport import Commit, import_commits


def git(cwd: Path, *args: str, input: str | None = None) -> str:
    """Run git in `cwd` and return its output (tests only; the product uses gitio)."""
    done = subprocess.run(
        ["git", *args], cwd=cwd, input=input, capture_output=True, text=True, check=True
    )
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


@contextmanager
def serving_git(base: Path, *, push: bool = False) -> Iterator[str]:
    """A real `git daemon` on 127.0.0.1 serving the repositories below `base` (and
    taking pushes with `push`); yields its git:// URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    argv = [
        "git",
        "daemon",
        "--reuseaddr",
        "--export-all",
        "--listen=127.0.0.1",
        f"--port={port}",
        f"--base-path={base}",
    ]
    if push:
        argv.append("--enable=receive-pack")
    daemon = subprocess.Popen([*argv, str(base)], stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"git://127.0.0.1:{port}"
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)
