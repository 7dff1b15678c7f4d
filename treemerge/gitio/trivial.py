"""Merges whose result is known without asking git to merge again.

Two cases, each decided conservatively (in any doubt the answer is None, and the
caller lets `git merge-tree` merge):

`trivial_merge`: the incoming work touches only paths our side left as they were in
the merge base. With a single merge base B, git (merge-ort) gives a path one side left
as in B the other side's version: the result is our side with that work laid on top.

`carried_merge`: git has already merged the incoming work into the upstream (one
`git merge-tree --stdin` does that for every tree at once), and our side is the
upstream plus other work. When that other work and the merge touch disjoint paths,
git merging the incoming work into our side does, path by path, what it did merging
it into the upstream: the result is our side plus the changes that merge made.

What can still make git's answer differ is rename detection, which can move a change
from one path to another. The checks below refuse every case where it could:
  * a directory the incoming side removed entirely (a directory rename there carries
    files the other side added to it along) must be as the reference left it;
  * no path the incoming side adds may be below a directory that the merge base had
    and our side no longer has (a directory rename on our side), nor below a file;
  * for a carried merge, every path the incoming side changed must still be in the
    upstream (else the upstream renamed it, and what our side adds could change
    which file git sees it renamed to).
`survey` reads, in one git process, what the checks need to know about every tree's
pending work.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from treemerge.core.errors import GitError
from treemerge.gitio.objects import (
    TREE_MODE,
    ObjectStore,
    Oid,
    TreeEntries,
    TreeEntry,
    canonical_mode,
    is_tree,
    oid_from_hex,
)
from treemerge.gitio.run import start_git

Change = tuple[TreeEntry | None, TreeEntry | None]  # a path's entry (None: none) before, after


class Pending(NamedTuple):
    """A commit's work the upstream does not have yet."""

    commits: frozenset[str]  # reachable from the commit, not from the upstream
    boundary: frozenset[str]  # their parents that the upstream has
    paths: frozenset[bytes]  # every file any of them changed (against its first parent)
    # The one commit under them (the only parent the upstream has, and where the first
    # parents lead), or None; with it, every path whose entry differs between it and
    # the commit, files and the directories above them.
    base: str | None
    delta: dict[bytes, Change]


def survey(repo: Path, upstream: str, heads: Iterable[str]) -> dict[str, Pending]:
    """For each of `heads` (commits), the work it has that `upstream` lacks."""
    return Survey(repo).read(upstream, heads)


class Survey:
    """What `survey` asks of git: one `git log`, whose raw diffs (of files and the
    directories above them, each commit against its first parent) say what changed.
    git starts with the constructor, and is told what to read by `read`."""

    ARGS = (
        *("log", "--stdin", "-z", "-t", "--raw", "--no-renames", "--no-abbrev"),
        *("--diff-merges=first-parent", "--format=%H %P"),
    )

    def __init__(self, repo: Path) -> None:
        self._process = start_git(self.ARGS, cwd=repo, where="next")

    def read(self, upstream: str, heads: Iterable[str]) -> dict[str, Pending]:
        """Each of `heads` (commits the repository has) with its work."""
        wanted = list(dict.fromkeys(heads))
        request = "".join(f"{head}\n" for head in [*wanted, f"^{upstream}"]).encode()
        out, err = self._process.communicate(request)
        if self._process.returncode != 0:
            said = err.decode("utf-8", "replace")
            raise GitError(list(self.ARGS), self._process.returncode, said, where="next")
        return _parse_log(out, wanted)

    def close(self) -> None:
        """Stop git when the answer is not wanted after all."""
        if self._process.returncode is None:
            self._process.kill()
            self._process.communicate()


def _parse_log(out: bytes, heads: list[str]) -> dict[str, Pending]:
    parents: dict[str, list[str]] = {}
    changed: dict[str, dict[bytes, list[TreeEntry | None]]] = {}
    raw: dict[bytes, list[TreeEntry | None]] = {}
    fields = out.split(b"\0")
    i = 0
    while i < len(fields):
        field = fields[i].lstrip(b"\n")
        if field.startswith(b":"):  # ":<mode> <mode> <id> <id> <status>", then the path
            old_mode, new_mode, old_id, new_id, _ = field[1:].split(b" ")
            old, new = _entry(old_mode, old_id), _entry(new_mode, new_id)
            # A path can be listed twice (a directory replaced by a file): one change.
            known = raw.setdefault(fields[i + 1], [None, None])
            known[0] = known[0] or old
            known[1] = known[1] or new
            i += 2
            continue
        if field:  # "<commit> <parent>..."
            commit, *its_parents = field.decode("ascii").split()
            parents[commit] = its_parents
            raw = changed[commit] = {}
        i += 1
    return {head: _pending(head, parents, changed) for head in heads}


def _entry(mode: bytes, oid: bytes) -> TreeEntry | None:
    number = int(mode, 8)
    return TreeEntry(canonical_mode(number), oid_from_hex(oid.decode("ascii"))) if number else None


