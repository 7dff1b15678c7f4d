"""Running the git CLI safely for trees we do not control.

Inherited `GIT_*` variables are dropped (a caller's GIT_DIR or GIT_INDEX_FILE must not
redirect us), except the few that choose how to reach a remote or which user config
to read; prompts are disabled (cron has no terminal), and hooks never run.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO, TypedDict, Unpack

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
    answered = take_early(args, cwd=cwd, input=input) if env is None and timeout is None else None
    if answered is None:
        forget_early(unless=args)
        answered = _run(args, cwd=cwd, input=input, env=env, timeout=timeout)
    if isinstance(answered, FileNotFoundError):
        raise GitError(args, 127, "git is not installed (not found on PATH)", where=where)
    if answered is None:
        raise GitError(args, -1, f"no answer within {timeout or 0:.0f} s", where=where)
    code, out, err = answered
    if code not in ok:
        raise GitError(args, code, err.decode("utf-8", "replace"), where=where)
    return code, out, err


# What running git came to: its exit status and output, or no git to run, or (None)
# no answer within the timeout.
_Answer = tuple[int, bytes, bytes] | FileNotFoundError | None


def _run(
    args: Sequence[str],
    *,
    cwd: Path | str | None,
    input: bytes | None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> _Answer:
    try:
        done = subprocess.run(
            ["git", *SAFE_OPTIONS, *args],
            cwd=cwd,
            input=input,
            capture_output=True,
            env=git_env(env),
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return None
    except FileNotFoundError as exc:  # no git on PATH (or no directory to run it in)
        return exc
    return done.returncode, done.stdout, done.stderr


# Early answers: git commands started before anything asked for them (see start_early).
_EarlyKey = tuple[tuple[str, ...], str, bytes]
_early: dict[_EarlyKey, _EarlyCall] = {}
_early_allowed = False
_early_lock = threading.Lock()
_asked: set[_EarlyKey] = set()  # commands run before they could start early
# git commands that change no ref, config or index: running one leaves every early
# answer as true as it was (merge-tree only adds objects, which nothing finds by name).
READS_ONLY = frozenset(
    {
        "cat-file",
        "diff",
        "for-each-ref",
        "log",
        "ls-remote",
        "merge-base",
        "merge-tree",
        "rev-list",
        "rev-parse",
        "shortlog",
        "show",
    }
)


class _EarlyCall:
    """A git command started at once, writing into files in memory rather than pipes
    (so git never waits for a reader, and no thread has to read for it), its answer
    kept for whoever asks."""

    def __init__(self, args: tuple[str, ...], cwd: str, input: bytes) -> None:
        self._answer: _Answer = None
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()  # (a peek and a take may wait at once)
        self._out, self._err = _memory_file(), _memory_file()
        stdin = _memory_file() if input else None
        try:
            if stdin is not None:
                stdin.write(input)
                stdin.seek(0)
            self._process = subprocess.Popen(
                ["git", *SAFE_OPTIONS, *args],
                cwd=cwd,
                stdin=stdin if stdin is not None else subprocess.DEVNULL,
                stdout=self._out,
                stderr=self._err,
                env=git_env(),
            )
        except OSError:  # (no answer: the caller runs the command and says what failed)
            self.drop()
        finally:
            if stdin is not None:
                stdin.close()

    def answer(self) -> _Answer:
        """What git said (waited for); None when it could not be read."""
        with self._lock:
            process, self._process = self._process, None
            if process is not None:
                # Anything unexpected leaves no answer: the caller then runs it itself.
                with contextlib.suppress(Exception):
                    code = process.wait()
                    self._answer = code, _contents(self._out), _contents(self._err)
                self._out.close()
                self._err.close()
            return self._answer

    def drop(self) -> None:
        """Stop the command if it still runs; its answer will never be asked for."""
        with self._lock:
            process, self._process = self._process, None
            if process is not None:
                with contextlib.suppress(OSError):
                    process.kill()
                    process.wait()
            self._out.close()
            self._err.close()


def _memory_file() -> BinaryIO:
    """An anonymous file (in memory where the system has them)."""
    if hasattr(os, "memfd_create"):
        return os.fdopen(os.memfd_create("treemerge-git", os.MFD_CLOEXEC), "w+b")
    import tempfile  # noqa: PLC0415 - where there are no memory files

    return tempfile.TemporaryFile()


def _contents(file: BinaryIO) -> bytes:
    file.seek(0)
    return file.read()


def _early_key(args: Sequence[str], cwd: Path | str | None, input: bytes | None) -> _EarlyKey:
    return tuple(args), os.fspath(cwd) if cwd is not None else "", input or b""


def start_early(args: Sequence[str], *, cwd: Path | str, input: bytes = b"") -> None:
    """Start `git ARGS` now, for the first caller that runs exactly this command (same
    arguments, directory and input, default environment) to take its answer instead.

    A command starts early when the caller's own start-up would otherwise keep git
    waiting. The answer is what the command says at the moment it ran, which is what
    it would say later as long as nothing changed in between; so only commands that
    read start early, only after `allow_early`, and not once this process has run a
    git command that may write (every early answer is then dropped: `forget_early`).
    """
    key = _early_key(args, cwd, input)
    if not (_reads_only(args) and _wanted(key)):
        return
    call = _EarlyCall(*key)  # (not under the lock: a caller may be taking an answer)
    with _early_lock:
        wanted = _wanted(key)  # (still: no write, and nobody ran it meanwhile)
        if wanted:
            _early[key] = call
    if not wanted:
        call.drop()


def _wanted(key: _EarlyKey) -> bool:
    return _early_allowed and key not in _early and key not in _asked


def allow_early() -> None:
    """Let start_early start commands (until forget_early)."""
    global _early_allowed  # noqa: PLW0603 - one switch for the process
    with _early_lock:
        _early_allowed = True


def take_early(
    args: Sequence[str], *, cwd: Path | str | None, input: bytes | None = None
) -> _Answer:
    """The early answer to exactly this command (waited for), which only one caller
    gets; None when there is none (and then it will not start early any more: the
    caller runs it itself)."""
    if not _early_allowed:
        return None
    key = _early_key(args, cwd, input)
    with _early_lock:
        call = _early.pop(key, None)
        if call is None:
            _asked.add(key)
    return call.answer() if call is not None else None


def peek_early(args: Sequence[str], *, cwd: Path | str, input: bytes = b"") -> bytes | None:
    """The output of an early command that succeeded (waited for), leaving the answer
    for its caller; None when it is not running or failed."""
    call = _early.get(_early_key(args, cwd, input))
    answer = call.answer() if call is not None else None
    return answer[1] if isinstance(answer, tuple) and answer[0] == 0 else None


def forget_early(*, unless: Sequence[str] = ()) -> None:
    """Drop every early answer not taken yet (nothing waits for them) and start no
    more, unless the command about to run, `unless`, is one that only reads."""
    global _early_allowed  # noqa: PLW0603 - one switch for the process
    if _early_allowed and not _reads_only(unless):
        with _early_lock:
            _early_allowed = False
            dropped = list(_early.values())
            _early.clear()
            _asked.clear()
        for call in dropped:
            call.drop()


def _reads_only(args: Sequence[str]) -> bool:
    """Whether `git ARGS` is one of READS_ONLY (after any `-c NAME=VALUE`)."""
    i = 0
    while i < len(args) and args[i] == "-c":
        i += 2
    return i < len(args) and args[i] in READS_ONLY


def early_pending() -> list[tuple[str, ...]]:
    """The early commands nobody has taken yet (what a plan guessed wrong).

    (Under the lock: a plan may still be starting commands on its own thread.)"""
    with _early_lock:
        return [key[0] for key in _early]
