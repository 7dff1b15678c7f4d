"""Build repositories quickly with `git fast-import` (fixtures, sandboxes, benchmarks)."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from treemerge.core.errors import GitError
from treemerge.gitio.run import DEVNULL, run_git, start_git


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


def checkout_of_paths(dest: Path, paths: Iterable[str], contents: Mapping[str, bytes]) -> Path:
    """A checkout at `dest` with one commit holding `paths` (empty files) and `contents`.

    Fast at any size: every empty file shares one blob (the Linux tree takes a second).
    """
    stream = [b"blob\nmark :1\ndata 0\n\n"]
    marks: dict[str, int] = {}
    for mark, (path, data) in enumerate(contents.items(), start=2):
        stream.append(b"blob\nmark :%d\n" % mark + _data(data))
        marks[path] = mark
    stream.append(b"commit refs/heads/master\n")
    stream.append(b"committer Tree Builder <builder@example.org> 1700000000 +0000\n")
    stream.append(_data(b"Import the tree"))
    for path in dict.fromkeys([*paths, *contents]):
        stream.append(b"M 100644 :%d %s\n" % (marks.get(path, 1), _quote(path).encode()))
    stream.append(b"\n")
    dest.mkdir(parents=True, exist_ok=True)
    run_git(["init", "-q", "-b", "master", str(dest)])
    run_git(["fast-import", "--quiet"], cwd=dest, input=b"".join(stream))
    run_git(["checkout", "-q", "-f", "master"], cwd=dest)
    return dest


# Streaming: the pieces of a fast-import stream, for generators too large to hold as Commits.


def data_command(payload: bytes) -> bytes:
    """`payload` as fast-import's `data` command (exact byte count, then the bytes)."""
    return _data(payload)


def quote_path(path: str) -> bytes:
    """`path` quoted for the M, D and R commands (any byte, newlines included)."""
    return _quote(path).encode()


def person(kind: str, who: str, timestamp: int) -> bytes:
    """An `author`, `committer` or `tagger` line: `who` is `Name <email>`, time in UTC."""
    return f"{kind} {who} {timestamp} +0000\n".encode()


def tag_command(name: str, target: str, *, tagger: str, timestamp: int, message: str) -> bytes:
    """An annotated tag `name` on `target` (a mark such as ":7", a branch, or a commit id)."""
    return (
        f"tag {name}\nfrom {target}\n".encode()
        + person("tagger", tagger, timestamp)
        + _data(message.encode())
    )


class StreamWriter:
    """The standard input of a running fast-import, buffered into large writes."""

    FLUSH_AT = 1 << 20  # bytes buffered before each write to git

    def __init__(self, sink: IO[bytes]) -> None:
        self._sink = sink
        self._parts: list[bytes] = []
        self._size = 0

    def write(self, chunk: bytes) -> None:
        """Append `chunk` to the stream."""
        self._parts.append(chunk)
        self._size += len(chunk)
        if self._size >= self.FLUSH_AT:
            self.flush()

    def flush(self) -> None:
        self._sink.write(b"".join(self._parts))
        self._parts.clear()
        self._size = 0


@contextlib.contextmanager
def fast_import(repo: Path, *, options: Sequence[str] = ()) -> Iterator[StreamWriter]:
    """`git fast-import` into the bare repository `repo` (created when missing), streamed.

    Memory stays constant at any size, and git imports while Python generates the
    stream. The import is complete when the `with` block ends; GitError if git refused
    the stream. An exception inside the block abandons the import.
    """
    if not repo.exists():
        run_git(["init", "-q", "--bare", "-b", "master", str(repo)])
    args = [*options, "fast-import", "--quiet", "--done"]
    # git's messages go to a file, not a pipe, so git never blocks on them.
    with tempfile.TemporaryFile() as errors:
        process = start_git(args, cwd=repo, stdout=DEVNULL, stderr=errors)
        assert process.stdin is not None
        broken = False
        try:
            with process.stdin:
                writer = StreamWriter(process.stdin)
                yield writer
                writer.write(b"done\n")
                writer.flush()
        except BrokenPipeError:
            broken = True  # git stopped reading: its exit status and messages say why
        except BaseException:
            process.kill()
            process.wait()
            raise
        code = process.wait()
        if code != 0 or broken:
            errors.seek(0)
            said = errors.read().decode("utf-8", "replace")
            raise GitError(args, code, said or "fast-import stopped reading its input")
