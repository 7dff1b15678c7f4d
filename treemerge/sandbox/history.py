"""The fixture's main-tree history: Nova's paths, changed the way Nova's commits change them.

Each file is a few dozen lines of text and every change rewrites whole lines, so that
a 3-way merge sees real edits: two trees rewriting the same line conflict, trees
rewriting different lines do not. The lines are split between the writers:

* the main history rewrites lines 2, 6, 10, … (MAIN_LINES);
* each subsystem tree has a slot, and rewrites line 4 + 4 × slot only (tree_line).

Two lines written by different parties are always at least one untouched line apart,
which is what keeps git's merge from seeing them as one conflicting hunk.

Commit shapes (how many files, in which areas) are sampled from the 910 commits of
Nova between 29.0.0 and master (nova-commits.tsv.gz, shipped with treemerge).
"""

from __future__ import annotations

import bisect
import functools
import gzip
import hashlib
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

from treemerge.gitio.fastimport import StreamWriter, data_command, person, quote_path, tag_command

# The fixture's "now": every date is fixed relative to it, never read from the clock.
REFERENCE_TIME = 1_767_225_600  # 2026-01-01 00:00:00 UTC
DAY = 86_400
MAIN_END = REFERENCE_TIME - 30 * DAY  # the main tree's last commit
STEP = 7_200  # seconds between main commits: 60,000 commits span about 14 years, as Nova's do
LINES = 40
MAIN_LINES = tuple(range(2, LINES, 4))
TREE_SLOTS = 8
LAST_RELEASE = 29  # Nova's 29.0.0: the TSV's commits are those after it

AUTHORS = (
    "Ilse Vandermeer <ilse.vandermeer@example.org>",
    "Tomas Okafor <tomas.okafor@example.org>",
    "Mei Lin Tsai <meilin.tsai@example.org>",
    "Rafael Quintero <rafael.quintero@example.org>",
    "Sigrun Aalto <sigrun.aalto@example.org>",
    "Dev Malhotra <dev.malhotra@example.org>",
    "Orla Fitzgerald <orla.fitzgerald@example.org>",
    "Yusuf Demir <yusuf.demir@example.org>",
)
COMMITTER = "Zuul <zuul@example.org>"  # Nova's gate merges every change
RELEASER = "Margit Halvorsen <margit.halvorsen@example.org>"  # [main] to = in maintainers.cfg
WORDS = (
    "instance", "host", "flavor", "migration", "volume", "port", "allocation", "image",
    "quota", "cell", "service", "aggregate", "request", "spec", "resource", "provider",
)  # fmt: skip
VERBS = ("Fix", "Remove", "Add", "Refactor", "Handle", "Clean up", "Deprecate", "Log")
SUBJECTS = (
    "race in {w} cleanup", "unused {w} helper", "{w} validation", "the {w} cache",
    "stale {w} records", "{w} lookups by uuid", "a debug message for {w}s",
)  # fmt: skip


def tree_line(slot: int) -> int:
    """The only line a subsystem tree in `slot` (0 to TREE_SLOTS - 1) rewrites in any file."""
    if not 0 <= slot < TREE_SLOTS:
        raise ValueError(f"tree slot {slot}: expected 0 to {TREE_SLOTS - 1}")
    return 4 + 4 * slot


class Content:
    """The lines of every file as they stand; files never edited keep their first lines."""

    def __init__(self, lines: Mapping[str, tuple[bytes, ...]] | None = None) -> None:
        self._lines = dict(lines or {})

    def copy(self) -> Content:
        """An independent copy (a tree forked from here edits its own)."""
        return Content(self._lines)

    def current(self, path: str) -> bytes:
        return b"".join(self._lines.get(path) or _first_lines(path))

    def edit(self, path: str, numbers: Iterable[int], label: str) -> bytes:
        """Rewrite lines `numbers` of `path` (each gets `label`); the new content."""
        lines = list(self._lines.get(path) or _first_lines(path))
        for number in numbers:
            lines[number] = _line(path, number, label)
        self._lines[path] = tuple(lines)
        return b"".join(lines)

    def rename(self, old: str, new: str) -> None:
        self._lines[new] = self._lines.pop(old, ()) or _first_lines(old)


@functools.cache
def _token(path: str) -> str:
    return hashlib.blake2s(path.encode("utf-8", "surrogateescape"), digest_size=4).hexdigest()


def _line(path: str, number: int, label: str = "") -> bytes:
    token = _token(path)
    word = WORDS[(int(token, 16) + 7 * number) % len(WORDS)]
    tail = f" ({label})" if label else ""
    return f"# {token} {number:02d} {word}{tail}\n".encode()


def _first_lines(path: str) -> tuple[bytes, ...]:
    # A comment per line: valid Python, YAML and shell, and unique to the file (renames).
    header = b"# " + path.encode("utf-8", "surrogateescape") + b"\n"
    return (header, *(_line(path, n) for n in range(1, LINES)))


@dataclass(frozen=True)
class Shape:
    """One real Nova commit's shape: how many files, and the files of each area it touched."""

    files: int
    areas: tuple[tuple[str, ...], ...]
    topic: str

    def pick(self, rng: random.Random) -> list[str]:
        """About `files` paths: one in each area, the rest spread over the areas."""
        chosen = [rng.choice(area) for area in self.areas]
        for _ in range(self.files - len(self.areas)):
            chosen.append(rng.choice(rng.choice(self.areas)))
        return list(dict.fromkeys(chosen))


