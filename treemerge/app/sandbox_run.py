"""The integration's test command, run in a bubblewrap sandbox.

A build or test command runs code from the merged trees by its nature, so it runs where
that code can do no harm: bubblewrap (`bwrap`, the sandbox Flatpak uses) gives it its
own namespaces with no network, the system's programs read-only, an empty /tmp, and its
checkout (read-write, at /checkout) as all it can see of the user's files: not the home
directory, ssh keys, credential helpers, the workspace, nor any other file. The
environment is a short fixed list; `prlimit` caps memory, file size, processes and CPU
time, and the timeout kills the whole sandbox.

`sandbox = none` in maintainers.cfg runs the command without one, as the user (only the
limits, the timeout and a cleaned environment remain): an explicit choice, never a
fallback. This module and treemerge.gitio.run are the only ones that start processes;
this one never runs git.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from treemerge.core.errors import TreemergeError

NO_SANDBOX = "none"
CHECKOUT = "/checkout"  # where the command finds its checkout, and runs
PYTHON_BIN = "/run/treemerge/bin"  # `python` and `python3`: the interpreter running treemerge
SANDBOX_PATH = f"{PYTHON_BIN}:/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"
# Read-only: what running programs needs. Nothing else of /etc (no passwd, no ssh or
# git configuration, no certificates: there is no network anyway).
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
SYSTEM_FILES = (
    "/etc/alternatives",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
)
SANDBOX_TMP = "/tmp"  # noqa: S108 - the sandbox's own, empty tmpfs
SANDBOX_ENV = (("HOME", SANDBOX_TMP), ("TMPDIR", SANDBOX_TMP), ("LANG", "C.UTF-8"))
# Per process: address space, size of any file written, processes of the user; CPU
# seconds are the timeout's.
LIMITS = (("as", 8 << 30), ("fsize", 1 << 30), ("nproc", 4096))
# Variables that `sandbox = none` still does not pass on: git's and treemerge's own,
# the ssh agent, and anything named like a credential.
PRIVATE_VARIABLE = re.compile(
    r"^(GIT_|TREEMERGE_|SSH_)|TOKEN|SECRET|PASSW|CREDENTIAL|KEY|AUTH|COOKIE", re.IGNORECASE
)
OPT_OUT = (
    "or set `sandbox = none` in [integration] of maintainers.cfg to run it without one "
    "(then it runs as you, with your files and network)"
)


class SandboxUnavailable(TreemergeError):
    """The test command must run in a sandbox and none can be made here: nothing ran."""


@dataclass(frozen=True)
class Runner:
    """How the test command is started: the sandbox's argv (empty: none) and prlimit."""

    sandbox: tuple[str, ...]
    prlimit: str | None

    def run(self, command: str, checkout: Path, output: BinaryIO, *, timeout: float) -> int | None:
        """Run `sh -c COMMAND` in `checkout`, all it prints going to `output`; its exit
        status, or None when it was killed at `timeout` seconds: with all it started in
        the sandbox, with its process group without one."""
        limits = [f"--{name}={value}" for name, value in LIMITS]
        limited = [self.prlimit, *limits, f"--cpu={int(timeout) + 1}", "--"] if self.prlimit else []
        if self.sandbox:
            place = ["--bind", str(checkout), CHECKOUT, "--chdir", CHECKOUT, "--"]
            argv = [*self.sandbox, *place, *limited, "sh", "-c", command]
        else:
            argv = [*limited, "sh", "-c", command]
        process = subprocess.Popen(
            argv,
            cwd=None if self.sandbox else checkout,
            env={"LC_ALL": "C"} if self.sandbox else _public_environment(),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            process_group=0,
        )
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        finally:
            # bwrap's group: killing bwrap kills the sandbox (--die-with-parent), whose
            # first process takes every other one with it.
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def runner(sandbox: str) -> Runner:
    """The runner for `[integration] sandbox` (anything but `none` is bubblewrap). Raises
    SandboxUnavailable, saying how to install bubblewrap or opt out, when bwrap is not
    on PATH or cannot make a sandbox here (tried once per process)."""
    prlimit = shutil.which("prlimit")
    if sandbox == NO_SANDBOX:
        return Runner((), prlimit)
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable(
            "the integration test command runs in a bubblewrap sandbox, but bwrap is not "
            f"on PATH: install it (apt-get install bubblewrap), {OPT_OUT}"
        )
    if prlimit is None:
        raise SandboxUnavailable(
            "the integration test command runs with limits set by prlimit, which is not on "
            f"PATH: install it (apt-get install util-linux), {OPT_OUT}"
        )
    argv = _bubblewrap(bwrap)
    why = _cannot_start(argv, prlimit)
    if why is not None:
        raise SandboxUnavailable(
            "the integration test command runs in a bubblewrap sandbox, and bwrap cannot "
            f"make one here ({why}): let it create namespaces (see bubblewrap's "
            f"documentation for this system), {OPT_OUT}"
        )
    return Runner(argv, prlimit)


