"""`treemerge notices`: the recorded notices (merged replies, conflict notices, warnings)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from treemerge.app.project import open_project
from treemerge.app.send import records
from treemerge.cli.options import global_options, settings
from treemerge.cli.output import console, safe, write_json
from treemerge.core.errors import EXIT_OK
from treemerge.store.notices import NOTICE_STATES


@click.command("notices")
@click.option("--state", type=click.Choice(NOTICE_STATES), help="Only notices in STATE.")
@global_options
def notices_command(state: str | None) -> int:
    """The recorded notices, oldest first: merged replies, conflict notices and stale
    warnings, each with where it went (or why it failed: the next cron retries it).

    Exit codes: 0 listed; 2 no maintainers.cfg, or records that cannot be used."""
    project = open_project(settings().config, Path.cwd())
    with records(project) as store:
        rows = store.notices(state)
    if settings().json:
        write_json({"notices": [r.as_dict() for r in rows]})
        return EXIT_OK
    out = console()
    for row in rows:
        when = dt.datetime.fromtimestamp(row.updated, dt.UTC).strftime("%Y-%m-%d %H:%M")
        trees = ",".join(row.trees)
        out.print(safe(f"{row.kind:<12} {row.state:<8} {trees:<20} {when} {row.subject}"))
        where = row.delivered_to or row.error or "(not delivered yet)"
        out.print(safe(f"{'':<12} attempts={row.attempts} -> {where}"))
    return EXIT_OK
