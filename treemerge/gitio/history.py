"""History questions answered in process (pygit2) or by one git plumbing call per range.

Merge bases, ahead/behind, pending commits and the net diff come from libgit2; which
commits touched which paths over a whole range comes from a single `git log --raw`,
whose C code is faster than diffing commit by commit in Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pygit2
from pygit2.enums import DeltaStatus, DiffFind, SortMode

from treemerge.core.changes import Change, CommitInfo
from treemerge.core.errors import RepositoryError
from treemerge.gitio.repo import decode_path
from treemerge.gitio.run import run_git

# Above this many paths, `git log` reads the whole range instead of taking pathspecs.
MAX_PATHSPECS = 1000

STATUS = {
    DeltaStatus.ADDED: "A",
    DeltaStatus.DELETED: "D",
    DeltaStatus.MODIFIED: "M",
    DeltaStatus.RENAMED: "R",
    DeltaStatus.COPIED: "C",
    DeltaStatus.TYPECHANGE: "T",
}


class History:
    """Read-only history queries on one repository (a workspace or any clone)."""

    def __init__(self, path: Path) -> None:
        try:
            self._repo = pygit2.Repository(str(path))
        except pygit2.GitError as exc:
            raise RepositoryError(f"cannot open repository {path}: {exc}") from None
        self.path = path

    def resolve(self, rev: str) -> str | None:
        """The commit id `rev` names, or None."""
        try:
            return str(self._repo.revparse_single(rev).peel(pygit2.Commit).id)
        except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError):
            return None

    def merge_base(self, one: str, two: str) -> str | None:
        found = self._repo.merge_base(one, two)
        return str(found) if found else None

    def ahead_behind(self, head: str, upstream: str) -> tuple[int, int]:
        """Commits `head` has that `upstream` lacks, and the other way round."""
        ahead, behind = self._repo.ahead_behind(head, upstream)
        return int(ahead), int(behind)

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        return ancestor == descendant or bool(self._repo.descendant_of(descendant, ancestor))

    def commit(self, sha: str) -> CommitInfo:
        return _info(self._repo[sha].peel(pygit2.Commit))

    def pending(self, upstream: str | None, head: str) -> list[CommitInfo]:
        """Commits reachable from `head` but not from `upstream`, oldest first."""
        walker = self._repo.walk(head, SortMode.TOPOLOGICAL | SortMode.REVERSE)
        if upstream is not None:
            walker.hide(upstream)
        return [_info(commit) for commit in walker]

    def first_parents(self, head: str, stop: str | None = None) -> list[CommitInfo]:
        """`head` and its first parents back to (not including) `stop`, newest first."""
        walker = self._repo.walk(head, SortMode.NONE)
        walker.simplify_first_parent()
        if stop is not None:
            walker.hide(stop)
        return [_info(commit) for commit in walker]

    def net_diff(self, base: str, head: str) -> list[Change]:
        """The change from `base` to `head`, renames detected (a rename touches two paths)."""
        diff = self._repo.diff(base, head)
        diff.find_similar(flags=DiffFind.FIND_RENAMES)
        changes = []
        for delta in diff.deltas:
            status = STATUS.get(delta.status, "M")
            new = decode_path(delta.new_file.raw_path)
            old = decode_path(delta.old_file.raw_path)
            changes.append(Change(status, new, old if status in ("R", "C") else None))
        return changes

    def commits_touching(self, base: str, head: str, paths: Iterable[str]) -> dict[str, list[str]]:
        """For each of `paths`, the commits of base..head that changed it, oldest first.

        One `git log --raw` over the range, limited to the paths when they are few enough
        to name (git then skips the rest of each tree); nothing runs for no paths.
        """
        wanted = sorted(set(paths))
        if not wanted:
            return {}
        args = ["log", "-z", "--raw", "--no-renames", "--no-abbrev", "--format=%H", "--reverse"]
        args.append(f"{base}..{head}")
        if len(wanted) <= MAX_PATHSPECS:
            args += ["--", *(f":(literal){p}" for p in wanted)]
        output = run_git(args, cwd=self.path, where=str(self.path))
        keep = set(wanted)
        touched: dict[str, list[str]] = {}
        for sha, path in _parse_raw_log(output):
            if path in keep:
                touched.setdefault(path, []).append(sha)
        return touched


def _info(commit: pygit2.Commit) -> CommitInfo:
    author = commit.author
    return CommitInfo(
        sha=str(commit.id),
        parents=tuple(str(p) for p in commit.parent_ids),
        author=f"{author.name} <{author.email}>",
        time=int(commit.commit_time),
        message=commit.message,
    )


def _parse_raw_log(output: bytes) -> Iterable[tuple[str, str]]:
    """(commit, path) pairs from `git log -z --raw --format=%H`.

    The stream is `SHA\\0` then, for each file, `\\n:meta\\0path\\0` (the first
    meta after a header starts with a newline). A path is always the token after a
    meta token, so no file name, however hostile, can pass for a commit.
    """
    tokens: Sequence[bytes] = output.split(b"\0")
    sha = ""
    i = 0
    while i < len(tokens):
        token = tokens[i].lstrip(b"\n")
        if token.startswith(b":"):
            if i + 1 < len(tokens):
                yield sha, decode_path(tokens[i + 1])
            i += 2
            continue
        if token:
            sha = token.decode("ascii", "replace")
        i += 1
