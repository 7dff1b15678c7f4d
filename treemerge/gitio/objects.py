"""A repository's objects read and written from Python: trees and commits.

Reading goes through one `git cat-file --batch-command --buffer` kept open for the
whole command: one process however many objects are asked for, and one round trip for
as many as are asked at once. Parsed trees are kept, so a directory shared by many
commits is read once. Writing produces loose objects exactly as git
writes them (zlib-deflated `<type> <size>\\0<body>`, named by its hash), which git
and every other reader of the repository see at once.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import count
from pathlib import Path
from typing import IO, Protocol

from treemerge.core.errors import GitError
from treemerge.gitio.run import DEVNULL, GitProcess, start_git

# A tree entry: (mode, raw object id). Modes are canonical, as git's own tree walk
# reads them (a regular file is 100644 or 100755 whatever the tree says).
Entry = tuple[int, bytes]
Tree = dict[bytes, Entry]

TREE_MODE = 0o040000
# Bytes of requests written to `git cat-file` before reading its answers: few enough
# to fit in the pipe, so that writing them never waits for git (which may itself be
# waiting for us to read).
ASKED_AT_ONCE = 32 * 1024
# What loose objects are deflated with: git's default (core.looseCompression = 1).
LOOSE_COMPRESSION = 1
_KNOWN_MODES = {
    b"100644": 0o100644,
    b"100755": 0o100755,
    b"40000": TREE_MODE,
    b"120000": 0o120000,
    b"160000": 0o160000,
}


class _Hash(Protocol):
    def digest(self) -> bytes: ...


def _hash_function(hex_length: int) -> Callable[[bytes], _Hash]:
    """The repository's hash function (40 hex digits: SHA-1, else SHA-256). CPython's
    own SHA-1 when it has one: `hashlib` loads OpenSSL, a few milliseconds of every
    start, for the one digest needed here."""
    if hex_length == 40:
        try:
            from _sha1 import sha1  # type: ignore[import-not-found]  # noqa: PLC0415

            return sha1  # type: ignore[no-any-return]
        except ImportError:
            pass
    import hashlib  # noqa: PLC0415

    return hashlib.sha1 if hex_length == 40 else hashlib.sha256


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


def canonical_mode(mode: int) -> int:
    """The mode git reads a tree entry as (git's `canon_mode`)."""
    kind = mode & 0o170000
    if kind == 0o100000:
        return 0o100755 if mode & 0o100 else 0o100644
    if kind in (0o120000, TREE_MODE):
        return kind
    return 0o160000


def is_tree(entry: Entry | None) -> bool:
    return entry is not None and entry[0] == TREE_MODE


class ObjectStore:
    """The objects of the repository at `repo`, for one command's lifetime.

    `hash_length` is the length of an object id in hex (40 for SHA-1, 64 for SHA-256):
    the caller knows it from any id the repository gave it.
    """

    def __init__(self, repo: Path, *, hash_length: int = 40) -> None:
        self.repo = repo
        self.use_hash_length(hash_length)
        self._trees: dict[bytes, Tree] = {}
        self._commits: dict[str, bytes | None] = {}
        self._objects = os.path.join(repo, "objects")
        self._serial = count()
        self._process: GitProcess | None = None

    # Reading

    def use_hash_length(self, hash_length: int) -> None:
        """Object ids of `hash_length` hex digits (when it was not known at the start)."""
        self._hex_length = hash_length
        self._raw_length = hash_length // 2
        self._hash = _hash_function(hash_length)
        self._entries = re.compile(rb"([0-7]+) ([^\0]*)\0(.{%d})" % self._raw_length, re.S)

    def _reader(self) -> tuple[IO[bytes], IO[bytes]]:
        if self._process is None:
            self._process = start_git(
                ["cat-file", "--batch-command", "--buffer"], cwd=self.repo, stderr=DEVNULL
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

    def info_many(self, names: Sequence[str]) -> list[tuple[bytes, str] | None]:
        """(raw id, type) of each object named, as `read_many` (without the bodies)."""
        return [
            None if answer is None else (answer[0], answer[1])
            for answer in self._ask("info", names)
        ]

    def _ask(self, command: str, names: Sequence[str]) -> list[tuple[bytes, str, bytes] | None]:
        if any("\n" in name for name in names):
            raise ValueError("an object name with a line break")
        into, out = self._reader()
        found: list[tuple[bytes, str, bytes] | None] = []
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
                found.append((bytes.fromhex(fields[0].decode("ascii")), fields[1].decode(), body))
        return found

    def read(self, name: str) -> tuple[str, bytes] | None:
        """(type, body) of one object, as `read_many`."""
        return self.read_many([name])[0]

    def load_trees(self, oids: Iterable[bytes]) -> None:
        """Read every one of the trees `oids` not read yet, in one round trip."""
        wanted = [oid for oid in dict.fromkeys(oids) if oid not in self._trees]
        if not wanted:
            return
        known = _KNOWN_MODES
        for oid, read in zip(wanted, self.read_many([o.hex() for o in wanted]), strict=True):
            if read is None or read[0] != "tree":
                raise GitError(["cat-file"], 128, f"{oid.hex()} is not a tree")
            self._trees[oid] = {
                name: (known.get(mode) or canonical_mode(int(mode, 8)), raw)
                for mode, name, raw in self._entries.findall(read[1])
            }

    def tree(self, oid: bytes) -> Tree:
        """The entries of the tree `oid` (raw id), by name."""
        found = self._trees.get(oid)
        if found is None:
            self.load_trees([oid])
            found = self._trees[oid]
        return found

    def commit_trees(self, commits: Iterable[str]) -> dict[str, bytes | None]:
        """The raw id of the tree of each of `commits` (None: not a commit here), read
        in one round trip for those not read yet."""
        wanted = [c for c in dict.fromkeys(commits) if c not in self._commits]
        if wanted:
            for commit, read in zip(wanted, self.read_many(wanted), strict=True):
                tree = None
                if read is not None and read[0] == "commit" and read[1].startswith(b"tree "):
                    tree = bytes.fromhex(read[1][5 : 5 + 2 * self._raw_length].decode("ascii"))
                self._commits[commit] = tree
        return {c: self._commits[c] for c in commits}

    def commit_tree(self, commit: str) -> bytes | None:
        """The raw id of the tree of `commit`, or None when it is not a commit here."""
        return self.commit_trees([commit])[commit]

    def lookup(self, root: bytes, path: bytes) -> Entry | None:
        """The entry at `path` (slash-separated) below the tree `root`, or None."""
        entry: Entry | None = (TREE_MODE, root)
        for name in path.split(b"/"):
            if entry is None or entry[0] != TREE_MODE:
                return None
            entry = self.tree(entry[1]).get(name)
        return entry

    def preload(self, walks: Iterable[tuple[bytes, Iterable[bytes]]]) -> None:
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

    def write(self, kind: str, body: bytes) -> bytes:
        """Store an object (unless the repository has it as a loose one); its raw id.

        As git does: written under a temporary name in the object's directory, then
        renamed into place, so that no reader ever sees part of an object."""
        data = b"%s %d\0%s" % (kind.encode("ascii"), len(body), body)
        oid = self._hash(data).digest()
        name = oid.hex()
        directory = os.path.join(self._objects, name[:2])
        path = os.path.join(directory, name[2:])
        if os.path.exists(path):
            return oid
        temporary = os.path.join(directory, f"tmp_obj_treemerge_{os.getpid()}_{next(self._serial)}")
        try:
            handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        except FileNotFoundError:
            os.makedirs(directory, exist_ok=True)
            handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        try:
            with open(handle, "wb") as file:
                file.write(zlib.compress(data, LOOSE_COMPRESSION))
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        return oid

    def write_tree(self, entries: Tree) -> bytes:
        """Store a tree of `entries` (in git's order: a directory sorts as if its name
        ended in a slash); its raw id. The parsed tree is kept for later lookups."""

        def key(item: tuple[bytes, Entry]) -> bytes:
            return item[0] + b"/" if item[1][0] == TREE_MODE else item[0]

        body = b"".join(
            b"%o %s\0%s" % (mode, name, raw)
            for name, (mode, raw) in sorted(entries.items(), key=key)
        )
        oid = self.write("tree", body)
        self._trees.setdefault(oid, dict(entries))
        return oid

    def write_commit(
        self, tree: str, parents: list[str], message: str, who: tuple[str, str]
    ) -> str:
        """Store a commit by `who` (name, email) made now; its id in hex."""
        when = int(time.time())
        offset = time.localtime(when).tm_gmtoff // 60
        sign = "-" if offset < 0 else "+"
        zone = f"{sign}{abs(offset) // 60:02d}{abs(offset) % 60:02d}"
        person = f"{who[0]} <{who[1]}> {when} {zone}"
        lines = [f"tree {tree}", *(f"parent {p}" for p in parents)]
        lines += [f"author {person}", f"committer {person}", "", ""]
        body = "\n".join(lines).encode("utf-8") + message.encode("utf-8", "surrogateescape")
        return self.write("commit", body).hex()
