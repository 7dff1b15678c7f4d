"""A commit's files as git's plumbing reads them: what judging ownership needs.

Two questions only (a file's content, whether a path is a directory), each answered by
one git process the first time it is asked.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from treemerge.gitio.run import decode_path, run_git

BATCH_CHECK = ("cat-file", "--batch-check")
READ = ("cat-file", "--batch")


def file_query(rev: str, path: str) -> bytes:
    """READ's input asking for the file at `path` (which holds no newline)."""
    return f"{rev}:{path}\n".encode("utf-8", "surrogateescape")


def directory_query(rev: str, paths: Iterable[str]) -> tuple[list[str], bytes]:
    """The paths to ask about (each once, sorted) and BATCH_CHECK's input asking them."""
    asked = sorted({p.rstrip("/") for p in paths if p.rstrip("/") and "\n" not in p})
    return asked, "".join(f"{rev}:{p}\n" for p in asked).encode("utf-8", "surrogateescape")


class TreeAt:
    """The tree of one commit of a repository."""

    def __init__(self, repo: Path, rev: str) -> None:
        self.repo = repo
        self.rev = rev
        self._directories: set[str] | None = None
        self._answers: dict[str, bool] = {}

    def read(self, path: str) -> bytes | None:
        """The content of the file at `path`, or None when there is no such file."""
        if "\n" in path or not path:
            return None
        out = run_git(READ, cwd=self.repo, input=file_query(self.rev, path), where=self.rev)
        header, _, rest = out.partition(b"\n")
        fields = header.split()
        if len(fields) != 3 or fields[1] != b"blob":
            return None
        return rest[: int(fields[2])]

    def learn_directories(self, paths: Iterable[str]) -> None:
        """Ask git once whether each of `paths` is a directory (questions that
        `is_dir` will then answer without another process)."""
        asked, lines = directory_query(self.rev, paths)
        if not asked:
            return
        out = run_git(BATCH_CHECK, cwd=self.repo, input=lines, where=self.rev)
        answers = out.decode("utf-8", "surrogateescape").split("\n")
        for path, answer in zip(asked, answers, strict=False):
            fields = answer.rsplit(" ", 2)  # "<oid> <type> <size>" or "<name> missing"
            self._answers[path] = len(fields) == 3 and fields[1] == "tree" and fields[2].isdigit()

    def is_dir(self, path: str) -> bool:
        known = self._answers.get(path.rstrip("/"))
        if known is not None:
            return known
        if self._directories is None:
            out = run_git(
                ["ls-tree", "-r", "-d", "-z", "--name-only", self.rev],
                cwd=self.repo,
                where=self.rev,
            )
            self._directories = {decode_path(p) for p in out.split(b"\0") if p}
        return path.rstrip("/") in self._directories
