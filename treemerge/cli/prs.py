"""`treemerge prs`: the recorded pull requests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from treemerge.app.project import open_project
from treemerge.app.send import records
from treemerge.cli.options import global_options, settings
from treemerge.cli.output import console, safe, write_json
from treemerge.core.errors import EXIT_OK
from treemerge.store.schema import STATES


@click.command("prs")
@click.option("--state", type=click.Choice(STATES), help="Only pull requests in STATE.")
@global_options
def prs_command(state: str | None) -> int:
    """The recorded pull requests, oldest first; a pull of which only some commits
    arrived upstream says so (partly merged: not merged)."""
    project = open_project(settings().config, Path.cwd())
    with records(project) as store:
        rows = store.all(state)
    if settings().json:
        write_json({"pulls": [r.as_dict() for r in rows]})
        return EXIT_OK
    out = console()
    for row in rows:
        when = dt.datetime.fromtimestamp(row.updated, dt.UTC).strftime("%Y-%m-%d %H:%M")
        out.print(
            safe(
                f"{row.subsystem:<12} {row.state:<10} {row.tag:<40} {row.head[:12]} "
                f"{when} attempts={row.attempts} {row.delivered_to or row.error}"
            )
        )
        if row.partial and row.state == "sent":
            out.print(safe(f"{'':<12} partly merged: {row.partial}", "yellow"))
    return EXIT_OK
