"""The one object layer: a repository's objects read and written through git.

Reading goes through one `git cat-file --batch-command --buffer` kept open for the
whole command: one process however many objects are asked for, and one round trip for
as many as are asked at once. Parsed trees are kept, so a directory shared by many
commits is read once. Writing goes through `git hash-object -w --stdin-paths`, one
process a kind of object: git checks each object's format, writes it, and names it;
the name it returns is the object's id.

Object ids are `Oid`s (raw bytes, checked where they come in as text); a tree's entries
are `TreeEntry(mode, oid)`.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from enum import IntEnum
from pathlib import Path
from typing import IO, NamedTuple, NewType

from treemerge.core.errors import GitError
from treemerge.gitio.run import DEVNULL, GitProcess, start_git

# A git object id, raw: 20 bytes (SHA-1) or 32 (SHA-256). Made by `oid_from_hex` from
# git's text, or taken as git's tree parser gives it.
Oid = NewType("Oid", bytes)
RAW_LENGTHS = (20, 32)


def oid_from_hex(text: str) -> Oid:
    """The id written in hex by git; ValueError for anything that is not one."""
    raw = bytes.fromhex(text)
    if len(raw) not in RAW_LENGTHS:
        raise ValueError(f"not an object id: {text!r}")
    return Oid(raw)


class Mode(IntEnum):
    """The modes of tree entries, as git's own tree walk reads them."""

    FILE = 0o100644
    EXECUTABLE = 0o100755
    TREE = 0o040000
    SYMLINK = 0o120000
    GITLINK = 0o160000


class TreeEntry(NamedTuple):
    mode: Mode
    oid: Oid


TreeEntries = dict[bytes, TreeEntry]  # a tree: its entries by name

TREE_MODE = Mode.TREE
# Bytes of requests written to `git cat-file` before reading its answers: few enough
# to fit in the pipe, so that writing them never waits for git (which may itself be
# waiting for us to read).
ASKED_AT_ONCE = 32 * 1024
_KNOWN_MODES = {
    b"100644": Mode.FILE,
    b"100755": Mode.EXECUTABLE,
    b"40000": Mode.TREE,
    b"120000": Mode.SYMLINK,
    b"160000": Mode.GITLINK,
}


def _chunks(lines: list[str], size: int) -> Iterator[list[str]]:
    """`lines` in consecutive runs of at most `size` characters (or one line)."""
    run: list[str] = []
    length = 0
    for line in lines:
        if run and length + len(line) > size:
            yield run
            run, length = [], 0
        run.append(line)
        length += len(line)
    if run:
        yield run


def canonical_mode(mode: int) -> Mode:
    """The mode git reads a tree entry as (git's `canon_mode`)."""
    kind = mode & 0o170000
    if kind == 0o100000:
        return Mode.EXECUTABLE if mode & 0o100 else Mode.FILE
    if kind in (Mode.SYMLINK, Mode.TREE):
        return Mode(kind)
    return Mode.GITLINK


def is_tree(entry: TreeEntry | None) -> bool:
    return entry is not None and entry.mode == Mode.TREE


