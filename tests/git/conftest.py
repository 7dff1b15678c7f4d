"""Real repositories shared by the git tests (built once per session with fast-import)."""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

import pytest

from treemerge.core.maintainers_file import parse_maintainers
from treemerge.core.matcher import OwnershipIndex
from treemerge.gitio.fastimport import checkout_of_paths

# The real MAINTAINERS and path list of Linux 3.6, compressed (tests/data/README.md).
LINUX = Path(__file__).resolve().parents[1] / "data" / "linux-3.6"


@functools.cache
def linux_file(name: str) -> bytes:
    """One of the Linux 3.6 data files (MAINTAINERS, files.txt), uncompressed."""
    return gzip.decompress((LINUX / f"{name}.gz").read_bytes())


def linux_paths() -> list[str]:
    return [p for p in linux_file("files.txt").decode().split("\n") if p]


def linux_directories() -> set[str]:
    paths = linux_paths()
    return {p[:i] for p in paths for i in range(len(p)) if p[i] == "/"}


@pytest.fixture(scope="session")
def linux_index() -> OwnershipIndex:
    """The Linux 3.6 MAINTAINERS compiled against the tree's directories."""
    ownership = parse_maintainers(linux_file("MAINTAINERS"), "MAINTAINERS")
    return OwnershipIndex(ownership, linux_directories().__contains__)


@pytest.fixture(scope="session")
def linux_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkout of the Linux 3.6 tree: every path (empty files) and the real MAINTAINERS."""
    repo = tmp_path_factory.mktemp("linux") / "linux"
    return checkout_of_paths(repo, linux_paths(), {"MAINTAINERS": linux_file("MAINTAINERS")})
