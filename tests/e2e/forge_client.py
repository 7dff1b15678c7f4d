"""The forge delivery tests' shared set-up: the forge's repositories (real, bare), the
strict fake forge standing on them, a fake clock, and a client on that clock.

The forge's REST API is the one thing faked (tests/e2e/forge_server.py, following
GitHub's REST reference and Gitea's API; its rules in forge_rules.py); the forge's
repositories are real git repositories, whose branches the fake reads with git. Time is
a clock that moves only when the client sleeps: nothing waits.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.forge_server import BOT, TOKEN, FakeForge
from tests.helpers import git, make_repo
from treemerge.deliver import PullMessage, RetryBudget
from treemerge.deliver.forge import ForgeClient, ForgeSettings
from treemerge.deliver.forge_auth import Credential

__all__ = ["forge", "repos"]  # the fixtures, used by name

KINDS = ["github", "gitea"]
BRANCH = "treemerge/libvirt-for-main"
MESSAGE_ID = "<pull-1@example.org>"
MARKER = f"<!-- treemerge-pull: {MESSAGE_ID} -->"
START = 1_700_000_000.0  # the fake clock's start: 2023-11-14 22:13:20 UTC


@dataclass
class Repos:
    """The forge's repositories, real and bare: nova/nova and libvirt-team's fork.
    Both hold master at `base` and BRANCH at `head`."""

    upstream: Path
    fork: Path
    base: str
    head: str
    later: str  # a commit after head (what a later request names)

    def move(self, git_dir: Path, commit: str, branch: str = BRANCH) -> None:
        git(git_dir, "update-ref", f"refs/heads/{branch}", commit)


class Clock:
    """The client's clock and sleep: time moves only when the client sleeps."""

    def __init__(self) -> None:
        self.now = START
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def repos(tmp_path: Path) -> Repos:
    work = make_repo(tmp_path / "work", {"README": "readme\n"})
    base = git(work, "rev-parse", "HEAD").strip()
    commits = []
    for name in ("head", "later"):
        (work / "libvirt.c").write_text(f"{name}\n")
        git(work, "add", "libvirt.c")
        git(work, "commit", "-q", "-m", f"libvirt: {name}")
        commits.append(git(work, "rev-parse", "HEAD").strip())
    found = Repos(tmp_path / "nova.git", tmp_path / "libvirt-team.git", base, *commits)
    for bare in (found.upstream, found.fork):
        git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
        git(bare, "update-ref", "refs/heads/master", base)
        found.move(bare, found.head)
    return found


@pytest.fixture
def forge(forge_server: FakeForge, repos: Repos) -> FakeForge:
    """The fake forge, strict, on the real repositories, with the fake clock."""
    forge_server.strict = True
    forge_server.clock = Clock()
    forge_server.add_repo("nova/nova", repos.upstream, writers=(BOT,))
    forge_server.add_repo("libvirt-team/nova", repos.fork, fork_of="nova/nova")
    return forge_server


def pull_message(
    head: str, branch: str = BRANCH, *, body: str = "Please pull.", message_id: str = MESSAGE_ID
) -> PullMessage:
    return PullMessage(
        subsystem="libvirt",
        subject="[GIT PULL] LIBVIRT DRIVER for main 2026-11-22",
        body_text=body,
        body_markdown=body,
        tag="libvirt-for-main-2026-11-22",
        url="https://git.example.org/libvirt.git",
        head=head,
        base="2" * 40,
        head_branch=branch,
        base_branch="master",
        sender=None,
        to=("top@example.org",),
        cc=(),
        message_id=message_id,
    )


def settings(
    forge: FakeForge,
    kind: str,
    *,
    repo: str = "nova/nova",
    fork: str | None = None,
    attempts: int = 4,
    timeout: float = 5.0,
) -> ForgeSettings:
    url = forge.github_url if kind == "github" else forge.gitea_url
    owner, _, name = (fork or "").partition("/")
    return ForgeSettings(
        kind, url, repo, owner or None, name or None, timeout=timeout, max_attempts=attempts
    )


def client(
    forge: FakeForge,
    kind: str = "github",
    *,
    credential: Credential | None = None,
    budget: RetryBudget | None = None,
    repo: str = "nova/nova",
    fork: str | None = None,
    attempts: int = 4,
    timeout: float = 5.0,
) -> ForgeClient:
    """A client on the forge's clock whose retries wait 0.5, 1, 2 … seconds."""
    clock = forge.clock
    if not isinstance(clock, Clock):
        clock = Clock()
        forge.clock = clock
    chosen = settings(forge, kind, repo=repo, fork=fork, attempts=attempts, timeout=timeout)
    return ForgeClient(
        chosen,
        credential or Credential(TOKEN),
        sleep=clock.sleep,
        clock=clock,
        base_delay=0.5,
        budget=budget,
    )


def sleeps(forge: FakeForge) -> list[float]:
    assert isinstance(forge.clock, Clock)
    return forge.clock.sleeps