class ObjectStore:
    """The objects of the repository at `repo`, for one command's lifetime.

    `hash_length` is the length of an object id in hex (40 for SHA-1, 64 for SHA-256):
    the caller knows it from any id the repository gave it.
    """

    def __init__(
        self, repo: Path, *, hash_length: int = 40, env: Mapping[str, str] | None = None
    ) -> None:
        self.repo = repo
        self.env = env  # (for reading a trial merge's objects: `merge.scratch_objects`)
        self.use_hash_length(hash_length)
        self._trees: dict[Oid, TreeEntries] = {}
        self._commits: dict[str, Oid | None] = {}
        self._process: GitProcess | None = None
        self._writers: dict[str, _Writer] = {}

    # Reading

    def use_hash_length(self, hash_length: int) -> None:
        """Object ids of `hash_length` hex digits (when it was not known at the start)."""
        self._hex_length = hash_length
        self._raw_length = hash_length // 2
        self._entries = re.compile(rb"([0-7]+) ([^\0]*)\0(.{%d})" % self._raw_length, re.S)

    def _reader(self) -> tuple[IO[bytes], IO[bytes]]:
        if self._process is None:
            self._process = start_git(
                ["cat-file", "--batch-command", "--buffer"],
                cwd=self.repo,
                stderr=DEVNULL,
                env=self.env,
            )
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        return self._process.stdin, self._process.stdout

    def start(self) -> None:
        """Start git now, so that its start-up overlaps whatever the caller does next."""
        self._reader()

    def read_many(self, names: Sequence[str]) -> list[tuple[str, bytes] | None]:
        """(type, body) of each object named (an id or any name git resolves, such as
        `<tree>:<path>`), None for one the repository lacks. Asked all at once and
        answered in order: one round trip to git however many there are."""
        return [
            None if answer is None else (answer[1], answer[2])
            for answer in self._ask("contents", names)
        ]

    def info_many(self, names: Sequence[str]) -> list[tuple[Oid, str] | None]:
        """(raw id, type) of each object named, as `read_many` (without the bodies)."""
        return [
            None if answer is None else (answer[0], answer[1])
            for answer in self._ask("info", names)
        ]

    def _ask(self, command: str, names: Sequence[str]) -> list[tuple[Oid, str, bytes] | None]:
        if any("\n" in name for name in names):
            raise ValueError("an object name with a line break")
        into, out = self._reader()
        found: list[tuple[Oid, str, bytes] | None] = []
        for asked in _chunks([f"{command} {name}\n" for name in names], ASKED_AT_ONCE):
            try:
                into.write("".join(asked).encode("utf-8", "surrogateescape") + b"flush\n")
                into.flush()
            except BrokenPipeError:
                raise GitError(["cat-file"], 128, "git stopped answering") from None
            for request in asked:
                # "<id> <type> <size>", else "<name> missing" (or "ambiguous")
                fields = out.readline().split()
                if len(fields) != 3 or len(fields[0]) != self._hex_length:
                    if not fields:
                        raise GitError(["cat-file"], 128, f"no answer to {request.strip()}")
                    found.append(None)
                    continue
                body = out.read(int(fields[2]) + 1)[:-1] if command == "contents" else b""
                oid = oid_from_hex(fields[0].decode("ascii"))
                found.append((oid, fields[1].decode(), body))
        return found

    def read(self, name: str) -> tuple[str, bytes] | None:
        """(type, body) of one object, as `read_many`."""
        return self.read_many([name])[0]

    def load_trees(self, oids: Iterable[Oid]) -> None:
        """Read every one of the trees `oids` not read yet, in one round trip."""
        wanted = [oid for oid in dict.fromkeys(oids) if oid not in self._trees]
        if not wanted:
            return
        known = _KNOWN_MODES
        for oid, read in zip(wanted, self.read_many([o.hex() for o in wanted]), strict=True):
            if read is None or read[0] != "tree":
                raise GitError(["cat-file"], 128, f"{oid.hex()} is not a tree")
            self._trees[oid] = {
                name: TreeEntry(known.get(mode) or canonical_mode(int(mode, 8)), Oid(raw))
                for mode, name, raw in self._entries.findall(read[1])
            }

    def tree(self, oid: Oid) -> TreeEntries:
        """The entries of the tree `oid` (raw id), by name."""
        found = self._trees.get(oid)
        if found is None:
            self.load_trees([oid])
            found = self._trees[oid]
        return found

    def commit_trees(self, commits: Iterable[str]) -> dict[str, Oid | None]:
        """The raw id of the tree of each of `commits` (None: not a commit here), read
        in one round trip for those not read yet."""
        wanted = [c for c in dict.fromkeys(commits) if c not in self._commits]
        if wanted:
            for commit, read in zip(wanted, self.read_many(wanted), strict=True):
                tree = None
                if read is not None and read[0] == "commit" and read[1].startswith(b"tree "):
                    tree = oid_from_hex(read[1][5 : 5 + self._hex_length].decode("ascii"))
                self._commits[commit] = tree
        return {c: self._commits[c] for c in commits}

    def commit_tree(self, commit: str) -> Oid | None:
        """The raw id of the tree of `commit`, or None when it is not a commit here."""
        return self.commit_trees([commit])[commit]

    def lookup(self, root: Oid, path: bytes) -> TreeEntry | None:
        """The entry at `path` (slash-separated) below the tree `root`, or None."""
        entry: TreeEntry | None = TreeEntry(Mode.TREE, root)
        for name in path.split(b"/"):
            if entry is None or entry.mode != Mode.TREE:
                return None
            entry = self.tree(entry.oid).get(name)
        return entry

    def preload(self, walks: Iterable[tuple[Oid, Iterable[bytes]]]) -> None:
        """Read every tree that looking up each (root, paths) walks through, in two
        round trips: which tree each directory on the way is (git finds them by path),
        then those not read yet."""
        asked: dict[str, None] = {}
        for root, paths in walks:
            top = root.hex()
            asked[top] = None
            for path in paths:
                end = path.rfind(b"/")
                while end > 0:
                    asked[f"{top}:{path[:end].decode('utf-8', 'surrogateescape')}"] = None
                    end = path.rfind(b"/", 0, end)
        names = [name for name in asked if "\n" not in name]
        found = self.info_many(names)
        self.load_trees(oid for oid, kind in filter(None, found) if kind == "tree")

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        if self._process is not None:
            assert self._process.stdin is not None
            assert self._process.stdout is not None
            self._process.stdin.close()
            self._process.wait()
            self._process.stdout.close()
            self._process = None

    def __enter__(self) -> ObjectStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Writing

    def write(self, kind: str, body: bytes) -> Oid:
        """Store an object of `kind` (tree, commit); its id, as git named it."""
        writer = self._writers.get(kind)
        if writer is None:
            writer = self._writers[kind] = _Writer(self.repo, kind)
        return writer.write(body)

    def write_tree(self, entries: TreeEntries) -> Oid:
        """Store a tree of `entries` (in git's order: a directory sorts as if its name
        ended in a slash); its id. The parsed tree is kept for later lookups."""

        def key(item: tuple[bytes, TreeEntry]) -> bytes:
            return item[0] + b"/" if item[1].mode == Mode.TREE else item[0]

        body = b"".join(
            b"%o %s\0%s" % (mode, name, raw)
            for name, (mode, raw) in sorted(entries.items(), key=key)
        )
        oid = self.write("tree", body)
        self._trees.setdefault(oid, dict(entries))
        return oid

    def write_commit(
        self, tree: Oid, parents: list[str], message: str, who: tuple[str, str]
    ) -> str:
        """Store a commit by `who` (name, email) made now; its id in hex."""
        when = int(time.time())
        offset = time.localtime(when).tm_gmtoff // 60
        sign = "-" if offset < 0 else "+"
        zone = f"{sign}{abs(offset) // 60:02d}{abs(offset) % 60:02d}"
        person = f"{who[0]} <{who[1]}> {when} {zone}"
        lines = [f"tree {tree.hex()}", *(f"parent {p}" for p in parents)]
        lines += [f"author {person}", f"committer {person}", "", ""]
        body = "\n".join(lines).encode("utf-8") + message.encode("utf-8", "surrogateescape")
        return self.write("commit", body).hex()


