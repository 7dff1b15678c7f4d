"""The ownership index: which sections own a path, most specific first (ownership.md).

Patterns are compiled once and indexed by their literal directory prefix, so a path
is tested against the few patterns filed under its directories instead of every
pattern. N: patterns are searched anywhere in the path; when there are several they
run as one RE2 set, one pass per path.

What a directory decides is worked out once per directory: which index entries its
paths consult, and which of their plain patterns match all of its paths. A path then
costs the tests that depend on its own name, and its answer, which depends only on
the patterns that matched, is worked out once per set of them and shared.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

import re2

from treemerge.core.model import Diagnostic, Ownership, Section
from treemerge.core.patterns import (
    RE2_OPTIONS,
    Pattern,
    compile_section_patterns,
    first_meta,
    searchable,
)

# How many leading letters of a file name key the patterns filed under its directory.
NAME_KEY = 2


# A dataclass, not a NamedTuple: a field named `index` would hide tuple.index.
@dataclass(frozen=True, slots=True)
class SectionMatch:
    """A section that owns a path, with the deepest of its patterns that matched."""

    section: Section = field(repr=False)
    index: int  # the section's place in the file
    depth: int
    pattern: Pattern = field(repr=False)


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
        in_dir: dict[tuple[str, str], list[Pattern]] = defaultdict(list)
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
        # Per directory: its bucket for any name, and those for a name's first letters.
        self._in_dir: dict[str, _Bucket] = {}
        self._by_name: dict[str, dict[str, _Bucket]] = {}
        for (directory, name), found in in_dir.items():
            if name:
                self._by_name.setdefault(directory, {})[name] = _Bucket(found)
            else:
                self._in_dir[directory] = _Bucket(found)
        self._names = _Bucket(names) if names else None
        # Worked out when first needed: the plan of each directory; for each set of
        # patterns that match every path of a directory (a plan's `always`, shared by
        # the directories with that set), the answers by the other patterns matching;
        # and one answer object per outcome. Patterns are named by their ordinals.
        self._plans: dict[str, _Plan] = {}
        self._groups: dict[tuple[int, ...], tuple[tuple[Pattern, ...], _Answers]] = {}
        self._outcomes: dict[tuple[int | None, ...], _Answer] = {}

    def matching_patterns(self, path: str) -> list[Pattern]:
        """The patterns (F:, X: and N:) that match `path`, in no particular order."""
        directory = path[: path.rfind("/") + 1]
        plan = self._plans.get(directory) or self._plan(directory)
        return [*plan.always, *plan.collect(path)]

    def owners(self, path: str, *, explain: bool = False) -> PathOwners:
        """The sections owning `path`, deepest pattern first, ties in file order."""
        answer = self._answer(path)
        return PathOwners(path, answer.matches, answer.exclusions if explain else ())

    def owning_sections(self, path: str) -> tuple[Section, ...]:
        """`owners(path).sections`; paths with the same owners share one tuple."""
        return self._answer(path).sections

    def owners_of(self, paths: Iterable[str], *, explain: bool = False) -> Iterator[PathOwners]:
        for path in paths:
            yield self.owners(path, explain=explain)

    def _plan(self, directory: str) -> _Plan:
        """The plan of `directory` (a path up to its last '/'), made the first time."""
        buckets = [self._ancestors.get("")]
        slash = directory.find("/")
        while slash >= 0:
            buckets.append(self._ancestors.get(directory[: slash + 1]))
            slash = directory.find("/", slash + 1)
        buckets += (self._in_dir.get(directory), self._names)
        always: list[Pattern] = []
        tested: list[Pattern] = []
        searched: list[_Bucket] = []
        for bucket in buckets:
            if bucket is None:
                continue
            for pattern in bucket.plain:
                literal = pattern.literal
                if directory.startswith(literal):
                    always.append(pattern)
                elif len(literal) > len(directory) and literal.startswith(directory):
                    tested.append(pattern)
            if bucket.regex_set is not None:
                searched.append(bucket)
        # Directories with the same `always` share it and its answers (and whichever
        # thread got there first makes the one plan of a directory).
        key = _ordinals(always)
        shared, answers = self._groups.setdefault(key, (tuple(always), {}))
        by_name = self._by_name.get(directory, {})
        plan = _Plan(directory, shared, tuple(tested), tuple(searched), by_name, answers)
        return self._plans.setdefault(directory, plan)

    def _answer(self, path: str) -> _Answer:
        """What owns `path`: it depends only on the patterns that match, those its
        directory decides and the few its name does."""
        directory = path[: path.rfind("/") + 1]
        plan = self._plans.get(directory) or self._plan(directory)
        found = plan.collect(path)
        key = _ordinals(found)
        answer = plan.answers.get(key)
        if answer is None:
            answer = plan.answers.setdefault(key, self._resolve([*plan.always, *found]))
        return answer

    def _resolve(self, hits: list[Pattern]) -> _Answer:
        best: dict[int, Pattern] = {}
        excluded: dict[int, Pattern] = {}
        for pattern in hits:
            index = pattern.section
            if pattern.letter == "X":
                if index not in excluded or pattern.line < excluded[index].line:
                    excluded[index] = pattern
                continue
            current = best.get(index)
            if current is None or (pattern.depth, -pattern.line) > (current.depth, -current.line):
                best[index] = pattern
        owning = sorted((i for i in best if i not in excluded), key=lambda i: (-best[i].depth, i))
        shown = [i for i in sorted(excluded) if i in best]
        # A pattern's ordinal names its section too.
        outcome = (*(best[i].ordinal for i in owning), None, *(excluded[i].ordinal for i in shown))
        answer = self._outcomes.get(outcome)
        if answer is None:
            sections = self.sections
            matches = tuple(SectionMatch(sections[i], i, best[i].depth, best[i]) for i in owning)
            answer = _Answer(
                matches,
                tuple(Exclusion(sections[i], excluded[i]) for i in shown),
                tuple(m.section for m in matches),
            )
            answer = self._outcomes.setdefault(outcome, answer)
        return answer


class _Answer(NamedTuple):
    matches: tuple[SectionMatch, ...]
    exclusions: tuple[Exclusion, ...]  # for `explain`
    sections: tuple[Section, ...]


# The answers for one `always`, by the ordinals of the patterns `collect` finds.
_Answers = dict[tuple[int, ...], _Answer]


class _Plan(NamedTuple):
    """What the paths of one directory are tested against (see OwnershipIndex._plan).

    A path consults the buckets of its directory's ancestors and of the directory
    itself, the one keyed by its name's first letters, and the N: patterns. Of the
    plain patterns of the first, those the directory starts with match every path in
    it (`always`), those it rules out never match, and only those longer than the
    directory need testing per path (`tested`).
    """

    directory: str
    always: tuple[Pattern, ...]  # shared by the directories with the same ones
    tested: tuple[Pattern, ...]
    searched: tuple[_Bucket, ...]  # those buckets with regexes, and the N: patterns
    by_name: dict[str, _Bucket]  # the directory's buckets by a name's NAME_KEY letters
    answers: _Answers

    def collect(self, path: str) -> list[Pattern]:
        """The patterns matching `path` that its directory does not decide."""
        hits = [p for p in self.tested if path.startswith(p.literal)] if self.tested else []
        text = _re2_text(path) if self.searched or self.by_name else b""
        if self.by_name:
            bucket = self.by_name.get(path[len(self.directory) :][:NAME_KEY])
            if bucket is not None:
                bucket.collect(path, text, hits)
        for bucket in self.searched:
            bucket.search(path, text, hits)
        return hits


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

    def collect(self, path: str, text: bytes, hits: list[Pattern]) -> None:
        # A plain pattern is either a directory or filed under the path's own directory,
        # so the slash rule already holds when it is a candidate.
        for pattern in self.plain:
            if path.startswith(pattern.literal):
                hits.append(pattern)
        self.search(path, text, hits)

    def search(self, path: str, text: bytes, hits: list[Pattern]) -> None:
        """Into `hits`, the regex patterns of this bucket that match `path` (`text`:
        the path as RE2 reads it)."""
        if self.regex_set is not None:
            found = self.regex_set.Match(text)
            if found:
                regexes = self.regexes
                for i in found:
                    pattern = regexes[i]
                    if pattern.directory or path.count("/") == pattern.slashes:
                        hits.append(pattern)


def _ordinals(patterns: list[Pattern]) -> tuple[int, ...]:
    return tuple([p.ordinal for p in patterns])


def _re2_text(path: str) -> bytes:
    """`path` as the UTF-8 that RE2 matches (encoded once for all of a path's searches)."""
    return path.encode("ascii") if path.isascii() else searchable(path).encode("utf-8")


def _dir_key(directory: str, name_part: str) -> tuple[str, str]:
    """Where a pattern whose matches all live in `directory` is filed: the directory,
    and the NAME_KEY letters every matching name starts with ("" when it has fewer)."""
    cut = first_meta(name_part)
    if cut < len(name_part) and name_part[cut] in "+{":
        cut -= 1  # a quantifier makes the letter before it optional
    if cut < NAME_KEY:
        return directory, ""
    return directory, name_part[:NAME_KEY]
