"""Read-only access to a repository's trees through pygit2 (libgit2, in process)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pygit2

from treemerge.core.errors import RepositoryError


class Repository:
    """A git repository, opened without running anything from it."""

    def __init__(self, path: Path | str = ".") -> None:
        found = pygit2.discover_repository(str(path))
        if found is None:
            raise RepositoryError(f"not a git repository: {Path(path).resolve()}")
        self._repo = pygit2.Repository(found)
        self.path = Path(self._repo.path)
        workdir = self._repo.workdir
        self.workdir = Path(workdir) if workdir else None

    def has_ref(self, name: str) -> bool:
        return name in self._repo.references

    def tree(self, rev: str) -> GitTree:
        """The tree of commit (or tree-ish) `rev`."""
        try:
            obj = self._repo.revparse_single(rev)
            tree = obj.peel(pygit2.Tree)
        except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError) as exc:
            raise RepositoryError(f"{rev!r} is not a revision of {self.path}: {exc}") from None
        return GitTree(tree, rev)


class GitTree:
    """A git tree at one revision: is a path a directory, what files does it hold."""

    def __init__(self, tree: pygit2.Tree, rev: str) -> None:
        self._tree = tree
        self.rev = rev

    def _entry(self, path: str) -> pygit2.Object | None:
        try:
            return self._tree[path]
        except (KeyError, ValueError):
            return None

    def is_dir(self, path: str) -> bool:
        entry = self._entry(path.rstrip("/"))
        return entry is not None and entry.type == pygit2.enums.ObjectType.TREE

    def read(self, path: str) -> bytes | None:
        """The content of the file at `path`, or None when there is no such file."""
        entry = self._entry(path)
        if entry is None or entry.type != pygit2.enums.ObjectType.BLOB:
            return None
        blob = entry.peel(pygit2.Blob)
        return bytes(blob.data)

    def paths(self) -> list[str]:
        """Every file (and symlink and submodule) path of the tree, in git's order."""
        return list(self._walk(self._tree, ""))

    def _walk(self, tree: pygit2.Tree, prefix: str) -> Iterator[str]:
        for entry in tree:
            name = prefix + (entry.name or "")
            if entry.type == pygit2.enums.ObjectType.TREE:
                yield from self._walk(entry.peel(pygit2.Tree), name + "/")
            else:
                yield name
