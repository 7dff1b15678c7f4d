"""What a conflicting merge looks like, for the people who must resolve it: each
conflicted path's blob on both sides, git's CONFLICT messages about it, and the file as
`git merge-tree --write-tree` leaves it, conflict markers and all.

One `git merge-tree` and one `git cat-file` a merge, both in a scratch object
directory (`merge.scratch_objects`): the workspace keeps nothing of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from treemerge.gitio.merge import scratch_objects
from treemerge.gitio.objects import Mode, ObjectStore, oid_from_hex
from treemerge.gitio.run import decode_path, git_call

# A merged file larger than this is not read for its conflict markers.
MAX_MERGED_BYTES = 4 * 1024 * 1024
STAGES = {b"1": 0, b"2": 1, b"3": 2}  # base, ours, theirs


class ConflictedFile(NamedTuple):
    path: str
    blobs: tuple[str, str, str]  # (base, ours, theirs); "" where that side has none
    messages: tuple[str, ...]  # git's CONFLICT lines naming the path
    merged: bytes | None  # the file as the merge left it; None: no regular file there


class MergeOutput(NamedTuple):
    tree: str
    blobs: dict[str, list[str]]  # path: [base, ours, theirs]
    messages: dict[str, list[str]]  # path: git's messages


def conflicted_files(repo: Path, ours: str, theirs: str, *, where: str) -> list[ConflictedFile]:
    """The conflicted files of merging `theirs` into `ours`, in git's order (none when
    the merge is clean)."""
    args = ["merge-tree", "--write-tree", "-z", ours, theirs]
    with scratch_objects(repo) as env:
        code, out = git_call(args, cwd=repo, where=where, ok=(0, 1), env=env)
        if code == 0:
            return []
        parsed = parse_merge_tree(out)
        with ObjectStore(repo, hash_length=len(parsed.tree), env=env) as store:
            merged = _merged_files(store, parsed.tree, list(parsed.blobs))
    return [
        ConflictedFile(
            path,
            (blobs[0], blobs[1], blobs[2]),
            tuple(parsed.messages.get(path, ())),
            merged[path],
        )
        for path, blobs in parsed.blobs.items()
    ]


def _merged_files(store: ObjectStore, tree: str, paths: list[str]) -> dict[str, bytes | None]:
    root = oid_from_hex(tree)
    entries = {p: store.lookup(root, p.encode("utf-8", "surrogateescape")) for p in paths}
    wanted = [
        (path, entry.oid.hex())
        for path, entry in entries.items()
        if entry is not None and entry.mode in (Mode.FILE, Mode.EXECUTABLE)
    ]
    found: dict[str, bytes | None] = dict.fromkeys(paths)
    for (path, _), read in zip(wanted, store.read_many([oid for _, oid in wanted]), strict=True):
        if read is not None and read[0] == "blob" and len(read[1]) <= MAX_MERGED_BYTES:
            found[path] = read[1]
    return found


def parse_merge_tree(out: bytes) -> MergeOutput:
    """`git merge-tree --write-tree -z` output: the tree, the conflicted file info
    ("<mode> <object> <stage>\\t<path>" each), then the informational messages
    ("<count>", that many paths, "<type>", "<message>" each)."""
    fields = iter(out.split(b"\0"))
    tree = next(fields).decode("ascii").strip()
    blobs: dict[str, list[str]] = {}
    for entry in iter(fields.__next__, b""):
        info, _, raw = entry.partition(b"\t")
        _mode, oid, stage = info.split(b" ")
        blobs.setdefault(decode_path(raw), ["", "", ""])[STAGES[stage]] = oid.decode("ascii")
    messages: dict[str, list[str]] = {}
    for paths, kind, message in _messages(fields):
        if kind.startswith("CONFLICT"):
            for path in paths:
                messages.setdefault(path, []).append(message.strip())
    return MergeOutput(tree, blobs, messages)


def _messages(fields: Iterator[bytes]) -> Iterator[tuple[list[str], str, str]]:
    for count in fields:
        if not count:
            return
        paths = [decode_path(next(fields)) for _ in range(int(count))]
        kind = next(fields).decode("utf-8", "replace")
        message = next(fields).decode("utf-8", "surrogateescape")
        yield paths, kind, message