def _pending(
    head: str,
    parents: Mapping[str, list[str]],
    changed: Mapping[str, Mapping[bytes, list[TreeEntry | None]]],
) -> Pending:
    commits: set[str] = set()
    boundary: set[str] = set()
    paths: set[bytes] = set()
    todo = [head] if head in parents else []
    while todo:
        commit = todo.pop()
        if commit in commits:
            continue
        commits.add(commit)
        paths.update(p for p, (old, new) in changed[commit].items() if _holds_file(old, new))
        for parent in parents[commit]:
            if parent in parents:
                todo.append(parent)
            else:
                boundary.add(parent)
    base = next(iter(boundary)) if len(boundary) == 1 else None
    delta: dict[bytes, Change] = {}
    if base is not None:
        # Along the first parents down to the base, each path's entry before the
        # oldest change to it and after the newest.
        before: dict[bytes, TreeEntry | None] = {}
        after: dict[bytes, TreeEntry | None] = {}
        step = head
        while step in commits:
            for path, (old, new) in changed[step].items():
                after.setdefault(path, new)
                before[path] = old
            step = parents[step][0] if parents[step] else ""
        if step == base:
            delta = {p: (before[p], new) for p, new in after.items() if before[p] != new}
        else:  # (the first parents end in a history of their own)
            base = None
    return Pending(frozenset(commits), frozenset(boundary), frozenset(paths), base, delta)


def _holds_file(old: TreeEntry | None, new: TreeEntry | None) -> bool:
    return (old is not None and old[0] != TREE_MODE) or (new is not None and new[0] != TREE_MODE)


class NotTrivial(Exception):
    """The merge needs git's judgement."""


class PathSet(NamedTuple):
    """Paths, with every directory above them: what two sets of changes meet on."""

    files: frozenset[bytes]
    directories: frozenset[bytes]

    @classmethod
    def of(cls, paths: Iterable[bytes]) -> PathSet:
        files = frozenset(paths)
        above = {p[:i] for p in files for i in range(len(p)) if p[i] == 0x2F}  # "/"
        return cls(files, frozenset(above))

    def meets(self, other: PathSet) -> bool:
        """The same path, or a path of one where the other changes something below."""
        return bool(
            self.files & other.files
            or self.files & other.directories
            or self.directories & other.files
        )

    def __or__(self, other: PathSet) -> PathSet:
        return PathSet(self.files | other.files, self.directories | other.directories)


NOTHING = PathSet(frozenset(), frozenset())


class Merged(NamedTuple):
    tree: Oid  # written to the store
    changed: frozenset[bytes]  # the paths where it differs from our side


def trivial_merge(store: ObjectStore, ours: Oid, delta: Mapping[bytes, Change]) -> Merged | None:
    """Merging work whose net change since the only merge base is `delta`
    (`Pending.delta`) into the tree `ours`, when that is provably trivial; None when
    git must decide."""
    changes = _trivial_changes(store, ours, delta)
    if changes is None:
        return None
    if not changes:
        return Merged(ours, frozenset())
    return _merged(store, ours, changes)


def is_trivial(store: ObjectStore, ours: Oid, delta: Mapping[bytes, Change]) -> bool:
    """Whether `trivial_merge` would merge (without writing anything)."""
    return _trivial_changes(store, ours, delta) is not None


def _trivial_changes(
    store: ObjectStore, ours: Oid, delta: Mapping[bytes, Change]
) -> dict[bytes, TreeEntry | None] | None:
    files = _files(delta)
    for path, (before, _) in files.items():
        if store.lookup(ours, path) != before:
            return None  # both sides changed it
    if not _directories_allow(store, ours, delta, files, reference=None):
        return None
    return {path: after for path, (_, after) in files.items()}


def carried_merge(
    store: ObjectStore,
    ours: Oid,
    delta: Mapping[bytes, Change],
    *,
    upstream: Oid,
    changes: Mapping[bytes, TreeEntry | None],
    ours_changed: PathSet,
) -> Merged | None:
    """Merging work whose net change since the only merge base is `delta` into the
    tree `ours`, when ours is the tree `upstream` changed at no path but
    `ours_changed`, and `changes` are what git's clean merge of the work into
    `upstream` (from the same merge base) changed there (`tree_changes`). None when
    that merge cannot be carried over (git must decide)."""
    files = _files(delta)
    if ours_changed.meets(PathSet.of([*files, *changes])):
        return None
    for path, (before, _) in files.items():
        if before is not None and store.lookup(upstream, path) is None:
            return None  # the upstream renamed or removed what theirs changed
    if not _directories_allow(store, ours, delta, files, reference=upstream):
        return None
    for path, after in changes.items():
        if after is not None and not _lands(store, ours, upstream, path):
            return None
    return _merged(store, ours, changes)


