"""The one way treemerge starts git: every git process, with one hardened set-up.

Trees are untrusted: a tree's owner controls its repository (config, hooks, alternates)
and its contents (`.gitattributes`). Nothing of that may make treemerge run a program,
so every git process is started here, and only here, with:

- an environment of our own: inherited `GIT_*` variables dropped (a caller's GIT_DIR or
  GIT_INDEX_FILE must not redirect us) except those saying who the user is and how
  they reach remotes; no prompts (cron has no terminal); the system's attributes off;
- `HARDENING`, command-line config that outranks any repository's config: no hooks, no
  fsmonitor, no alternate-refs command, no attributes file, no `ext::` transport, no
  submodule recursion;
- for a tree on this machine, the far end of a fetch or push (`upload-pack`,
  `receive-pack`, which git runs *in the tree's repository* and without our `-c`
  options, as git clears them for local transports) started by a command line that
  carries the same options (`far_end_options`).

treemerge never runs git with a tree's repository as its own: trees are fetched into
the workspace (`.treemerge/repo.git`, ours) and only the transports touch them.
"""

from __future__ import annotations

import os
import re
import selectors
import shlex
import subprocess
import time
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import IO, TypedDict, Unpack

from treemerge.core.errors import GitError

# Command-line config given to every git process (and to the far end of a local
# transport): each names a setting through which a repository's config (or a tree's
# `.gitattributes` meeting the user's config) could run a program.
HARDENING: tuple[tuple[str, str], ...] = (
    ("core.hooksPath", os.devnull),  # no hooks: receive-pack's, reference-transaction...
    ("core.fsmonitor", "false"),  # a program run on every index read
    ("core.alternateRefsCommand", "true"),  # run for a repository with alternates
    ("core.attributesFile", os.devnull),  # no filter/diff/merge drivers chosen by path
    ("protocol.ext.allow", "never"),  # `ext::` URLs run commands
    ("fetch.recurseSubmodules", "false"),
    ("submodule.recurse", "false"),
    ("receive.autogc", "false"),  # receive-pack would run `git gc` in the tree
)
SAFE_OPTIONS: tuple[str, ...] = tuple(
    word for key, value in HARDENING for word in ("-c", f"{key}={value}")
)
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
# How a streaming caller connects to git's standard streams.
PIPE = subprocess.PIPE
DEVNULL = subprocess.DEVNULL
GitProcess = subprocess.Popen[bytes]
# URLs that reach another machine (whose hooks and config are its owner's business).
SCP_LIKE = re.compile(r"^[\w.+-]+@[\w.-]+:")


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a git subprocess: ours, minus every inherited GIT_* variable."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in KEPT_GIT_VARIABLES
    }
    env["GIT_TERMINAL_PROMPT"] = "0"
    # ssh must not ask for a password either (cron has nobody to answer).
    env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
    env["GIT_ATTR_NOSYSTEM"] = "1"
    env.setdefault("LC_ALL", "C")
    # Widths of `--stat` and the like must not follow the caller's terminal.
    env.pop("COLUMNS", None)
    if extra:
        env.update(extra)
    return env


def is_remote(location: str) -> bool:
    """True for URLs and scp-like `user@host:path`; False for local paths and file://."""
    if location.startswith("file://"):
        return False
    return "://" in location or bool(SCP_LIKE.match(location))


def far_end_options(command: str, url: str, *, checkout: bool = False) -> list[str]:
    """Options for `git COMMAND` (fetch, ls-remote or push) with `url`: for a repository
    on this machine, the upload-pack or receive-pack that git runs in it (reading its
    config, and without our `-c` options: git drops them on the way) runs hardened too.

    A push never updates the receiving repository's checkout (its
    `receive.denyCurrentBranch = updateInstead` would run its filters) unless
    `checkout`: the repository is the top maintainer's own."""
    if is_remote(url):
        return []
    if command != "push":
        return [f"--upload-pack={shlex.join(['git', *SAFE_OPTIONS])} upload-pack"]
    options = (
        [*SAFE_OPTIONS] if checkout else [*SAFE_OPTIONS, "-c", "receive.denyCurrentBranch=refuse"]
    )
    return [f"--receive-pack={shlex.join(['git', *options])} receive-pack"]


