"""The ownership index: which sections own a path, most specific first (ownership.md).

Patterns are compiled once and indexed by their literal directory prefix, so a path
costs one dictionary lookup per directory level plus the few patterns filed there,
instead of a scan of every pattern. N: patterns are searched anywhere in the path; when
there are several they run as one RE2 set, one pass per path.
"""

# Exclusion and PathOwners are NamedTuples: every start-up creates their classes and each
# path asked about makes a PathOwners, and a NamedTuple costs a fraction of a frozen
# dataclass at both. SectionMatch stays a dataclass: its `index` field would hide
# tuple.index.

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

import re2

from treemerge.core.model import Diagnostic, Ownership, Section
from treemerge.core.patterns import (
    GLOB_META,
    RE2_OPTIONS,
    Pattern,
    compile_section_patterns,
    searchable,
)

# How many leading letters of a file name key the patterns filed under its directory.
NAME_KEY = 2


@dataclass(frozen=True)
class SectionMatch:
    """A section that owns a path, with the deepest of its patterns that matched."""

    section: Section
    index: int
    depth: int
    pattern: Pattern


class Exclusion(NamedTuple):
    """A section that would own a path but for one of its X: patterns."""

    section: Section
    pattern: Pattern


class PathOwners(NamedTuple):
    path: str
    matches: tuple[SectionMatch, ...]
    exclusions: tuple[Exclusion, ...] = ()

    @property
    def sections(self) -> tuple[Section, ...]:
        return tuple(m.section for m in self.matches)


def _no_directories(_path: str) -> bool:
    return False


class OwnershipIndex:
    """Answers `owners(path)` exactly as ownership.md (and get_maintainer.pl) does."""

    def __init__(
        self,
        ownership: Ownership,
        is_dir: Callable[[str], bool] = _no_directories,
    ) -> None:
        self.sections = ownership.sections
        patterns, problems = compile_section_patterns(ownership.sections, is_dir)
        self.patterns: tuple[Pattern, ...] = tuple(patterns)
        self.diagnostics: tuple[Diagnostic, ...] = tuple(problems)
        names: list[Pattern] = []
        ancestors: dict[str, list[Pattern]] = defaultdict(list)
        in_dir: dict[str, list[Pattern]] = defaultdict(list)
        for pattern in patterns:
            if pattern.letter == "N":
                names.append(pattern)
            elif (
                pattern.directory
                or pattern.floating
                or pattern.regex.count("/") != pattern.key.count("/")
            ):
                ancestors[pattern.key].append(pattern)
            else:
                # The slash rule pins the path's directory to the pattern's: file the
                # pattern under that directory and the first letters of its name.
                in_dir[_dir_key(pattern.key, pattern.raw[len(pattern.key) :])].append(pattern)
        self._ancestors = {key: _Bucket(found) for key, found in ancestors.items()}
        self._in_dir = {key: _Bucket(found) for key, found in in_dir.items()}
        self._names = _Bucket(names) if names else None

    def matching_patterns(self, path: str) -> list[Pattern]:
        """The patterns (F:, X: and N:) that match `path`, in no particular order."""
        hits: list[Pattern] = []
        ancestors = self._ancestors
        bucket = ancestors.get("")
        if bucket is not None:
            bucket.collect(path, hits)
        slash = path.find("/")
        last = -1
        while slash >= 0:
            last = slash
            bucket = ancestors.get(path[: slash + 1])
            if bucket is not None:
                bucket.collect(path, hits)
            slash = path.find("/", slash + 1)
        in_dir = self._in_dir
        directory = path[: last + 1]
        for key in (directory, directory + "\0" + path[last + 1 : last + 1 + NAME_KEY]):
            bucket = in_dir.get(key)
            if bucket is not None:
                bucket.collect(path, hits)
        if self._names is not None:
            self._names.collect(path, hits)
        return hits

    def owners(self, path: str, *, explain: bool = False) -> PathOwners:
        """The sections owning `path`, deepest pattern first, ties in file order."""
        best: dict[int, Pattern] = {}
        excluded: dict[int, Pattern] = {}
        for pattern in self.matching_patterns(path):
            index = pattern.section
            if pattern.letter == "X":
                if index not in excluded or pattern.line < excluded[index].line:
                    excluded[index] = pattern
                continue
            current = best.get(index)
            if current is None or (pattern.depth, -pattern.line) > (current.depth, -current.line):
                best[index] = pattern
        sections = self.sections
        matches = sorted(
            (
                SectionMatch(sections[i], i, p.depth, p)
                for i, p in best.items()
                if i not in excluded
            ),
            key=lambda m: (-m.depth, m.index),
        )
        exclusions: tuple[Exclusion, ...] = ()
        if explain:
            exclusions = tuple(
                Exclusion(sections[i], excluded[i]) for i in sorted(excluded) if i in best
            )
        return PathOwners(path, tuple(matches), exclusions)

    def owners_of(self, paths: Iterable[str], *, explain: bool = False) -> Iterator[PathOwners]:
        for path in paths:
            yield self.owners(path, explain=explain)


class _Bucket:
    """Patterns filed under one index key: prefix tests in Python, regexes in one RE2 set."""

    __slots__ = ("plain", "regex_set", "regexes")

    def __init__(self, patterns: list[Pattern]) -> None:
        self.plain = tuple(p for p in patterns if p.kind != "regex")
        self.regexes = tuple(p for p in patterns if p.kind == "regex")
        self.regex_set: re2.Set | None = None
        if self.regexes:
            regex_set = re2.Set.SearchSet(RE2_OPTIONS)
            for pattern in self.regexes:
                regex_set.Add(pattern.regex if pattern.letter == "N" else "^" + pattern.regex)
            regex_set.Compile()
            self.regex_set = regex_set

    def collect(self, path: str, hits: list[Pattern]) -> None:
        # A plain pattern is either a directory or filed under the path's own directory,
        # so the slash rule already holds when it is a candidate.
        for pattern in self.plain:
            if path.startswith(pattern.literal):
                hits.append(pattern)
        if self.regex_set is not None:
            found = self.regex_set.Match(searchable(path))
            if found:
                regexes = self.regexes
                for i in found:
                    pattern = regexes[i]
                    if pattern.directory or path.count("/") == pattern.slashes:
                        hits.append(pattern)


def _dir_key(directory: str, name_part: str) -> str:
    """Index key of a pattern whose matches all live in `directory` (see candidates)."""
    cut = next((i for i, ch in enumerate(name_part) if ch in GLOB_META), len(name_part))
    if cut < len(name_part) and name_part[cut] in "+{":
        cut -= 1  # a quantifier makes the letter before it optional
    if cut < NAME_KEY:
        return directory
    return directory + "\0" + name_part[:NAME_KEY]
