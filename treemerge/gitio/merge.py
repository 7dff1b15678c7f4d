"""Merges without a work tree: `git merge-tree --write-tree` (git's C code, milliseconds)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from treemerge.gitio.repo import decode_path
from treemerge.gitio.run import git_call, run_git


@dataclass(frozen=True)
class MergeResult:
    tree: str
    conflicts: tuple[str, ...]

    @property
    def clean(self) -> bool:
        return not self.conflicts


def merge_tree(repo: Path, ours: str, theirs: str, *, where: str = "") -> MergeResult:
    """The tree a merge of `theirs` into `ours` would have, and the paths that conflict."""
    args = ["merge-tree", "--write-tree", "-z", "--name-only", "--no-messages", ours, theirs]
    code, out = git_call(args, cwd=repo, where=where, ok=(0, 1))
    tree, *paths = [p for p in out.split(b"\0") if p]
    conflicts = tuple(dict.fromkeys(decode_path(p) for p in paths)) if code == 1 else ()
    return MergeResult(tree.decode("ascii").strip(), conflicts)


def commit_tree(repo: Path, tree: str, parents: list[str], message: str, *, where: str = "") -> str:
    """A new commit object (author and committer from the user's git configuration)."""
    args = ["commit-tree", tree]
    for parent in parents:
        args += ["-p", parent]
    # Text from a tree that was not UTF-8 goes back out as the bytes it came in as.
    data = message.encode("utf-8", "surrogateescape")
    out = run_git([*args, "-F", "-"], cwd=repo, input=data, where=where)
    return out.decode("ascii").strip()


# Integration commits are throw-away (like linux-next's): one fixed identity.
INTEGRATION_SIGNATURE = ("treemerge next", "next@treemerge.invalid")


def integration_commit(repo: Path, tree: str, parents: list[str], message: str) -> str:
    """A merge commit object written in process (no subprocess: `next` makes many)."""
    import pygit2  # noqa: PLC0415 - only here

    handle = pygit2.Repository(str(repo))
    who = pygit2.Signature(*INTEGRATION_SIGNATURE)
    oid = handle.create_commit(
        None, who, who, message, pygit2.Oid(hex=tree), [pygit2.Oid(hex=p) for p in parents]
    )
    return str(oid)