def _bubblewrap(bwrap: str) -> tuple[str, ...]:
    """bwrap's argv up to the checkout: new namespaces of every kind (so no network), no
    capabilities, the system read-only, a fresh /proc, /dev and /tmp, a fixed environment."""
    argv = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    for directory in SYSTEM_DIRS:
        if os.path.islink(directory):
            argv += ["--symlink", os.readlink(directory), directory]
        elif os.path.isdir(directory):
            argv += ["--ro-bind", directory, directory]
    for file in SYSTEM_FILES:
        argv += ["--ro-bind-try", file, file]
    argv += _python()
    argv += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", SANDBOX_TMP, "--clearenv"]
    for name, value in (("PATH", SANDBOX_PATH), *SANDBOX_ENV):
        argv += ["--setenv", name, value]
    return tuple(argv)


def _python() -> list[str]:
    """The interpreter running treemerge, as `python` and `python3` first on PATH (so the
    shipped `python -P -m compileall` means one Python wherever it runs), with its
    installation read-only when it lies outside /usr: never one that holds a home."""
    base = getattr(sys, "_base_executable", None) or sys.executable
    executable = os.path.realpath(base)
    visible = ["/usr"]
    argv: list[str] = []
    for prefix in dict.fromkeys(map(os.path.realpath, (sys.base_prefix, sys.base_exec_prefix))):
        if Path(prefix).is_relative_to("/usr"):
            continue
        if prefix != "/" and not any(Path(home).is_relative_to(prefix) for home in _homes()):
            argv += ["--ro-bind", prefix, prefix]
            visible.append(prefix)
    if any(Path(executable).is_relative_to(place) for place in visible):
        for name in ("python", "python3"):
            argv += ["--symlink", executable, f"{PYTHON_BIN}/{name}"]
    return argv


def _homes() -> list[str]:
    """The user's home directories: $HOME's and the account's."""
    import pwd  # noqa: PLC0415 - only where a sandbox is made

    homes = [os.path.expanduser("~")]
    with contextlib.suppress(KeyError):  # (an account without a passwd entry)
        homes.append(pwd.getpwuid(os.getuid()).pw_dir)
    return [os.path.realpath(home) for home in homes]


@functools.cache
def _cannot_start(argv: tuple[str, ...], prlimit: str) -> str | None:
    """Why bwrap cannot run `true` in this sandbox here (None: it can)."""
    try:
        done = subprocess.run(
            [*argv, "--", prlimit, "true"],
            env={"LC_ALL": "C"},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return str(error)
    if done.returncode == 0:
        return None
    said = [line for line in done.stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return said[-1].strip() if said else f"exit status {done.returncode}"


def _public_environment() -> dict[str, str]:
    """The user's environment without the variables PRIVATE_VARIABLE names."""
    return {k: v for k, v in os.environ.items() if not PRIVATE_VARIABLE.search(k)}