def _files(delta: Mapping[bytes, Change]) -> dict[bytes, Change]:
    """The changes of `delta` to anything but a directory staying a directory."""
    return {path: change for path, change in delta.items() if _holds_file(*change)}


def tree_changes(store: ObjectStore, old: Oid, new: Oid) -> dict[bytes, TreeEntry | None]:
    """Where the tree `new` differs from the tree `old`: path -> the entry `new` has
    there (None: none). A path that is a directory on one side only is one change."""
    return tree_changes_many(store, [(old, new)])[0]


def tree_changes_many(
    store: ObjectStore, pairs: Sequence[tuple[Oid, Oid]]
) -> list[dict[bytes, TreeEntry | None]]:
    """`tree_changes` of each (old, new) pair, the trees read a level at a time."""
    found: list[dict[bytes, TreeEntry | None]] = [{} for _ in pairs]
    level = [(old, new, b"", changes) for (old, new), changes in zip(pairs, found, strict=True)]
    while level:
        store.load_trees(oid for old, new, _, _ in level for oid in (old, new))
        below = []
        for old, new, prefix, changes in level:
            before, after = store.tree(old), store.tree(new)
            for name in before.keys() | after.keys():
                one, two = before.get(name), after.get(name)
                if one == two:
                    continue
                if one is not None and two is not None and one[0] == two[0] == TREE_MODE:
                    below.append((one[1], two[1], prefix + name + b"/", changes))
                else:
                    changes[prefix + name] = two
        level = below
    return found


def _merged(
    store: ObjectStore, ours: Oid, changes: Mapping[bytes, TreeEntry | None]
) -> Merged | None:
    try:
        tree = _apply(store, ours, _nest(changes)) or store.write_tree({})
    except NotTrivial:
        return None
    return Merged(tree, frozenset(changes))


def _directories_allow(
    store: ObjectStore,
    ours: Oid,
    delta: Mapping[bytes, Change],
    files: Mapping[bytes, Change],
    *,
    reference: Oid | None,
) -> bool:
    """No directory rename on either side can reach theirs' changes to `files`, and
    none of them lands below a file of ours. `reference` is the tree our side's
    changes that may meet theirs are counted from (None: the merge base; see the
    module's documentation)."""
    seen: set[bytes] = set()
    for path, (_, after) in files.items():
        end = path.rfind(b"/")
        while end > 0:
            directory = path[:end]
            end = path.rfind(b"/", 0, end)
            if directory in seen and after is None:
                continue
            seen.add(directory)
            change = delta.get(directory)
            if change is None:
                return False  # (every directory above a change changes too)
            before, theirs = change
            mine = store.lookup(ours, directory)
            if is_tree(before) and not is_tree(theirs):
                counted = before if reference is None else store.lookup(reference, directory)
                if mine != counted:
                    return False  # theirs removed a directory ours added to
            if after is not None:
                if mine is not None and not is_tree(mine):
                    return False  # a file of ours where theirs has a directory
                if is_tree(before) and not is_tree(mine):
                    return False  # ours removed (or renamed) the directory theirs adds to
    return True


def _lands(store: ObjectStore, ours: Oid, upstream: Oid, path: bytes) -> bool:
    """Whether an entry added at `path` lands in directories of ours as it did in the
    upstream: each one above it a directory in ours where it is one in the upstream,
    and none of them a file."""
    parts = path.split(b"/")
    for depth in range(1, len(parts)):
        directory = b"/".join(parts[:depth])
        mine = store.lookup(ours, directory)
        if mine is not None and not is_tree(mine):
            return False
        if mine is None and is_tree(store.lookup(upstream, directory)):
            return False
    return True


Nested = dict[bytes, "TreeEntry | Nested | None"]


def _nest(changes: Mapping[bytes, TreeEntry | None]) -> Nested:
    """Changes by path as nested directories. A change to a path replaces everything
    below it (it is the incoming side's whole entry there), so changes below a
    changed path are dropped."""
    root: Nested = {}
    for path in sorted(changes, key=lambda p: p.count(b"/")):
        *directories, name = path.split(b"/")
        level = root
        for directory in directories:
            below = level.setdefault(directory, {})
            if not isinstance(below, dict):
                break  # below a path changed as a whole
            level = below
        else:
            level[name] = changes[path]
    return root


def _apply(store: ObjectStore, tree: Oid | None, changes: Nested) -> Oid | None:
    """`tree` (None: an empty one) with `changes` made; None when nothing is left."""
    entries: TreeEntries = dict(store.tree(tree)) if tree is not None else {}
    for name, change in changes.items():
        if isinstance(change, dict):
            current = entries.get(name)
            if current is not None and current.mode != TREE_MODE:
                raise NotTrivial(name)
            below = _apply(store, current.oid if current else None, change)
            if below is None:
                entries.pop(name, None)
            else:
                entries[name] = TreeEntry(TREE_MODE, below)
        elif change is None:
            entries.pop(name, None)
        else:
            entries[name] = change
    if not entries:
        return None
    return store.write_tree(entries)
