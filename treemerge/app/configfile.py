"""Finding and reading maintainers.cfg (light to import: start-up reads it early)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from treemerge.core.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from treemerge.core.config import Config

CONFIG_NAME = "maintainers.cfg"
CONFIG_ENV = "TREEMERGE_CONFIG"
WORKSPACE_DIR = ".treemerge"  # beside maintainers.cfg


def workspace_repository(explicit: Path | None, start: Path) -> Path | None:
    """The workspace repository of the project whose maintainers.cfg is `explicit`, or
    the one found from `start` as `find_config` finds it; None when there is none."""
    try:
        found = find_config(explicit, start)
    except UsageError:
        return None
    return workspace_of(found) if found is not None else None


def workspace_of(config_file: Path) -> Path:
    """The workspace repository of the project that `config_file` describes."""
    return config_file.resolve().parent / WORKSPACE_DIR / "repo.git"


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


# A reading made ahead of the command (see read_config): the file as named, its bytes,
# and what they say.
_ahead: list[tuple[str, bytes, Config]] = []


def read_config(path: Path, *, ahead: bool = False) -> Config:
    """Parse a maintainers.cfg; errors name the file as the user gave it.

    A reading made `ahead` (by start-up, before the command runs) is kept for the next
    caller that reads the same file: if its bytes are still the same, that caller takes
    what they were parsed into instead of parsing them again.
    """
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    if _ahead and not ahead:
        kept_name, kept_data, config = _ahead.pop()
        if (kept_name, kept_data) == (name, data):
            return config
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(name, line, "not UTF-8 text") from None
    from treemerge.core.config import parse_config  # noqa: PLC0415 - after git has started

    config = parse_config(text, name)
    if ahead:
        _ahead[:] = [(name, data, config)]
    return config
