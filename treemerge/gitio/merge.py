"""Merges without a work tree: `git merge-tree --write-tree` (git's C code, milliseconds)."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from treemerge.core.errors import GitError
from treemerge.gitio.run import SAFE_OPTIONS, decode_path, git_call, git_env, run_git


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


class MergeBatch:
    """Many merges by one `git merge-tree --stdin`, running while the caller goes on;
    `results()` waits for them. Each pair is (ours, theirs), as for `merge_tree`."""

    def __init__(self, repo: Path, pairs: Sequence[tuple[str, str]], *, where: str = "") -> None:
        self.repo = repo
        self.pairs = list(pairs)
        self.where = where
        self._process: subprocess.Popen[bytes] | None = None
        if not self.pairs:
            return
        lines = "".join(f"{ours} {theirs}\n" for ours, theirs in self.pairs).encode("ascii")
        with tempfile.TemporaryFile() as requests:  # git reads it whole: no pipe to fill
            requests.write(lines)
            requests.seek(0)
            args = ["merge-tree", "--write-tree", "--stdin", "-z", "--name-only", "--no-messages"]
            self._process = subprocess.Popen(
                ["git", *SAFE_OPTIONS, *args],
                cwd=repo,
                stdin=requests,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=git_env(),
            )

    def results(self) -> list[MergeResult]:
        if self._process is None:
            return []
        out, _ = self._process.communicate()
        if self._process.returncode != 0:
            # One pair git refused stops the batch: merged one by one, the refusal is
            # reported for the pair it concerns.
            return [merge_tree(self.repo, a, b, where=self.where) for a, b in self.pairs]
        # Per merge: "<1 clean | 0 conflicts>", the tree, the conflicting paths, "".
        fields = iter(out.split(b"\0"))
        found = []
        for status in fields:
            if not status:
                break
            tree = next(fields).decode("ascii")
            paths = list(iter(fields.__next__, b""))
            conflicts = () if status == b"1" else tuple(dict.fromkeys(map(decode_path, paths)))
            found.append(MergeResult(tree, conflicts))
        if len(found) != len(self.pairs):
            raise GitError(["merge-tree", "--stdin"], 0, "unexpected output", where=self.where)
        return found
