"""Merges without a work tree: `git merge-tree --write-tree` (git's C code, milliseconds)."""

from __future__ import annotations

import contextlib
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, NamedTuple

from treemerge.core.errors import GitError
from treemerge.gitio.run import DEVNULL, GitProcess, decode_path, git_call, run_git, start_git


class MergeResult(NamedTuple):
    tree: str
    conflicts: tuple[str, ...]

    @property
    def clean(self) -> bool:
        return not self.conflicts


@contextlib.contextmanager
def scratch_objects(repo: Path) -> Iterator[Mapping[str, str]]:
    """The environment of a git command whose objects are thrown away: it writes into
    an object directory of its own, which has the repository's as its alternate (what
    git's own quarantine does), removed when the block ends. For trial merges whose
    trees nothing will name: the workspace keeps none of them."""
    with tempfile.TemporaryDirectory(prefix="treemerge-trial-") as objects:
        yield {
            "GIT_OBJECT_DIRECTORY": objects,
            "GIT_ALTERNATE_OBJECT_DIRECTORIES": str(Path(repo, "objects").resolve()),
        }


def merge_tree(
    repo: Path, ours: str, theirs: str, *, where: str = "", trial: bool = False
) -> MergeResult:
    """The tree a merge of `theirs` into `ours` would have, and the paths that conflict.
    A `trial` merge keeps nothing it wrote (its tree is gone with it): for conflicts."""
    args = ["merge-tree", "--write-tree", "-z", "--name-only", "--no-messages", ours, theirs]
    with contextlib.ExitStack() as stack:
        env = stack.enter_context(scratch_objects(repo)) if trial else None
        code, out = git_call(args, cwd=repo, where=where, ok=(0, 1), env=env)
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


def _write_all(into: IO[bytes], data: bytes) -> None:
    with contextlib.suppress(BrokenPipeError), into:
        into.write(data)  # (git gone already: its exit status says so)


# Requests up to this size are written to git's pipe at once, without blocking.
PIPE_SAFE = 16 * 1024
# Integration commits are throw-away (like linux-next's): one fixed identity.
INTEGRATION_SIGNATURE = ("treemerge next", "next@treemerge.invalid")


# Many merges by one git: a line "OURS THEIRS" per merge, answered in order.
BATCH = ("merge-tree", "--write-tree", "--stdin", "-z", "--name-only", "--no-messages")


def batch_input(pairs: Sequence[tuple[str, str]]) -> bytes:
    return "".join(f"{ours} {theirs}\n" for ours, theirs in pairs).encode("ascii")


class MergeBatch:
    """Many merges by one `git merge-tree --stdin`, running while the caller goes on:
    git starts at once, the pairs (ours, theirs, as for `merge_tree`) are given with
    the constructor or later to `feed`, and `results()` waits for the merges. Objects
    they write are in the repository when `results()` returns; for `trial` merges they
    are thrown away (`scratch_objects`), only the conflicts are kept."""

    def __init__(
        self,
        repo: Path,
        pairs: Sequence[tuple[str, str]] | None = None,
        *,
        where: str = "",
        trial: bool = False,
    ) -> None:
        self.repo = repo
        self.pairs: list[tuple[str, str]] = []
        self.where = where
        self.trial = trial
        self._scratch = contextlib.ExitStack()
        self._process: GitProcess | None = None
        self._fed = False
        self._results: list[MergeResult] | None = []
        self._writer: threading.Thread | None = None
        if pairs is None or pairs:
            self._process = self._start()
        if pairs is not None:
            self.feed(pairs)

    def feed(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Give git the pairs to merge (once)."""
        if self._fed:
            raise ValueError("the batch has its pairs already")
        self._fed = True
        self.pairs = list(pairs)
        if self._process is None:
            return
        assert self._process.stdin is not None
        lines = batch_input(self.pairs)
        if len(lines) <= PIPE_SAFE:  # fits in the pipe: written at once
            _write_all(self._process.stdin, lines)
        else:  # written while git answers (which it may wait for us to read)
            self._writer = threading.Thread(
                target=_write_all, args=(self._process.stdin, lines), daemon=True
            )
            self._writer.start()

    def _start(self) -> GitProcess:
        env = self._scratch.enter_context(scratch_objects(self.repo)) if self.trial else None
        return start_git(BATCH, cwd=self.repo, stderr=DEVNULL, env=env, where=self.where)

    def close(self) -> None:
        """Stop the batch when its results are not wanted after all."""
        if self._process is not None:
            assert self._process.stdin is not None
            with contextlib.suppress(OSError):
                self._process.stdin.close()
            assert self._process.stdout is not None
            self._process.kill()
            self._process.wait()
            self._process.stdout.close()
            self._process = None
        self._scratch.close()

    def results(self) -> list[MergeResult] | None:
        """Each pair's merge, in order; None when git refused one of them (which stops
        the whole batch: `merge_tree` on that pair says why)."""
        if self._process is not None:
            assert self._process.stdout is not None
            if not self._fed:
                self.feed([])
            with self._process.stdout as answers:
                out = answers.read()
            if self._writer is not None:
                self._writer.join()
            failed = self._process.wait() != 0
            self._process = None
            self._scratch.close()
            self._results = None if failed else self._parse(out)
        return self._results

    def merged(self) -> list[MergeResult]:
        """Each pair's merge: the batch's, or, when git refused a pair, one `merge_tree`
        per pair (which raises for the refused one, saying why)."""
        results = self.results()
        if results is None:
            results = [
                merge_tree(self.repo, a, b, where=self.where, trial=self.trial)
                for a, b in self.pairs
            ]
        return results

    def _parse(self, out: bytes) -> list[MergeResult]:
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
