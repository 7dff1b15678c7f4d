"""A revision's files, as judging ownership needs them: a file's content, whether a path
is a directory, every path of the tree.

Objects are read through the one object layer (treemerge.gitio.objects.ObjectStore: a
single `git cat-file --batch-command` for the whole command); the two listings, every
directory and every path, are one `git ls-tree` each, asked at most once.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from treemerge.gitio.objects import ObjectStore
from treemerge.gitio.run import decode_path, run_git


class TreeAt:
    """The tree of one revision (`rev`: a commit or tree, any name git resolves) of the
    repository at `repo` (its git directory); `name` is how messages call it (`rev`
    when not given)."""

    def __init__(
        self, repo: Path, rev: str, *, store: ObjectStore | None = None, name: str | None = None
    ) -> None:
        self.repo = repo
        self.rev = name or rev
        self._at = rev
        self._store = store or ObjectStore(repo)
        self._directories: set[str] | None = None
        self._answers: dict[str, bool] = {}

    def read(self, path: str) -> bytes | None:
        """The content of the file at `path`, or None when there is no such file."""
        if "\n" in path or not path:
            return None
        found = self._store.read(f"{self._at}:{path}")
        return found[1] if found is not None and found[0] == "blob" else None

    def learn_directories(self, paths: Iterable[str]) -> None:
        """Ask git once whether each of `paths` is a directory (questions that `is_dir`
        then answers without asking again)."""
        asked = sorted({p.rstrip("/") for p in paths if p.rstrip("/") and "\n" not in p})
        found = self._store.info_many([f"{self._at}:{p}" for p in asked])
        for path, info in zip(asked, found, strict=True):
            self._answers[path] = info is not None and info[1] == "tree"

    def is_dir(self, path: str) -> bool:
        known = self._answers.get(path.rstrip("/"))
        if known is not None:
            return known
        if self._directories is None:
            self._directories = set(self._listing("-d"))
        return path.rstrip("/") in self._directories

    def paths(self) -> list[str]:
        """Every file (and symlink and submodule) path of the tree, in git's order."""
        return self._listing()

    def _listing(self, *options: str) -> list[str]:
        args = ["ls-tree", "-r", "-z", "--name-only", *options, self._at]
        out = run_git(args, cwd=self.repo, where=self.rev)
        return [decode_path(p) for p in out.split(b"\0") if p]

    def close(self) -> None:
        self._store.close()
