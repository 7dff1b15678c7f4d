"""The `treemerge` command: global options, subcommands, and the one place errors exit."""

from __future__ import annotations

import json
import sys
import traceback
from importlib import import_module

import click

from treemerge import __version__
from treemerge.cli.options import forget_settings, global_options, settings
from treemerge.cli.output import error
from treemerge.core.errors import EXIT_FAILURE, EXIT_USAGE, TreemergeError
from treemerge.core.escape import escape_text

EPILOG = """\
Exit codes: 0 all good; 1 findings (ownership violations, conflicts, lint errors);
2 usage or configuration error; 3 git, network or delivery failure.
"""


# Each command lives in its own module, imported only when it runs (start-up matters
# for cron and for scripts calling treemerge once per path or per tree).
COMMANDS = {
    "who": ("treemerge.cli.who", "who"),
    "maintainers": ("treemerge.cli.maintainers", "maintainers"),
    "sync": ("treemerge.cli.trees", "sync_command"),
    "status": ("treemerge.cli.trees", "status_command"),
    "tree": ("treemerge.cli.trees", "tree_group"),
    "check": ("treemerge.cli.check", "check_command"),
    "request-pull": ("treemerge.cli.request_pull", "request_pull_command"),
    "prs": ("treemerge.cli.prs", "prs_command"),
    "notices": ("treemerge.cli.notices", "notices_command"),
    "review": ("treemerge.cli.review", "review_command"),
    "merge": ("treemerge.cli.review", "merge_command"),
    "audit": ("treemerge.cli.review", "audit_command"),
    "next": ("treemerge.cli.next", "next_command"),
    "cron": ("treemerge.cli.cron", "cron_command"),
    "gc": ("treemerge.cli.gc", "gc_command"),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute = COMMANDS[cmd_name]
        command = getattr(import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(
    cls=LazyGroup,
    epilog=EPILOG,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="treemerge")
@global_options
def cli() -> None:
    """Run a project the way the Linux kernel does.

    Subsystem teams keep their own trees and send pull requests; treemerge tells the
    top maintainer what each pull brings and whether the team stayed inside the paths
    it owns (from a kernel-style MAINTAINERS file or maintainers.cfg).
    """
    settings()


def report(exc: TreemergeError) -> int:
    """Tell the user what went wrong (and a --json reader, on stdout); return the exit code."""
    if settings().json:
        document = {"error": {"message": exc.message, "exit_code": exc.exit_code}}
        sys.stdout.write(json.dumps(document) + "\n")
    error(exc.message)
    return exc.exit_code


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the command, turn every error into a message and an exit code."""
    forget_settings()
    try:
        code = cli.main(args=argv, prog_name="treemerge", standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = EXIT_USAGE
    except (click.exceptions.Abort, KeyboardInterrupt):
        code = 130
    except TreemergeError as exc:
        code = report(exc)
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (`| head`): nothing more to say
        code = 141
    except Exception as exc:
        code = _internal_error(exc)
    sys.exit(code if isinstance(code, int) else 0)


def _internal_error(exc: Exception) -> int:
    verbose = settings().verbose > 0
    if verbose:
        traceback.print_exc()
    print(
        f"treemerge: internal error: {type(exc).__name__}: {escape_text(str(exc))}"
        + ("" if verbose else " (run with -v for the traceback)"),
        file=sys.stderr,
    )
    return EXIT_FAILURE
