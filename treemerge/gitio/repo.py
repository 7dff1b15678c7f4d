"""A git repository the user points treemerge at (for `who`, `maintainers lint` and
`export`): found as git finds it, its trees read through the one object layer."""

from __future__ import annotations

from pathlib import Path

from treemerge.core.errors import GitError, RepositoryError
from treemerge.gitio.objects import ObjectStore
from treemerge.gitio.run import git_call, run_git
from treemerge.gitio.treeat import TreeAt


class Repository:
    """The repository at or above `path` (its work tree, if it has one)."""

    def __init__(self, path: Path | str = ".") -> None:
        start = Path(path)
        try:
            out = run_git(["rev-parse", "--absolute-git-dir"], cwd=start)
        except GitError:
            raise RepositoryError(f"not a git repository: {start.resolve()}") from None
        self.path = Path(out.decode("utf-8", "surrogateescape").strip())
        code, top = git_call(["rev-parse", "--show-toplevel"], cwd=start, ok=(0, 128))
        text = top.decode("utf-8", "surrogateescape").strip()
        self.workdir = Path(text) if code == 0 and text else None

    def tree(self, rev: str) -> TreeAt:
        """The tree of commit (or tree-ish) `rev`."""
        code, out = git_call(
            ["rev-parse", "-q", "--verify", "--end-of-options", f"{rev}^{{tree}}"],
            cwd=self.path,
            ok=(0, 1, 128),
        )
        oid = out.decode("ascii", "replace").strip()
        if code != 0 or not oid:
            raise RepositoryError(f"{rev!r} is not a revision of {self.path}")
        store = ObjectStore(self.path, hash_length=len(oid))
        return TreeAt(self.path, oid, store=store, name=rev)
