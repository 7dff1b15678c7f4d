"""Running the git CLI safely for trees we do not control.

Inherited `GIT_*` variables are dropped (a caller's GIT_DIR or GIT_INDEX_FILE must not
redirect us), except the few that choose how to reach a remote or which user config
to read; prompts are disabled (cron has no terminal), and hooks never run.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TypedDict, Unpack

from treemerge.core.errors import GitError

# Options given to every git command: no hooks from any repository.
SAFE_OPTIONS = ("-c", "core.hooksPath=/dev/null")
# GIT_* variables that say who the user is, how they reach remotes, where their config is.
KEPT_GIT_VARIABLES = frozenset(
    {
        "GIT_SSH",
        "GIT_SSH_COMMAND",
        "GIT_SSH_VARIANT",
        "GIT_PROXY_COMMAND",
        "GIT_ASKPASS",
        "GIT_SSL_CAINFO",
        "GIT_SSL_CAPATH",
        "GIT_CONFIG_GLOBAL",
        "GIT_CONFIG_NOSYSTEM",
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_AUTHOR_DATE",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "GIT_COMMITTER_DATE",
        "GIT_TRACE",
        "GIT_TRACE_PACKET",
        "GIT_CURL_VERBOSE",
    }
)


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a git subprocess: ours, minus every inherited GIT_* variable."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in KEPT_GIT_VARIABLES
    }
    env["GIT_TERMINAL_PROMPT"] = "0"
    # ssh must not ask for a password either (cron has nobody to answer).
    env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
    env.setdefault("LC_ALL", "C")
    # Widths of `--stat` and the like must not follow the caller's terminal.
    env.pop("COLUMNS", None)
    if extra:
        env.update(extra)
    return env


def decode_path(raw: bytes) -> str:
    """A path from git as text; bytes that are not UTF-8 survive as surrogates."""
    return raw.decode("utf-8", "surrogateescape")


class GitOptions(TypedDict, total=False):
    """How to run one git command (every runner below takes these)."""

    cwd: Path | str | None
    input: bytes | None
    env: Mapping[str, str] | None
    where: str  # the tree or repository named in an error message
    timeout: float | None


def run_git(args: Sequence[str], **options: Unpack[GitOptions]) -> bytes:
    """Run `git ARGS` and return its standard output; raise GitError when it fails."""
    return git_capture(args, **options)[1]


def git_call(
    args: Sequence[str], *, ok: Collection[int] = (0,), **options: Unpack[GitOptions]
) -> tuple[int, bytes]:
    """Run `git ARGS`; its exit status (one of `ok`) and standard output, else GitError."""
    code, out, _ = git_capture(args, ok=ok, **options)
    return code, out


def git_capture(
    args: Sequence[str],
    *,
    cwd: Path | str | None = None,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    where: str = "",
    timeout: float | None = None,
    ok: Collection[int] = (0,),
) -> tuple[int, bytes, bytes]:
    """Run `git ARGS`; exit status (one of `ok`), standard output and standard error."""
    command = ["git", *SAFE_OPTIONS, *args]
    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            input=input,
            capture_output=True,
            env=git_env(env),
            check=False,
            timeout=timeout,
        )
    except FileNotFoundError:
        raise GitError(args, 127, "git is not installed (not found on PATH)", where=where) from None
    except subprocess.TimeoutExpired:
        raise GitError(args, -1, f"no answer within {timeout:.0f} s", where=where) from None
    if done.returncode not in ok:
        stderr = done.stderr.decode("utf-8", "replace")
        raise GitError(args, done.returncode, stderr, where=where)
    return done.returncode, done.stdout, done.stderr
