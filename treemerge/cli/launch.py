"""The `treemerge` executable: git's first reads started, then the command run.

This module is imported before click and the commands, so that `treemerge.app.early`
can start the git commands a command will need while Python loads it.
"""

from __future__ import annotations

import gc
import os
import sys

from treemerge.app.early import start

# Start-up (Python loading click and treemerge) makes tens of thousands of objects that
# live as long as the process: the garbage collector, scanning them again and again
# while they load, would find nothing to free and cost a command some 10 ms. It waits
# until the command is loaded (`loaded`).
_collector_paused = False


def entry() -> None:
    """Run the command line, then exit at once.

    By the time a command returns, everything it wrote is flushed and closed (files,
    locks, sqlite transactions, threads); tearing the interpreter down module by module
    would add about 10 ms to every command, so the process ends without it.
    """
    global _collector_paused  # noqa: PLW0603 - one switch for the process
    gc.disable()
    _collector_paused = True
    start(sys.argv[1:])
    from treemerge.cli.main import main  # noqa: PLC0415 - while git reads

    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that went away, or a closed stream
            code = code or 141
    os._exit(code)


def loaded() -> None:
    """The command is loaded: what start-up made is set aside for good (the collector
    never scans it again), and collecting resumes for the command's own work."""
    global _collector_paused  # noqa: PLW0603 - one switch for the process
    if _collector_paused:
        _collector_paused = False
        gc.freeze()
        gc.enable()
