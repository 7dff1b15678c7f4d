"""Build repositories quickly with `git fast-import` (fixtures, sandboxes, benchmarks)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from treemerge.gitio.run import run_git


@dataclass
class Commit:
    """One commit to import: files to write (None deletes), on a branch."""

    message: str
    files: Mapping[str, bytes | None] = field(default_factory=dict)
    branch: str = "master"
    author: str = "A U Thor <author@example.org>"
    timestamp: int = 1_700_000_000
    parents: tuple[str, ...] = ()  # marks (":3") or refs of extra parents (merges)
    mark: int | None = None


def _data(payload: bytes) -> bytes:
    return b"data %d\n" % len(payload) + payload + b"\n"


def fast_import_stream(commits: Iterable[Commit]) -> bytes:
    """The fast-import stream for `commits`, in order."""
    out: list[bytes] = []
    for commit in commits:
        out.append(f"commit refs/heads/{commit.branch}\n".encode())
        if commit.mark is not None:
            out.append(f"mark :{commit.mark}\n".encode())
        out.append(f"author {commit.author} {commit.timestamp} +0000\n".encode())
        out.append(f"committer {commit.author} {commit.timestamp} +0000\n".encode())
        out.append(_data(commit.message.encode()))
        for i, parent in enumerate(commit.parents):
            out.append(f"{'from' if i == 0 else 'merge'} {parent}\n".encode())
        for path, content in commit.files.items():
            quoted = _quote(path)
            if content is None:
                out.append(f"D {quoted}\n".encode())
            else:
                out.append(f"M 100644 inline {quoted}\n".encode())
                out.append(_data(content))
        out.append(b"\n")
    return b"".join(out)


def import_commits(repo: Path, commits: Iterable[Commit]) -> None:
    """Append `commits` to the repository at `repo` (created, bare, when missing)."""
    if not repo.exists():
        run_git(["init", "-q", "--bare", str(repo)])
    run_git(["fast-import", "--quiet", "--force"], cwd=repo, input=fast_import_stream(commits))


def _quote(path: str) -> str:
    """A path in fast-import's C-style quotes (any byte, newlines included)."""
    raw = path.encode("utf-8", "surrogateescape")
    out = []
    for byte in raw:
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif byte < 0x20 or byte >= 0x7F:
            out.append(f"\\{byte:03o}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'
