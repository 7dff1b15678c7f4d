"""What a command will ask git, started before Python has loaded the command.

A command that reads a lot from git (request-pull) spends most of its first tens of
milliseconds importing click and treemerge, while git sits idle. The executable calls
`start(argv)` first: from the arguments and maintainers.cfg alone it works out the
git commands the command will run, and starts them (`treemerge.gitio.run.start_early`).
The command itself runs unchanged; whenever it runs exactly one of those commands it
gets the early answer instead of starting git again.

Everything here is a guess that can only cost time, never change a result: an early
answer is taken only by the very same command (arguments, repository and input), only
commands that read start early, and they are dropped the moment the process runs a git
command that may write. Arguments this does not understand, a configuration it cannot
read, or any failure: nothing starts, and the command meets and reports the problem
itself.
"""

from __future__ import annotations

import contextlib
import threading

# The command line options that take a value (global ones and request-pull's).
VALUE_OPTIONS = frozenset(
    {"--config", "-C", "--head", "--tag", "--message", "--format", "-o", "--output"}
)


def start(argv: list[str]) -> threading.Thread | None:
    """Start the git commands the command line `argv` (without the program name) will
    run, as far as they can be told from it. Returns the thread still starting those
    that wait for others' answers (None when it could not tell)."""
    with contextlib.suppress(Exception):
        parsed = _parse(argv)
        if parsed is not None and parsed[1][:1] == ["request-pull"]:
            from treemerge.app.early_pull import start_request_pull  # noqa: PLC0415

            return start_request_pull(*parsed)
    return None


def _parse(argv: list[str]) -> tuple[dict[str, str], list[str]] | None:
    """Options (name -> value, "" for flags) and positional arguments, or None for a
    command line to leave alone. (A misreading costs only time: see the module.)"""
    options: dict[str, str] = {}
    positional: list[str] = []
    words = iter(argv)
    for word in words:
        if word in ("-", "--"):
            return None
        if word.startswith("--") and "=" in word:
            name, _, value = word.partition("=")
            options[name] = value
        elif word in VALUE_OPTIONS:
            options[word] = next(words)
        elif word[:2] in VALUE_OPTIONS:  # -CDIR, -oFILE
            options[word[:2]] = word[2:]
        elif word.startswith("-"):
            options[word] = ""
        else:
            positional.append(word)
    return options, positional
