"""`treemerge request-pull`: a subsystem's pull request, tagged, written, linted and sent."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TextIO

import click

from treemerge.app.project import Project, open_project
from treemerge.app.request_pull import RequestOptions, prepare_pull
from treemerge.cli.options import global_options, settings
from treemerge.cli.output import check_writable, console, safe, write_file
from treemerge.core.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from treemerge.core.pullplan import pull_date
from treemerge.core.pullreq import PullRequest
from treemerge.core.refname import tag_name_problem


def _tag_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A --tag git can create under refs/tags/ and pushes without surprise: never an
    option to git, never a name under refs/ (refs/heads/... would push a tag that
    blocks pushes to a branch)."""
    if value is not None:
        problem = tag_name_problem(value)
        if problem is not None:
            raise click.BadParameter(f"{value!r} is no tag name: it {problem}")
    return value


@click.command("request-pull")
@click.argument("subsystem")
@click.option("--head", metavar="REV", help="Pull REV instead of the synced tree's head.")
@click.option(
    "--tag",
    metavar="NAME",
    callback=_tag_name,
    help="Tag name (default SUBSYS-for-UPSTREAM-DATE[-N]).",
)
@click.option(
    "--message",
    "message_file",
    type=click.File("r", encoding="utf-8"),
    help="The summary (the tag message) from FILE ('-' for standard input).",
)
@click.option("--edit", is_flag=True, help="Write the summary in your $EDITOR (as git does).")
@click.option("--sign", is_flag=True, help="Sign the tag with your git signing key (gpg or ssh).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the request to FILE.",
)
@click.option("--send", is_flag=True, help="Deliver it ([delivery] method) and record it.")
@click.option("--dry-run", is_flag=True, help="Change nothing anywhere: no tag, no push, no send.")
@click.option("--allow-fresh", is_flag=True, help="Do not warn about commits of the last day.")
@click.option(
    "--strict",
    is_flag=True,
    help="Lint warnings (unreviewed commits, unexplained foreign paths...) are errors.",
)
@global_options
def request_pull_command(
    subsystem: str,
    head: str | None,
    tag: str | None,
    message_file: TextIO | None,
    edit: bool,
    sign: bool,
    fmt: str,
    output: Path | None,
    send: bool,
    dry_run: bool,
    allow_fresh: bool,
    strict: bool,
) -> int:
    """Prepare SUBSYSTEM's pull request: tag the head, write the request, lint it.

    The text holds exactly what `git request-pull` writes (shortlog and diffstat
    byte for byte), then treemerge's report: the ownership verdict, back-merges, a
    conflict forecast against the upstream and the other trees, counts and lint.
    Unless --dry-run, an annotated tag SUBSYS-for-UPSTREAM-YYYY-MM-DD carrying the
    summary is created (reused when the head already has one) and pushed to the
    subsystem's tree. With --send the request is delivered and recorded (`treemerge
    prs`); a request with lint errors is not sent, and exits 1 (with --strict, a
    warning counts as an error: a pull with unreviewed commits is not sent).
    """
    now = int(time.time())
    options = RequestOptions(
        date=pull_date(now),
        now=now,
        head=head,
        tag=tag,
        message=_edit(subsystem, _read_summary(message_file))
        if edit
        else _read_summary(message_file),
        sign=sign,
        dry_run=dry_run,
        allow_fresh=allow_fresh,
        strict=strict,
    )
    if output is not None:
        check_writable(output)  # (before the tag is made and pushed)
    project = open_project(settings().config, Path.cwd())
    if send and not dry_run:
        _records_kept(project)  # lost or damaged records stop us before the tag is pushed
    pull = prepare_pull(project, subsystem, options)
    _write(pull, fmt, output)
    if send and not dry_run:
        _send(project, pull)
    return EXIT_FINDINGS if pull.errors else EXIT_OK


# Delivery is loaded only by --send (most runs are dry runs and looks).
def _records_kept(project: Project) -> None:
    from treemerge.app.send import records_kept  # noqa: PLC0415 - delivery on demand

    records_kept(project)


def _send(project: Project, pull: PullRequest) -> None:
    from treemerge.app.send import send_pull  # noqa: PLC0415 - delivery on demand

    outcome = send_pull(project, pull)
    if not settings().quiet and not settings().json:
        verb = "was already sent" if outcome.already_sent else "sent"
        console(stderr=True).print(safe(f"{pull.tag} {verb}: {outcome.record.delivered_to}"))


def _read_summary(source: TextIO | None) -> str | None:
    if source is None:
        return None
    try:
        return source.read()
    except UnicodeDecodeError as exc:
        raise UsageError(f"--message {source.name}: not UTF-8 text ({exc.reason})") from None


EDIT_TEMPLATE = """\
{summary}
# The summary of the {subsystem} pull request: it becomes the tag's message and the
# text between the dashes of the request. Say what the pull brings, and why any path
# outside {subsystem}'s own changes (name the path). Lines starting with '#' are
# dropped; an empty summary aborts.
"""


def _edit(subsystem: str, summary: str | None) -> str:
    """The summary as written in the user's editor (git's rules: '#' lines dropped)."""
    text = click.edit(
        EDIT_TEMPLATE.format(summary=summary or "", subsystem=subsystem),
        extension=".txt",
        require_save=True,
    )
    kept = "\n".join(line for line in (text or "").splitlines() if not line.startswith("#"))
    if not kept.strip():
        raise UsageError("empty summary: nothing done")
    return kept.strip() + "\n"


def _write(pull: PullRequest, fmt: str, output: Path | None) -> None:
    if fmt == "json" or settings().json:
        text = json.dumps(pull.as_dict(), indent=2) + "\n"
    elif fmt == "markdown":
        text = pull.render_markdown()
    else:
        text = f"Subject: {pull.subject}\n\n{pull.render_text()}"
    if output is not None:
        write_file(output, text, errors="surrogateescape")
    elif not settings().quiet or settings().json:
        sys.stdout.write(text)
