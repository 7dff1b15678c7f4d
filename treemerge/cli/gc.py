"""`treemerge gc`: pack and prune the workspace."""

from __future__ import annotations

from pathlib import Path

import click

from treemerge.app.gc import gc
from treemerge.app.project import open_project
from treemerge.cli.options import global_options, settings
from treemerge.cli.output import console, safe, write_json
from treemerge.core.errors import EXIT_OK


@click.command("gc")
@global_options
def gc_command() -> int:
    """Pack the workspace's refs and objects and prune what nothing names.

    The workspace (.treemerge/repo.git) never runs git's automatic maintenance; cron
    runs this once a day. Objects younger than an hour are kept (a command running
    now may still be writing them). Exit 3 when git fails.
    """
    project = open_project(settings().config, Path.cwd())
    result = gc(project)
    if settings().json:
        write_json(result.as_dict())
        return EXIT_OK
    if not settings().quiet:
        loose = f"{result.before.get('count', 0):,} -> {result.after.get('count', 0):,}"
        packed = f"{result.before.get('in-pack', 0):,} -> {result.after.get('in-pack', 0):,}"
        console().print(
            safe(f"workspace: loose objects {loose}, packed {packed} ({result.seconds:.1f} s)")
        )
    return EXIT_OK
