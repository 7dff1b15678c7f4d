"""`treemerge maintainers lint|export`: check and convert the ownership source."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.text import Text

from treemerge.app.maintainers import codeowners, lint_ownership
from treemerge.cli.options import global_options, settings
from treemerge.cli.output import check_writable, console, safe, write_file, write_json
from treemerge.core.errors import EXIT_FINDINGS, EXIT_OK
from treemerge.core.lint import LintReport
from treemerge.core.model import Diagnostic

MAINTAINERS_OPTION = click.option(
    "--maintainers",
    "maintainers_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A kernel-style MAINTAINERS file to use instead of maintainers.cfg.",
)
REV_OPTION = click.option("--rev", help="The tree to judge against (default HEAD).")


@click.group()
@global_options
def maintainers() -> None:
    """Check the ownership source, or export it for a forge."""


@maintainers.command()
@REV_OPTION
@MAINTAINERS_OPTION
@global_options
def lint(rev: str | None, maintainers_file: Path | None) -> int:
    """Find mistakes in MAINTAINERS / maintainers.cfg and measure coverage.

    Errors (exit 1): syntax, patterns no engine can run. Warnings: unknown entry
    letters, patterns that match no path of the tree at --rev, sections without a
    maintainer, duplicate titles, regexes that would hang get_maintainer.pl.
    Coverage counts the paths owned by a section other than the catch-all.
    """
    report = lint_ownership(
        maintainers=maintainers_file, config_path=settings().config, rev=rev, cwd=Path.cwd()
    )
    if settings().json:
        write_json(report.as_dict())
    else:
        _render(report)
    return EXIT_FINDINGS if report.errors else EXIT_OK


def _diagnostic_line(diagnostic: Diagnostic) -> Text:
    style = "bold red" if diagnostic.severity == "error" else "yellow"
    key = f"{diagnostic.key}: " if diagnostic.key else ""
    return (
        safe(f"{diagnostic.location()}: ")
        + Text(diagnostic.severity, style=style)
        + safe(f": {key}{diagnostic.message}")
        + Text(f"  [{diagnostic.code}]", style="dim")
    )


def _render(report: LintReport) -> None:
    out = console()
    quiet = settings().quiet
    for diagnostic in report.errors + (() if quiet else report.warnings):
        out.print(_diagnostic_line(diagnostic))
    if quiet and not report.errors:
        return
    cov = report.coverage
    out.print(
        Text("coverage: ", style="bold")
        + Text(
            f"{cov.owned:,} of {cov.paths:,} paths ({cov.percent:.1f}%) are owned by a "
            "section other than the catch-all"
        )
    )
    if cov.unowned_dirs:
        largest = ", ".join(f"{d} ({n:,})" for d, n in cov.unowned_dirs)
        out.print(Text("  most unowned: ", style="dim") + safe(largest))
    out.print(f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)")


@maintainers.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["codeowners"]),
    default="codeowners",
    show_default=True,
    help="Output format.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to FILE instead of standard output.",
)
@REV_OPTION
@MAINTAINERS_OPTION
@global_options
def export(fmt: str, output: Path | None, rev: str | None, maintainers_file: Path | None) -> int:
    """Write the ownership as a GitHub/Gitea CODEOWNERS file.

    Computed from the tree at --rev: every path gets the maintainers of its most
    specific section, with as few rules as CODEOWNERS' last-match-wins reading needs.
    With --json: {"format", "rules": [{"pattern", "owners"}], "text"} (the file is
    still written to -o FILE).
    """
    if output is not None:
        check_writable(output)
    exported = codeowners(
        maintainers=maintainers_file, config_path=settings().config, rev=rev, cwd=Path.cwd()
    )
    if output is not None:
        write_file(output, exported.text)
    if settings().json:
        write_json(exported.as_dict())
    elif output is None:
        sys.stdout.write(exported.text)
    return EXIT_OK
