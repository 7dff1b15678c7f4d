"""`sync`, `status` and `tree create|update`: the subsystem trees and the workspace."""

from __future__ import annotations

import time
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from treemerge.app.project import Project, open_project
from treemerge.app.status import TreeStatus, status
from treemerge.app.sync import DEFAULT_JOBS, SyncReport, sync
from treemerge.app.trees import create_tree, update_tree
from treemerge.cli.options import global_options, settings
from treemerge.cli.output import console, error, safe, write_json
from treemerge.core.errors import EXIT_FAILURE, EXIT_OK


def project() -> Project:
    return open_project(settings().config, Path.cwd())


@click.command("sync")
@click.argument("trees", nargs=-1)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1, 64),
    default=DEFAULT_JOBS,
    show_default=True,
    help="Fetch this many trees at once.",
)
@global_options
def sync_command(trees: tuple[str, ...], jobs: int) -> int:
    """Fetch the main tree and the subsystem trees into the workspace.

    All trees by default, or the TREES named. A tree that cannot be reached is
    reported by name and the others are still fetched; the exit code is then 3.
    The workspace is .treemerge/ beside maintainers.cfg.
    """
    proj = project()
    names = [t.id for t in proj.trees(trees)]
    show = not settings().quiet and not settings().json and console(stderr=True).is_terminal
    if show:
        with _progress() as bar:
            task = bar.add_task("fetching", total=len(names))

            def progress(tree: str, event: str) -> None:
                if event != "start":
                    bar.advance(task)
                    bar.update(task, description=f"fetched {tree}")

            report = sync(proj, trees, jobs=jobs, progress=progress)
    else:
        report = sync(proj, trees, jobs=jobs)
    _render_sync(report)
    return EXIT_FAILURE if report.failures else EXIT_OK


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<24}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console(stderr=True),
        transient=True,
    )


def _render_sync(report: SyncReport) -> None:
    if settings().json:
        write_json(report.as_dict())
        return
    for failure in report.failures:
        message = failure.message
        error(message if message.startswith(f"{failure.tree}: ") else f"{failure.tree}: {message}")
    if settings().quiet:
        return
    out = console()
    for result in report.fetched:
        if result.old is None:
            change = f"new at {result.new[:12] if result.new else '?'}"
        elif result.changed:
            change = f"{result.old[:12]}..{(result.new or '')[:12]}"
        else:
            change = "up to date"
        out.print(safe(f"{result.tree:<16}", "bold") + safe(change))


@click.command("status")
@click.argument("trees", nargs=-1)
@click.option(
    "--all",
    "every",
    is_flag=True,
    help="List every tree; without it, only the trees that need attention are listed "
    "and the rest summed up in one line.",
)
@global_options
def status_command(trees: tuple[str, ...], every: bool) -> int:
    """Where each tree stands: head, commits ahead of and behind its upstream, age of
    the oldest pending commit, back-merges, pending ownership violations, last pull
    request.

    The trees that need attention come first, each with why: an error (never synced,
    a git failure), pending violations, left out of the last `next`, pending work its
    schedule should have sent and no pull request covers, a refused or failed last
    pull. The rest are summed up in one line ("371 trees up to date"); --all lists
    them too, as does naming TREES. With --quiet only the trees that need attention
    are listed. --json gives every tree. Works on the workspace as the last
    `treemerge sync` left it. Exit 0.
    """
    now = int(time.time())
    rows, warnings = status(project(), trees, now=now)
    for warning in warnings:  # (a problem: said even with --quiet)
        console(stderr=True).print(safe("warning: ", "yellow") + safe(warning))
    if settings().json:
        write_json({"trees": [r.as_dict(now) for r in rows]})
        return EXIT_OK
    wanted = [row for row in rows if row.concerns]
    rest = [row for row in rows if not row.concerns]
    listed = wanted + rest if every or trees else wanted
    if listed:
        _render_status(listed, now)
    if not settings().quiet and len(listed) < len(rows):
        console().print(safe(_summary(rest)))
    return EXIT_OK


