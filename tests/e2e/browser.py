"""Headless Chromium for tests that look at a page: find it (installing Debian's package
once when running as root), and take a screenshot of a local file."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
INSTALL_LOCK = Path(tempfile.gettempdir()) / "treemerge-chromium-install.lock"
INSTALL_TIMEOUT = 900  # apt-get update and install: a minute or two, more on a slow mirror
SCREENSHOT_TIMEOUT = 60
# Without the networking flags Chromium reaches out to Google's services, and the network
# is closed here: it would stall. --no-sandbox because tests may run as root.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",  # one CSS pixel is one screenshot pixel
)


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The Chromium binary; the test is skipped, saying why, when it cannot be had."""
    found = find_chromium()
    if isinstance(found, str):
        pytest.skip(f"headless Chromium is not available: {found}")
    return found


@cache  # at most one install attempt per test process
def find_chromium() -> Path | str:
    """The Chromium binary, installed with apt-get if missing; else why there is none."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return f"{CHROMIUM} is missing; install it with: apt-get install chromium"
    with _locked(INSTALL_LOCK):  # parallel test processes install it only once
        if not CHROMIUM.exists():
            failure = _apt_install("chromium")
            if failure:
                return failure
    if CHROMIUM.exists():
        return CHROMIUM
    return f"apt-get installed chromium but {CHROMIUM} is still missing"


def _apt_install(package: str) -> str | None:
    """None when `package` was installed, else what went wrong."""
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", package],
    ):
        try:
            done = subprocess.run(
                argv, env=environment, capture_output=True, text=True,
                timeout=INSTALL_TIMEOUT, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return f"`{' '.join(argv)}` took over {INSTALL_TIMEOUT} s"
        if done.returncode:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:]
            return f"`{' '.join(argv)}` failed ({done.returncode}): {' '.join(tail)}"
    return None


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def screenshot(
    chromium: Path, page: Path, png: Path, *, width: int = 1400, height: int = 1000
) -> Path:
    """`png`, a screenshot of the top `width`×`height` pixels of the local file `page`.

    Chromium runs headless with a fresh profile and no network use; a failure raises
    AssertionError with the end of Chromium's error output.
    """
    size = f"--window-size={width},{height}"
    done = run_chromium(chromium, page, png.parent, size, f"--screenshot={png}")
    if done.returncode or not png.is_file():
        raise AssertionError(f"chromium failed ({done.returncode}):\n{_tail(done)}")
    return png


def dump_dom(chromium: Path, page: Path, scratch: Path) -> str:
    """The document Chromium built from the local file `page` once it had loaded, as
    HTML (its profile lives in `scratch` while it runs); AssertionError on a failure."""
    done = run_chromium(chromium, page, scratch, "--dump-dom")
    if done.returncode or not done.stdout.strip():
        raise AssertionError(f"chromium failed ({done.returncode}):\n{_tail(done)}")
    return done.stdout


def run_chromium(
    chromium: Path, page: Path, scratch: Path, *options: str
) -> subprocess.CompletedProcess[str]:
    """Headless Chromium on the local file `page` with `options`, a fresh profile in
    `scratch` (removed afterwards) and no network use."""
    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-", dir=scratch))
    argv = [str(chromium), *FLAGS, f"--user-data-dir={profile}", *options, page.resolve().as_uri()]
    try:
        return subprocess.run(
            argv, capture_output=True, text=True, timeout=SCREENSHOT_TIMEOUT, check=False
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def _tail(done: subprocess.CompletedProcess[str]) -> str:
    return "\n".join(done.stderr.strip().splitlines()[-10:])