def decode_path(raw: bytes) -> str:
    """A path from git as text; bytes that are not UTF-8 survive as surrogates."""
    return raw.decode("utf-8", "surrogateescape")


def start_git(
    args: Sequence[str],
    *,
    cwd: Path | str | None,
    stdin: int | IO[bytes] = PIPE,
    stdout: int | IO[bytes] = PIPE,
    stderr: int | IO[bytes] = PIPE,
    env: Mapping[str, str] | None = None,
    where: str = "",
) -> GitProcess:
    """`git ARGS` started (hardened, see the module) for a caller that streams to it."""
    try:
        return subprocess.Popen(
            ["git", *SAFE_OPTIONS, *args],
            cwd=cwd,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            env=git_env(env),
        )
    except FileNotFoundError:  # no git on PATH (or no directory to run it in)
        raise GitError(args, 127, "git is not installed (not found on PATH)", where=where) from None


class GitOptions(TypedDict, total=False):
    """How to run one git command (every runner below takes these)."""

    cwd: Path | str | None
    input: bytes | None
    env: Mapping[str, str] | None
    where: str  # the tree or repository named in an error message
    timeout: float | None
    stall: float | None


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
    stall: float | None = None,
    ok: Collection[int] = (0,),
) -> tuple[int, bytes, bytes]:
    """Run `git ARGS`; exit status (one of `ok`), standard output and standard error.
    A command still running after `timeout` seconds is killed (GitError), and so is
    one that says nothing for `stall` seconds (for transfers run with `--progress`,
    whose progress git writes at least every second while data moves)."""
    process = start_git(
        args, cwd=cwd, stdin=DEVNULL if input is None else PIPE, env=env, where=where
    )
    try:
        if stall is None:
            out, err = process.communicate(input, timeout=timeout)
        else:
            out, err = _watch(process, timeout=timeout, stall=stall)
    except subprocess.TimeoutExpired as expired:
        process.kill()
        process.communicate()
        said = (
            f"no answer within {timeout or 0:.0f} s"
            if expired.timeout == timeout
            else f"no progress for {expired.timeout:.0f} s (the other end stopped answering)"
        )
        raise GitError(args, -1, said, where=where) from None
    if process.returncode not in ok:
        raise GitError(args, process.returncode, err.decode("utf-8", "replace"), where=where)
    return process.returncode, out, err


def _watch(process: GitProcess, *, timeout: float | None, stall: float) -> tuple[bytes, bytes]:
    """Standard output and error of `process` (which reads no input), read as they come;
    subprocess.TimeoutExpired (with the limit passed) when it runs past `timeout` or
    writes nothing for `stall` seconds."""
    assert process.stdout is not None
    assert process.stderr is not None
    streams = {process.stdout.fileno(): bytearray(), process.stderr.fileno(): bytearray()}
    started = heard = time.monotonic()
    with selectors.DefaultSelector() as selector:
        for fd in streams:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            now = time.monotonic()
            if timeout is not None and now - started >= timeout:
                raise subprocess.TimeoutExpired(process.args, timeout)
            if now - heard >= stall:
                raise subprocess.TimeoutExpired(process.args, stall)
            wait = stall - (now - heard)
            if timeout is not None:
                wait = min(wait, timeout - (now - started))
            for key, _ in selector.select(wait):
                data = os.read(key.fd, 65536)
                if data:
                    streams[key.fd] += data
                    heard = time.monotonic()
                else:
                    selector.unregister(key.fd)
    process.wait()
    return bytes(streams[process.stdout.fileno()]), bytes(streams[process.stderr.fileno()])