def load_shapes(paths: Sequence[str]) -> list[Shape]:
    """The shapes of Nova's commits, their areas narrowed to `paths` (never empty)."""
    ordered = sorted(paths)
    cache: dict[str, tuple[str, ...]] = {}
    shapes = []
    for row in _tsv_rows():
        files, areas = int(row[1]), [a for a in row[4].split(",") if a]
        found = [cache.setdefault(a, _under(ordered, a)) for a in areas]
        kept = tuple(f for f in found if f) or (tuple(ordered),)
        shapes.append(Shape(max(files, 1), kept, _topic(areas[0] if areas else "")))
    return shapes


def _tsv_rows() -> list[list[str]]:
    data = resources.files(__package__).joinpath("nova-commits.tsv.gz").read_bytes()
    lines = gzip.decompress(data).decode("utf-8").split("\n")[1:]  # below the header
    return [line.split("\t") for line in lines if line]


def _under(ordered: list[str], area: str) -> tuple[str, ...]:
    """The paths that are `area` or lie below it."""
    start = bisect.bisect_left(ordered, area)
    end = bisect.bisect_left(ordered, area + "/\U0010ffff")
    return tuple(p for p in ordered[start:end] if p == area or p.startswith(area + "/"))


def _topic(area: str) -> str:
    """The prefix a Nova developer would give the subject: `libvirt:`, `compute:`, `docs:`."""
    parts = area.removesuffix(".py").split("/")
    if parts[0] != "nova" or len(parts) == 1:
        return {"doc": "docs", "releasenotes": "reno"}.get(parts[0], "trivial")
    if parts[1] in ("virt", "api", "tests") and len(parts) > 2:
        return parts[2] if parts[1] == "virt" else parts[1]
    return parts[1]


@dataclass(frozen=True)
class MainHistory:
    """What the trees need to know of the main history written to a stream."""

    tags: tuple[str, ...]
    last_release_time: int  # committer time of the commit the last tag names
    at_last_release: Content  # every file as it stands at the last tag


def release_points(commits: int, releases: int) -> dict[int, str]:
    """Commit number -> release tag, evenly spaced; the last some commits before the tip.

    About 1.5% of the history comes after the last release, as the 910 commits after
    29.0.0 are of Nova's.
    """
    if not 1 <= releases <= LAST_RELEASE:
        raise ValueError(f"releases: expected 1 to {LAST_RELEASE}, not {releases}")
    last = commits - 1 - max(2, commits // 66)
    spacing = last // releases
    if spacing < 1:
        raise ValueError(f"{commits} commits are too few for {releases} releases")
    return {
        last - spacing * (releases - 1 - k): f"{LAST_RELEASE - (releases - 1 - k)}.0.0"
        for k in range(releases)
    }


def write_main(
    stream: StreamWriter, paths: Sequence[str], *, commits: int, releases: int, seed: int
) -> MainHistory:
    """Write `commits` commits on refs/heads/master (the first imports `paths`), and tags.

    Deterministic: the same arguments always give the same stream.
    """
    rng = random.Random(seed)  # noqa: S311 (reproducible numbers are the point, not secrecy)
    shapes = load_shapes(paths)
    tags = release_points(commits, releases)
    writer = _MainWriter(stream, paths)
    first = MAIN_END - (commits - 1) * STEP
    writer.import_all(first)
    history = MainHistory((), first, writer.content.copy())
    for number in range(1, commits):
        when = first + number * STEP
        writer.commit(rng, rng.choice(shapes), number, when)
        if number in tags:
            stream.write(
                tag_command(tags[number], "refs/heads/master", tagger=RELEASER,
                            timestamp=when + 3_600, message=f"nova {tags[number]} release\n")
            )  # fmt: skip
            history = MainHistory((*history.tags, tags[number]), when, writer.content.copy())
    return history


class _MainWriter:
    """The commits of the main history, written one by one."""

    def __init__(self, stream: StreamWriter, paths: Sequence[str]) -> None:
        self.stream = stream
        self.paths = paths
        self.content = Content()
        # Quoting is the slowest part of a file change: once per path.
        self._modify = {p: b"M 100644 inline " + quote_path(p) + b"\n" for p in paths}

    def import_all(self, when: int) -> None:
        self.stream.write(_header(RELEASER, when, when, "Import the Nova tree\n"))
        for path in self.paths:
            self.stream.write(self._modify[path] + data_command(self.content.current(path)))
        self.stream.write(b"\n")

    def commit(self, rng: random.Random, shape: Shape, number: int, when: int) -> None:
        author = rng.choice(AUTHORS)
        authored = when - rng.randrange(3 * DAY)  # written before the gate merged it
        self.stream.write(_header(author, authored, when, _message(rng, shape)))
        for path in shape.pick(rng):
            numbers = rng.sample(MAIN_LINES, rng.choice((1, 1, 1, 2, 3)))
            data = self.content.edit(path, numbers, f"r{number}")
            self.stream.write(self._modify[path] + data_command(data))
        self.stream.write(b"\n")


def _header(author: str, authored: int, committed: int, message: str) -> bytes:
    return (
        b"commit refs/heads/master\n"
        + person("author", author, authored)
        + person("committer", COMMITTER, committed)
        + data_command(message.encode())
    )


def _message(rng: random.Random, shape: Shape) -> str:
    subject = rng.choice(SUBJECTS).format(w=rng.choice(WORDS))
    trailers = f"Change-Id: I{rng.getrandbits(160):040x}\n"
    if rng.random() < 0.3:
        trailers = f"Closes-Bug: #{rng.randrange(1_000_000, 2_200_000)}\n" + trailers
    return f"{shape.topic}: {rng.choice(VERBS)} {subject}\n\n{trailers}"
