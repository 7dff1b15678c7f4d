"""Global options, accepted before the command name or after it (`who --json`)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Settings:
    """What the global options asked for; the commands read it from the context."""

    config: Path | None = None
    json: bool = False
    quiet: bool = False
    verbose: int = 0
    color: bool | None = None


_last: list[Settings] = []  # the settings of the latest run, for reporting its errors


def settings() -> Settings:
    """The settings of the running command (defaults outside of one)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return _last[-1] if _last else Settings()
    root = ctx.find_root()
    if not isinstance(root.obj, Settings):
        root.obj = Settings()
        _last[:] = [root.obj]
    return root.obj


def forget_settings() -> None:
    _last.clear()


def _store(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if param.name is None or ctx.get_parameter_source(param.name) == ParameterSource.DEFAULT:
        return
    current = settings()
    if param.name == "directory":
        try:
            os.chdir(value)
        except OSError as exc:
            raise click.BadParameter(f"cannot change to {value}: {exc.strerror}") from None
    elif param.name == "verbose":
        current.verbose += value
    else:
        setattr(current, param.name, value)


GLOBAL_OPTIONS = (
    click.option(
        "--config",
        type=click.Path(path_type=Path, dir_okay=False),
        expose_value=False,
        callback=_store,
        is_eager=False,
        help="maintainers.cfg to use (default: $TREEMERGE_CONFIG, else found upwards).",
    ),
    click.option(
        "-C",
        "directory",
        type=click.Path(file_okay=False),
        expose_value=False,
        callback=_store,
        is_eager=True,
        help="Run as if started in DIR.",
    ),
    click.option(
        "--json",
        "json",
        is_flag=True,
        expose_value=False,
        callback=_store,
        help="Print one JSON document on stdout and nothing else there.",
    ),
    click.option(
        "-q",
        "--quiet",
        is_flag=True,
        expose_value=False,
        callback=_store,
        help="Print only problems (for cron).",
    ),
    click.option(
        "-v",
        "--verbose",
        count=True,
        expose_value=False,
        callback=_store,
        help="Say more (repeat for more still).",
    ),
    click.option(
        "--color/--no-color",
        "color",
        default=None,
        expose_value=False,
        callback=_store,
        help="Color output (default: only on a terminal; NO_COLOR is honoured).",
    ),
)


def global_options(func: F) -> F:
    """Add the global options to a command or group."""
    for option in reversed(GLOBAL_OPTIONS):
        func = option(func)
    return func
