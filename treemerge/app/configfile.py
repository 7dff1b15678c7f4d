"""Finding and reading maintainers.cfg."""

from __future__ import annotations

import os
from pathlib import Path

from treemerge.core.config import Config, parse_config
from treemerge.core.errors import ConfigError, UsageError

CONFIG_NAME = "maintainers.cfg"
CONFIG_ENV = "TREEMERGE_CONFIG"
WORKSPACE_DIR = ".treemerge"  # beside maintainers.cfg


def find_config(explicit: Path | None, start: Path) -> Path | None:
    """The maintainers.cfg to use, or None when there is none."""
    if explicit is not None:
        if not explicit.is_file():
            raise UsageError(f"--config {explicit}: no such file")
        return explicit
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        path = Path(from_env)
        if not path.is_file():
            raise UsageError(f"${CONFIG_ENV}={from_env}: no such file")
        return path
    for directory in (start, *start.parents):
        candidate = directory / CONFIG_NAME
        if candidate.is_file():
            return _display_path(candidate)
    return None


def _display_path(path: Path) -> Path:
    """`path` as short as it can be said from here (file names appear in every error)."""
    relative = Path(os.path.relpath(path, Path.cwd()))
    return relative if not relative.as_posix().startswith("../../") else path


def read_config(path: Path) -> Config:
    """Parse a maintainers.cfg; errors name the file as the user gave it."""
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(name, line, "not UTF-8 text") from None
    return parse_config(text, name)
