"""Refs of a tree on this machine read from its files: the answer `git ls-remote`
gives, or None (ask git) for whatever is not plainly laid out."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import git, make_repo
from treemerge.gitio.localrefs import local_refs

REFS = ["refs/heads/master", "refs/heads/side", "refs/notes/review", "refs/heads/absent"]


def ls_remote(repo: Path) -> dict[str, str]:
    out = git(repo, "ls-remote", str(repo), *REFS)
    return {ref: sha for sha, ref in (line.split("\t") for line in out.splitlines())}


@pytest.fixture
def bare(tmp_path: Path) -> Path:
    work = make_repo(tmp_path / "work", {"a": "a\n"})
    git(work, "branch", "side")
    git(work, "notes", "--ref=review", "add", "-m", "Code-Review+2", "HEAD")
    repo = tmp_path / "tree.git"
    git(tmp_path, "clone", "-q", "--mirror", str(work), str(repo))
    return repo


def test_packed_and_loose_refs_read_as_git_reads_them(bare: Path) -> None:
    assert local_refs(str(bare), REFS) == ls_remote(bare)  # (a clone's refs are packed)
    moved = git(bare, "commit-tree", "-p", "HEAD", "-m", "moved", "HEAD^{tree}").strip()
    git(bare, "update-ref", "refs/heads/side", moved)  # now loose, shadowing packed-refs
    found = local_refs(str(bare), REFS)
    assert found == ls_remote(bare)
    assert found["refs/heads/side"] == moved


def test_a_work_trees_repository_is_read_too(tmp_path: Path) -> None:
    work = make_repo(tmp_path / "work", {"a": "a\n"})
    assert local_refs(str(work), REFS) == ls_remote(work)


def test_what_is_not_plain_is_left_to_git(bare: Path, tmp_path: Path) -> None:
    git(bare, "symbolic-ref", "refs/heads/side", "refs/heads/master")
    assert local_refs(str(bare), REFS) is None
    git(bare, "update-ref", "-d", "--no-deref", "refs/heads/side")
    (bare / "refs" / "heads" / "side").symlink_to(tmp_path / "elsewhere")
    assert local_refs(str(bare), REFS) is None
    assert local_refs(str(tmp_path / "nothing"), REFS) is None
    assert local_refs(str(bare), ["refs/heads/../../config"]) is None