def _summary(rest: list[TreeStatus]) -> str:
    """One line for the trees that need nothing: "371 trees up to date", or "396 trees
    need no attention: 371 up to date, 25 with pending work" (work that is not due yet,
    or that a pull request covers)."""
    pending = sum(1 for row in rest if row.ahead)
    trees = f"{len(rest)} {'tree' if len(rest) == 1 else 'trees'}"
    said = f"{trees} up to date"
    if pending:
        current = len(rest) - pending
        said = f"{trees} need no attention: {current} up to date, {pending} with pending work"
    return f"{said}; `treemerge status --all` lists every tree"


def _render_status(rows: list[TreeStatus], now: int) -> None:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name in (
        "tree",
        "upstream",
        "head",
        "ahead",
        "behind",
        "oldest",
        "back-merges",
        "violations",
        "pull request",
        "needs attention",
    ):
        table.add_column(name, justify="right" if name in ("ahead", "behind") else "left")
    for row in rows:
        note = safe("; ".join(row.concerns), "yellow")
        if row.error:
            blanks = [""] * 7
            table.add_row(safe(row.tree), safe(row.upstream or ""), *blanks, note)
            continue
        age = "" if row.oldest_pending is None else f"{(now - row.oldest_pending) // 86400}d"
        violations = Text("")
        if row.violations is not None:
            violations = Text(str(row.violations), style="bold red" if row.violations else "green")
        table.add_row(
            safe(row.tree, "bold"),
            safe(row.upstream or "-"),
            safe((row.head or "")[:12]),
            _num(row.ahead),
            _num(row.behind),
            age,
            _num(row.backmerges),
            violations,
            "-" if row.last_pull_request is None else str(row.last_pull_request.get("state", "")),
            note,
        )
    console().print(table)


def _num(value: int | None) -> str:
    return "" if value is None else str(value)


@click.group("tree")
@global_options
def tree_group() -> None:
    """Create a subsystem tree, or bring upstream into one."""


@tree_group.command("create")
@click.argument("subsystem")
@click.option("--at", "at", metavar="PATH|URL", help="Where to create it (default: its `tree =`).")
@global_options
def create_command(subsystem: str, at: str | None) -> int:
    """Create SUBSYSTEM's tree: a full copy of its upstream tree, on its branch.

    Refuses to touch a repository that already has history.
    """
    result = create_tree(project(), subsystem, at=at, cwd=Path.cwd())
    if settings().json:
        write_json(result.__dict__)
        return EXIT_OK
    out = console()
    out.print(
        safe(
            f"created {result.tree} at {result.location} (branch {result.branch}, "
            f"at {result.commit[:12]})"
        )
    )
    if not result.configured:
        out.print(
            safe(
                f'hint: set `tree = {result.location}` in [subsystem "{result.tree}"] '
                "of maintainers.cfg so that sync and check find it"
            )
        )
    return EXIT_OK


@tree_group.command("update")
@click.argument("subsystem")
@click.option(
    "--to",
    "to",
    required=True,
    metavar="REV",
    help="An upstream tag (or, with --reason, any upstream revision).",
)
@click.option("--reason", help="Why this back-merge is needed (required when REV is no tag).")
@click.option("--dry-run", is_flag=True, help="Say what would happen; change nothing.")
@global_options
def update_command(subsystem: str, to: str, reason: str | None, dry_run: bool) -> int:
    """Bring upstream's REV into SUBSYSTEM's tree and push it there.

    A fast-forward when the tree has no work of its own; otherwise a back-merge whose
    message says why. Back-merge tagged releases: an untagged REV needs --reason, and
    a back-merge that conflicts is refused.
    """
    result = update_tree(project(), subsystem, to=to, reason=reason, dry_run=dry_run)
    if settings().json:
        write_json(result.__dict__)
        return EXIT_OK
    out = console()
    verb = "would be" if dry_run else "is"
    if result.kind == "up-to-date":
        out.print(safe(f"{subsystem} already contains {to}"))
    elif result.kind == "fast-forward":
        out.print(safe(f"{subsystem} {verb} fast-forwarded to {to} ({result.new[:12]})"))
    else:
        out.print(safe(f"{subsystem} {verb} back-merged with {to}:"))
        for line in result.message.splitlines():
            out.print(safe(f"    {line}"))
    return EXIT_OK
