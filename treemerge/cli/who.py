"""`treemerge who`: the owners of paths, most specific first."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from treemerge.app.ownership import load_ownership, repo_relative
from treemerge.cli.options import global_options, settings
from treemerge.cli.output import console, safe, warn
from treemerge.core.errors import EXIT_OK, UsageError
from treemerge.core.matcher import PathOwners, SectionMatch
from treemerge.core.model import Section

if TYPE_CHECKING:
    from rich.text import Text

# JSON is written in chunks of this many paths (a kernel tree is ~40,000 of them).
CHUNK = 2000


@click.command()
@click.argument("paths", nargs=-1)
@click.option("--rev", help="Judge directory patterns from the tree at REV (default HEAD).")
@click.option(
    "--paths-from",
    type=click.File("r", encoding="utf-8", errors="surrogateescape"),
    help="Read paths from FILE, one per line ('-' for standard input).",
)
@click.option(
    "--maintainers",
    "maintainers_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A kernel-style MAINTAINERS file to use instead of maintainers.cfg.",
)
@click.option("--explain", is_flag=True, help="Show the pattern that matched and any X: exclusion.")
@global_options
def who(
    paths: tuple[str, ...],
    rev: str | None,
    paths_from: TextIO | None,
    maintainers_file: Path | None,
    explain: bool,
) -> int:
    """Who owns PATH: the matching sections, most specific first.

    Matching follows the kernel's get_maintainer.pl exactly (see docs/ownership.md):
    the deepest pattern first, `*` crossing `/`, X: before F:, N: regexes anywhere in
    the path. Directory patterns are judged from the git tree at --rev.

    \b
    Examples:
      treemerge who nova/virt/libvirt/driver.py
      git diff --name-only v29.0.0 | treemerge who --paths-from - --json
      treemerge who --maintainers MAINTAINERS --explain net/ipv4/tcp.c
    """
    wanted = list(paths)
    if paths_from is not None:
        wanted += _path_lines(paths_from)
    if not wanted:
        raise UsageError("no paths: give PATH arguments or --paths-from FILE")
    cwd = Path.cwd()
    context = load_ownership(
        maintainers=maintainers_file, config_path=settings().config, rev=rev, cwd=cwd
    )
    if settings().verbose:
        for diagnostic in context.ownership.diagnostics:
            warn(f"{diagnostic.location()}: {diagnostic.message}")
    targets = repo_relative(wanted, context.repository, cwd)
    results = context.index.owners_of(targets, explain=explain)
    if settings().json:
        write_who_json(results, sys.stdout, explain=explain)
    else:
        render(results, explain=explain)
    return EXIT_OK


def _path_lines(stream: TextIO) -> list[str]:
    """One path per line. A line ends at LF only: git allows a CR inside a name, so it is
    part of the path (the CR of a CRLF file is dropped); blank lines are skipped."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:  # a text file reads "\r" as a line end unless told not to
        reconfigure(newline="\n")
    return [line.removesuffix("\n").removesuffix("\r") for line in stream if line.strip()]


def _section_json(match: SectionMatch, *, explain: bool) -> dict[str, object]:
    section = match.section
    document: dict[str, object] = {
        "name": section.name,
        "status": section.status,
        "maintainers": list(section.maintainers),
        "reviewers": list(section.reviewers),
        "lists": list(section.lists),
    }
    if explain:
        document["pattern"] = f"{match.pattern.letter}: {match.pattern.raw}"
        document["depth"] = match.depth
        document["line"] = match.pattern.line
    return document


def write_who_json(results: Iterable[PathOwners], out: TextIO, *, explain: bool) -> None:
    """`{"paths": [...]}`, streamed: each section's JSON is encoded once and reused."""
    cache: dict[tuple[int, int], str] = {}
    out.write('{"paths": [')
    chunk: list[str] = []
    first = True
    for owners in results:
        parts = []
        for match in owners.matches:
            key = (match.index, match.pattern.ordinal if explain else 0)
            encoded = cache.get(key)
            if encoded is None:
                encoded = cache[key] = json.dumps(_section_json(match, explain=explain))
            parts.append(encoded)
        item = '{"path": ' + json.dumps(owners.path) + ', "sections": [' + ", ".join(parts) + "]"
        if explain:
            excluded = [
                {"name": e.section.name, "pattern": f"X: {e.pattern.raw}", "line": e.pattern.line}
                for e in owners.exclusions
            ]
            item += ', "excluded": ' + json.dumps(excluded)
        chunk.append(item + "}")
        if len(chunk) >= CHUNK:
            out.write(("\n  " if first else ",\n  ") + ",\n  ".join(chunk))
            first, chunk = False, []
    if chunk:
        out.write(("\n  " if first else ",\n  ") + ",\n  ".join(chunk))
    out.write("\n]}\n")


def _people(label: str, values: tuple[str, ...]) -> Text | None:
    if not values:
        return None
    return safe(f"      {label:<12}", "dim") + safe(", ".join(values))


def _section_lines(rank: int, match: SectionMatch, *, explain: bool) -> list[Text]:
    section: Section = match.section
    head = safe(f"  {rank:>2}. ") + safe(section.name, "bold")
    if section.status:
        head += safe("  ") + safe(section.status, "cyan")
    lines = [head]
    for label, values in (
        ("maintainers", section.maintainers),
        ("reviewers", section.reviewers),
        ("lists", section.lists),
    ):
        line = _people(label, values)
        if line is not None:
            lines.append(line)
    if explain:
        pattern = match.pattern
        where = f"  ({pattern.file}:{pattern.line}, depth {match.depth})"
        lines.append(
            safe(f"      {'matched':<12}", "dim")
            + safe(f"{pattern.letter}: {pattern.raw}", "green")
            + safe(where)
        )
    return lines


def render(results: Iterable[PathOwners], *, explain: bool) -> None:
    out = console()
    for owners in results:
        out.print(safe(owners.path, "bold underline"))
        if not owners.matches:
            out.print(safe("  (no section owns this path)", "yellow"))
        for rank, match in enumerate(owners.matches, start=1):
            for line in _section_lines(rank, match, explain=explain):
                out.print(line)
        for exclusion in owners.exclusions:
            out.print(
                safe("  excluded  ", "yellow")
                + safe(exclusion.section.name, "bold")
                + safe(" by ")
                + safe(f"X: {exclusion.pattern.raw}")
                + safe(f"  ({exclusion.pattern.file}:{exclusion.pattern.line})")
            )
