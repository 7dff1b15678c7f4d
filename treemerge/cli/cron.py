"""`treemerge cron`: one unattended cycle; quiet unless something changed."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from treemerge.app.cron import Busy, CronReport, Step, run_cron
from treemerge.app.project import Project, open_project
from treemerge.cli.options import global_options, settings
from treemerge.cli.output import console, safe, write_json
from treemerge.core.errors import EXIT_FAILURE, EXIT_OK
from treemerge.store.files import atomic_write

SEEN_FILE = "cron-seen.json"
STYLE = {
    "failed": "bold red",
    "refused": "yellow",
    "sent": "green",
    "changed": "cyan",
    "partial": "yellow",
}


@click.command("cron")
@global_options
def cron_command() -> int:
    """Run one cycle: sync, send the pull requests that are due, build `next`.

    For every subsystem due by its `schedule` and with work not pulled yet: check,
    request-pull, tag, push the tag, deliver, record. Then the integration tree (its
    HTML report in .treemerge/next.html) and status. Every step is a JSON line in
    .treemerge/cron.log. A second run while one is going says so and does nothing.
    Exit 0 when the cycle completed (findings travel in the pull requests and the
    report), 3 when a step failed (it is retried next time). With --quiet only what
    is new since the last run is printed, so cron mails a person only on news.
    """
    project = open_project(settings().config, Path.cwd())
    try:
        report = run_cron(project, now=dt.datetime.now(dt.UTC))
    except Busy as busy:
        if not settings().quiet:
            console(stderr=True).print(safe(busy.message))
        return EXIT_OK
    fresh = _new_since_last_run(project, report)
    if settings().json:
        write_json({"started": report.started, "steps": [s.as_dict() for s in report.steps]})
    else:
        shown = fresh if settings().quiet else report.steps
        for step in shown:
            _print(step)
    return EXIT_FAILURE if report.failed else EXIT_OK


def _print(step: Step) -> None:
    where = f" {step.tree}" if step.tree else ""
    line = safe(f"{step.step}{where}: ") + safe(step.status, STYLE.get(step.status, ""))
    console().print(line + safe(f"  {step.detail}"))


def _new_since_last_run(project: Project, report: CronReport) -> list[Step]:
    """The notable steps the previous run did not already report, word for word."""
    path = project.workspace.workspace / SEEN_FILE
    try:
        seen = {tuple(item) for item in json.loads(path.read_text(encoding="utf-8"))}
    except (OSError, ValueError):
        seen = set()
    notable = [s for s in report.steps if s.notable]
    keys = [(s.step, s.tree or "", s.status, s.detail) for s in notable]
    atomic_write(path, json.dumps(keys) + "\n")
    return [s for s, key in zip(notable, keys, strict=True) if key not in seen]
