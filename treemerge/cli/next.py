"""`treemerge next`: the integration tree, its conflict matrix and what changed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from treemerge.app.integration import NextResult, TreeOutcome, build_next, notify_next
from treemerge.app.project import open_project
from treemerge.cli.options import global_options, settings
from treemerge.cli.output import check_writable, console, error, safe, write_file, write_json
from treemerge.core.check import owner_list
from treemerge.core.errors import EXIT_FAILURE, EXIT_FINDINGS, EXIT_OK

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text


@click.command("next")
@click.option(
    "--html",
    "html",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write a self-contained HTML report to FILE.",
)
@click.option("--upstream", default="main", show_default=True, help="The tree to integrate on.")
@click.option(
    "--no-fallback",
    is_flag=True,
    help="Leave a conflicting tree out instead of using its last good head.",
)
@click.option("--no-test", is_flag=True, help="Do not run [integration] test-command.")
@click.option(
    "--no-notify",
    is_flag=True,
    help="Tell no one: show the notices in effect, deliver none (the next run that "
    "delivers sends them, each once).",
)
@global_options
def next_command(
    html: Path | None, upstream: str, no_fallback: bool, no_test: bool, no_notify: bool
) -> int:
    """Build the integration tree, as linux-next does for the kernel.

    The upstream's tip, then each subsystem's pending work merged in the configured
    order, in memory (refs/next/UPSTREAM in the workspace). A tree that conflicts or
    fails the test command is left out, or its last good head is used, and reported
    with the conflicting paths, their owners and the trees it collides with; a
    pairwise conflict matrix covers every pair of trees. Exit 1 when a tree was left out.
    Conflicts, test failures and stale trees are told to the trees' maintainers as
    [notify] says, each once (3 when a notice cannot be delivered); --no-notify tells
    no one, to look before cron does.
    With --quiet only what went wrong is printed: nothing when every tree merged.
    """
    if html is not None:
        check_writable(html)
    project = open_project(settings().config, Path.cwd())
    result = build_next(
        project,
        upstream=upstream,
        fallback=not no_fallback,
        run_tests=not no_test,
        notify=not no_notify,
    )
    told = [] if no_notify else notify_next(project, result)
    failed = [o.record for o in told if o.failed]
    document = result.as_dict()
    if html is not None:
        from treemerge.report.html import render_next_html  # noqa: PLC0415 - jinja2 on demand

        write_file(html, render_next_html(document), whole=True)
    if settings().json:
        write_json(document)
    else:
        render(result, html, quiet=settings().quiet)
    for record in failed:
        error(f"cannot deliver the notice ({record.subject}): {record.error}")
    if failed:
        return EXIT_FAILURE
    return EXIT_FINDINGS if result.left_out else EXIT_OK


def render(result: NextResult, html: Path | None, *, quiet: bool = False) -> None:
    """The integration for people; `quiet` (for cron): only the trees left out, on an
    older head or failing their tests, and the pairs of trees that conflict."""
    from rich.table import Table  # noqa: PLC0415 - rich only for people

    out = console()
    if quiet:
        for tree in result.trees:
            if tree.merged and not tree.fallback and not _failed(tree):
                continue
            state = "fallback" if tree.fallback else ("merged" if tree.merged else "LEFT OUT")
            test = "  test failed" if _failed(tree) else ""
            line = safe(f"next: {tree.subsystem} {state}{test}", "bold")
            said = tree.conflicts or tree.problem
            out.print(line + safe("  ") + _conflicts(tree) if said else line)
        _print_collisions(out, result)
        return
    merged = sum(1 for t in result.trees if t.merged)
    out.print(
        safe(
            f"next: {merged} of {len(result.trees)} trees merged on {result.upstream} "
            f"({result.base[:12]} -> {result.result[:12]})",
            "bold",
        )
    )
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name in ("tree", "head", "merged", "commits", "test", "conflicts"):
        table.add_column(name)
    for tree in result.trees:
        state = "fallback" if tree.fallback else ("yes" if tree.merged else "LEFT OUT")
        style = (
            "green" if tree.merged and not tree.fallback else ("yellow" if tree.merged else "red")
        )
        table.add_row(
            safe(tree.subsystem, "bold"),
            safe(tree.head[:12] or "-"),
            safe(state, style),
            str(tree.commits),
            tree.test.status if tree.test else "-",
            _conflicts(tree),
        )
    out.print(table)
    _print_collisions(out, result)
    for change in result.changes:
        out.print(safe(f"  change: {change}", "cyan"))
    if html is not None:
        out.print(safe(f"report: {html}"))


def _failed(tree: TreeOutcome) -> bool:
    return tree.test is not None and tree.test.status == "failed"


def _conflicts(tree: TreeOutcome) -> Text:
    """The tree's conflicts, or why it could not be merged at all."""
    said = [tree.problem] if tree.problem else []
    said += [f"{c.path} ({owner_list(c.owners)}) with {', '.join(c.with_)}" for c in tree.conflicts]
    return safe("; ".join(said))


def _print_collisions(out: Console, result: NextResult) -> None:
    """The pairs of trees whose work conflicts, with how many paths."""
    for i, a in enumerate(result.matrix_trees):
        for j, b in enumerate(result.matrix_trees):
            if i < j and result.cells[i][j]:
                out.print(safe(f"  {a} x {b}: {result.cells[i][j]} conflicting path(s)", "yellow"))
