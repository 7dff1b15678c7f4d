"""Refs of a repository on this machine, read from its files rather than asked of git.

A cycle with nothing new looks at every tree's branch: for a tree on this machine,
reading two small files costs microseconds where `git ls-remote` starts two processes.
Only the plainest layout is read (git's files backend: a loose ref, else packed-refs);
anything else (a symbolic ref, a symlink, reftable, a linked work tree, a file that is
not what git writes) answers None, and the caller asks git as before. Nothing read here
is executed or followed: a ref file's content is taken only when it is an object id.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

HEX = frozenset("0123456789abcdef")
# Larger than any packed-refs file of a tree read this way is worth (git reads it then).
PACKED_LIMIT = 64 * 1024 * 1024


def _object_id(text: str) -> str | None:
    return text if len(text) in (40, 64) and set(text) <= HEX else None


def _read(path: Path, limit: int = 4096) -> str | None:
    """A regular file's text (not through a symlink), or None when there is none."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return ""
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        return handle.read().decode("ascii", "replace")


def _git_dir(location: Path) -> Path | None:
    """The repository's own directory: a bare repository, or a work tree's .git."""
    for candidate in (location, location / ".git"):
        if candidate.is_dir() and not candidate.is_symlink() and (candidate / "HEAD").is_file():
            if (candidate / "commondir").exists() or (candidate / "reftable").exists():
                return None
            return candidate if (candidate / "refs").is_dir() else None
    return None


def _packed(git_dir: Path) -> dict[str, str] | None:
    text = _read(git_dir / "packed-refs", PACKED_LIMIT)
    if text is None:
        return None
    found = {}
    for line in text.splitlines():
        if not line or line[0] in "#^":
            continue
        oid, _, name = line.partition(" ")
        if _object_id(oid) is None:
            return None
        found[name] = oid
    return found


def local_refs(location: str, refs: Sequence[str]) -> dict[str, str] | None:
    """What each of `refs` (full names) names in the repository at `location` (a path
    on this machine), those it has; None when the files cannot answer for sure."""
    git_dir = _git_dir(Path(location))
    if git_dir is None:
        return None
    found: dict[str, str] = {}
    packed: dict[str, str] | None = None
    for ref in refs:
        if ".." in ref or not ref.startswith("refs/"):
            return None
        text = _read(git_dir / ref)
        if text is None:
            return None
        if text:
            oid = _object_id(text.strip())
            if oid is None:
                return None  # (a symbolic ref: git resolves it)
            found[ref] = oid
            continue
        if packed is None:
            packed = _packed(git_dir)
            if packed is None:
                return None
        if ref in packed:
            found[ref] = packed[ref]
    return found
