"""A commit's tree written out as files, exactly as it is in git.

`git archive` and `git checkout` honour the tree's own `.gitattributes` (export-ignore,
export-subst, filters, eol), so a tree could hide a file from whatever reads the copy.
Here the files are written from the objects themselves: every blob byte for byte, the
executable bit from the mode, symlinks as symlinks (data, never followed), a gitlink as
an empty directory, and nothing else.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from treemerge.core.errors import TreemergeError
from treemerge.gitio.run import decode_path, run_git

SYMLINK = 0o120000
GITLINK = 0o160000
EXECUTABLE = 0o111
# Each directory is opened relative to its parent without following a symlink, so no
# write can land outside the checkout whatever names the tree holds.
DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
UNSAFE_PARTS = (b"", b".", b"..")


class CheckoutError(TreemergeError):
    """The tree cannot be written out as it is (a name the file system refuses, a path
    that would leave the checkout): the message names the path."""


def check_out(repo: Path, commit: str, dest: Path) -> None:
    """Write `commit`'s tree into `dest` (created; it must not exist) exactly as git
    holds it: no attributes, no filters, no export-ignore or export-subst.

    Regular files come first, then symlinks (so none is ever written through); a path
    with an empty, `.` or `..` part, or whose directory is a symlink, raises CheckoutError.
    """
    entries = _entries(
        run_git(["ls-tree", "-r", "-z", "--full-tree", commit], cwd=repo, where="next")
    )
    blobs = sorted({oid for mode, oid, _ in entries if mode != GITLINK})
    contents = _contents(repo, blobs)
    os.mkdir(dest, 0o755)
    with _Tree(os.open(dest, DIRECTORY_FLAGS)) as tree:
        for mode, oid, path in entries:
            if mode != SYMLINK:
                tree.add(path, mode, contents.get(oid, b""))
        for mode, oid, path in entries:
            if mode == SYMLINK:
                tree.add(path, mode, contents[oid])


def _entries(listing: bytes) -> list[tuple[int, bytes, bytes]]:
    """(mode, object id, path) of each `ls-tree -z` record `<mode> <type> <oid>\\t<path>`."""
    found = []
    for record in listing.split(b"\0"):
        if record:
            info, _, path = record.partition(b"\t")
            mode, _, oid = info.split(b" ")
            found.append((int(mode, 8), oid, path))
    return found


def _contents(repo: Path, oids: list[bytes]) -> dict[bytes, memoryview]:
    """Each blob's bytes, read by one `git cat-file --batch` (which applies no filter)."""
    if not oids:
        return {}
    out = memoryview(
        run_git(["cat-file", "--batch"], cwd=repo, input=b"\n".join(oids) + b"\n", where="next")
    )
    found: dict[bytes, memoryview] = {}
    at = 0
    for oid in oids:
        end = bytes(out[at : at + 200]).index(b"\n") + at
        header = bytes(out[at:end]).split(b" ")
        if len(header) != 3 or header[1] != b"blob":
            raise CheckoutError(f"object {oid.decode()} is not a blob the tree can name")
        size = int(header[2])
        found[oid] = out[end + 1 : end + 1 + size]
        at = end + 1 + size + 1
    return found


class _Tree:
    """The checkout's directories, opened one name at a time from its top. Entries come
    in git's order, which keeps a directory's entries together: only the directories on
    the current path are open."""

    def __init__(self, top: int) -> None:
        self.names: list[bytes] = []  # of the open directories below the top
        self.fds = [top]  # the top's, then one per name

    def __enter__(self) -> _Tree:
        return self

    def __exit__(self, *_: object) -> None:
        self._close_to(0)
        os.close(self.fds[0])

    def add(self, path: bytes, mode: int, data: memoryview | bytes) -> None:
        parts = path.split(b"/")
        if any(part in UNSAFE_PARTS for part in parts):
            raise CheckoutError(
                f"refusing the path {decode_path(path)!r}: not a plain relative path"
            )
        try:
            parent = self._directory(parts[:-1])
            _write(parent, parts[-1], mode, data)
        except (OSError, ValueError) as error:
            raise CheckoutError(f"cannot write {decode_path(path)!r}: {_reason(error)}") from None

    def _directory(self, names: list[bytes]) -> int:
        """The open directory `names` below the top (made where missing; opening one
        that is a symlink fails)."""
        same = 0
        while same < min(len(names), len(self.names)) and names[same] == self.names[same]:
            same += 1
        self._close_to(same)
        for name in names[same:]:
            with contextlib.suppress(FileExistsError):  # (made for an earlier entry)
                os.mkdir(name, 0o755, dir_fd=self.fds[-1])
            self.fds.append(os.open(name, DIRECTORY_FLAGS, dir_fd=self.fds[-1]))
            self.names.append(name)
        return self.fds[-1]

    def _close_to(self, depth: int) -> None:
        while len(self.names) > depth:
            self.names.pop()
            os.close(self.fds.pop())


def _write(parent: int, name: bytes, mode: int, data: memoryview | bytes) -> None:
    if mode == SYMLINK:
        os.symlink(bytes(data), name, dir_fd=parent)
    elif mode == GITLINK:
        os.mkdir(name, 0o755, dir_fd=parent)
    else:
        permissions = 0o755 if mode & EXECUTABLE else 0o644
        fd = os.open(name, FILE_FLAGS, permissions, dir_fd=parent)
        with open(fd, "wb") as file:
            os.fchmod(fd, permissions)  # (exactly these bits, whatever the umask)
            file.write(data)


def _reason(error: OSError | ValueError) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error)
