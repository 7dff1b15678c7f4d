"""Real repositories shared by the git tests (built once per session with fast-import)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import SHARED_DATA
from treemerge.core.maintainers_file import parse_maintainers
from treemerge.core.matcher import OwnershipIndex
from treemerge.gitio.fastimport import checkout_of_paths

LINUX = SHARED_DATA / "linux-3.6"


def linux_paths() -> list[str]:
    return [p for p in (LINUX / "files.txt").read_text().split("\n") if p]


def linux_directories() -> set[str]:
    paths = linux_paths()
    return {p[:i] for p in paths for i in range(len(p)) if p[i] == "/"}


@pytest.fixture(scope="session")
def linux_index() -> OwnershipIndex:
    """The Linux 3.6 MAINTAINERS compiled against the tree's directories."""
    ownership = parse_maintainers((LINUX / "MAINTAINERS").read_bytes(), "MAINTAINERS")
    return OwnershipIndex(ownership, linux_directories().__contains__)


@pytest.fixture(scope="session")
def linux_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkout of the Linux 3.6 tree: every path (empty files) and the real MAINTAINERS."""
    if not (LINUX / "files.txt").is_file():
        pytest.skip(f"the Linux 3.6 data is not at {LINUX}")
    repo = tmp_path_factory.mktemp("linux") / "linux"
    maintainers = (LINUX / "MAINTAINERS").read_bytes()
    return checkout_of_paths(repo, linux_paths(), {"MAINTAINERS": maintainers})