class _Writer:
    """`git hash-object -w --stdin-paths -t KIND`, kept open: each object's body goes
    through one file of our own, whose path git reads; git answers with the id."""

    def __init__(self, repo: Path, kind: str) -> None:
        self.kind = kind
        self._file = tempfile.NamedTemporaryFile(prefix="treemerge-object-")  # noqa: SIM115
        args = ["hash-object", "-w", "--no-filters", "-t", kind, "--stdin-paths"]
        self._process = start_git(args, cwd=repo, stderr=DEVNULL, where=kind)

    def write(self, body: bytes) -> Oid:
        os.pwrite(self._file.fileno(), body, 0)  # (written in place, then cut to size:
        os.ftruncate(self._file.fileno(), len(body))  # emptying it first costs git's reads)
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        try:
            self._process.stdin.write(os.fsencode(self._file.name) + b"\n")
            self._process.stdin.flush()
        except BrokenPipeError:
            raise GitError(["hash-object"], 128, f"git refused a {self.kind}") from None
        answer = self._process.stdout.readline().decode("ascii", "replace").strip()
        try:
            return oid_from_hex(answer)
        except ValueError:
            raise GitError(["hash-object"], 128, f"git refused a {self.kind}") from None

    def close(self) -> None:
        assert self._process.stdin is not None
        with contextlib.suppress(OSError):
            self._process.stdin.close()
        self._process.wait()
        assert self._process.stdout is not None
        self._process.stdout.close()
        self._file.close()
