"""The errors a user can meet, each carrying the message they should read.

Exit codes follow the contract: 1 findings, 2 usage or configuration, 3 git,
network or delivery failures. The CLI maps an error to its code in one place.
"""

from __future__ import annotations

from collections.abc import Sequence

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_FAILURE = 3


class TreemergeError(Exception):
    """Base of every error treemerge reports to a user (never with a traceback)."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(TreemergeError):
    """The command line asks for something that cannot be done as asked."""

    exit_code = EXIT_USAGE


class Refused(TreemergeError):
    """treemerge will not do this as asked: the message says why and what overrides it."""

    exit_code = EXIT_FINDINGS


class ConfigError(TreemergeError):
    """A configuration or ownership file is wrong; names file, line and key."""

    exit_code = EXIT_USAGE

    def __init__(self, file: str, line: int | None, message: str, *, key: str = "") -> None:
        where = f"{file}:{line}" if line else file
        prefix = f"{where}: {key}: " if key else f"{where}: "
        super().__init__(prefix + message)
        self.file = file
        self.line = line
        self.key = key
        self.detail = message


class GitError(TreemergeError):
    """A git operation failed; names the repository (or tree) and what git said."""

    exit_code = EXIT_FAILURE

    def __init__(
        self, cmd: Sequence[str], returncode: int, stderr: str, *, where: str = ""
    ) -> None:
        place = f"{where}: " if where else ""
        verb = cmd[0] if cmd else ""
        super().__init__(f"{place}git {verb} failed: {git_reason(stderr, returncode)}")
        self.cmd = tuple(cmd)
        self.returncode = returncode
        self.stderr = stderr
        self.where = where


def git_reason(stderr: str, returncode: int) -> str:
    """The line of git's stderr that says what went wrong: a push's rejection with its
    reason, else the first fatal or error line, else the last line."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    rejected = [line for line in lines if "rejected]" in line]
    if rejected:
        return rejected[0].lstrip("! ")
    for prefix in ("fatal: ", "error: "):
        for i, line in enumerate(lines):
            if line.startswith(prefix):
                return line.removeprefix(prefix) + _continued(lines[i + 1 :])
    return lines[-1] if lines else f"exit status {returncode}"


# How git's own messages begin; any other line goes on the message before it.
MESSAGE_PREFIXES = ("fatal: ", "error: ", "warning: ", "hint: ", "remote: ", "To ", "From ")


def _continued(following: list[str]) -> str:
    """The lines that carry a message on ("unable to connect to HOST:" then the
    reason on a line of its own), joined to it."""
    more = []
    for line in following:
        if line.startswith(MESSAGE_PREFIXES):
            break
        more.append(line)
    return "".join(f" {line}" for line in more)


class RepositoryError(TreemergeError):
    """A repository is missing or a revision does not resolve (a user mistake)."""

    exit_code = EXIT_USAGE
