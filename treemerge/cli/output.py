"""Rendering: rich for people, JSON for scripts. Untrusted text is always escaped."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from treemerge.cli.options import settings
from treemerge.core.errors import UsageError
from treemerge.core.escape import escape_text
from treemerge.store.files import atomic_write

if TYPE_CHECKING:  # rich is imported when something is rendered (not for --json)
    from rich.console import Console
    from rich.text import Text

# The width tables get when output goes to a file or a pipe.
WIDE = 200


def console(*, stderr: bool = False) -> Console:
    """A console honouring --color/--no-color, NO_COLOR and whether it is a terminal."""
    from rich.console import Console  # noqa: PLC0415 - not needed for --json

    color = settings().color
    stream = sys.stderr if stderr else sys.stdout
    return Console(
        file=stream,
        # Off a terminal, lines are as long as they need to be (no wrapping into columns).
        width=None if stream.isatty() else WIDE,
        force_terminal=True if color else None,
        # None (no --color/--no-color) leaves it to rich, which honours NO_COLOR; an
        # explicit --color wins over NO_COLOR.
        no_color=None if color is None else not color,
        highlight=False,
        soft_wrap=True,
        emoji=False,
    )


def safe(text: str, style: str = "") -> Text:
    """Untrusted text as rich Text: control characters escaped, no markup read."""
    from rich.text import Text  # noqa: PLC0415 - not needed for --json

    return Text(escape_text(text), style=style)


def write_json(document: Any, *, out: TextIO | None = None) -> None:
    """The one JSON document a --json run prints: indented for a person at a terminal,
    on one line for a program (as `gh --json` does). Indenting takes json's
    pure-Python encoder, several times slower than its C one on the megabyte a pull of
    thousands of commits gives."""
    stream = out or sys.stdout
    indent = 2 if stream.isatty() else None
    # ASCII-only: file names that are not UTF-8 survive as \udcXX escapes.
    stream.write(json.dumps(document, indent=indent) + "\n")


def warn(message: str) -> None:
    """A warning on stderr (silenced by --quiet)."""
    if not settings().quiet:
        console(stderr=True).print(safe("warning: ", "yellow") + safe(message))


def error(message: str) -> None:
    console(stderr=True).print(safe("error: ", "bold red") + safe(message))


def check_writable(path: Path) -> None:
    """Refuse an output file that cannot be written (its directory missing, or not
    writable), before the command does anything that would be lost with its output."""
    directory = path.parent
    if not directory.is_dir():
        raise UsageError(f"cannot write {path}: no directory {directory}")
    if not os.access(path if path.exists() else directory, os.W_OK):
        raise UsageError(f"cannot write {path}: permission denied")


def write_file(path: Path, text: str, *, errors: str = "strict", whole: bool = False) -> None:
    """`text` into the file `path` (UTF-8; `whole`: so that a reader sees the old file
    or the new, never half); a file that cannot be written is the user's error to fix,
    said with its reason, not a crash."""
    try:
        if whole:
            atomic_write(path, text)
        else:
            path.write_text(text, encoding="utf-8", errors=errors)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UsageError(f"cannot write {path}: {reason}") from None
