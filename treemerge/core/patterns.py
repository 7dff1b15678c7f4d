"""F:/X:/N: patterns compiled the way get_maintainer.pl reads them (see ownership.md).

F:/X: text becomes a regex anchored at the start of the path: `.` is literal, `*` is
`.*` (crossing `/`), `?` is `.`, `{a,b}` is `(a|b)`, and every other character keeps
its regex meaning. Patterns are read from files that other people write, so anything
that is a real regex runs on a linear-time engine (RE2): a hostile or careless
pattern such as `(a+)+$` costs microseconds, never a hang.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal, NamedTuple, Protocol

import re2

from treemerge.core.model import Diagnostic, Section

# Characters that make an F:/X: pattern more than a plain path.
GLOB_META = frozenset("*?[]{}()+|^$\\")
_GLOB_META_RE = re.compile(r"[*?\[\]{}()+|^$\\]")
# A brace group to expand: non-nested, with at least one comma (`{2}` stays a quantifier).
BRACE_GROUP = re.compile(r"\{([^{}]*,[^{}]*)\}")
NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*](?:[^()\\]|\\.)*\)[+*{]")

Kind = Literal["literal", "prefix", "regex"]


class Searcher(Protocol):
    def search(self, string: str) -> object: ...


def _re2_options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # errors become diagnostics, not noise on stderr
    return options


RE2_OPTIONS = _re2_options()


class PatternError(ValueError):
    """A pattern that no engine treemerge trusts can run."""


class Pattern(NamedTuple):
    """One compiled F:, X: or N: pattern of one section."""

    letter: str
    raw: str
    line: int
    section: int
    regex: str  # what get_maintainer.pl matches (F:/X: anchored with `^`)
    depth: int
    slashes: int
    directory: bool  # ends in '/': matches everything below, no slash rule
    kind: Kind
    literal: str  # for kind literal/prefix: the path prefix to compare
    key: str  # the literal directory prefix used to index it ('' = every path)
    floating: bool  # a top-level `|`: Perl's `^a|b` lets `b` match anywhere
    engine: Searcher | None
    file: str = ""  # the file the pattern was read from
    ordinal: int = 0  # its place among the patterns of its ownership: what caches key it by

    def matches(self, path: str) -> bool:
        """True when get_maintainer.pl would say this pattern matches `path`."""
        if self.letter == "N":
            assert self.engine is not None
            return self.engine.search(searchable(path)) is not None
        if self.kind == "regex":
            assert self.engine is not None
            if self.engine.search(searchable(path)) is None:
                return False
        elif not path.startswith(self.literal):
            return False
        return self.directory or path.count("/") == self.slashes


def searchable(text: str) -> str:
    # Lone surrogates (file names that are not UTF-8) cannot be encoded for RE2.
    if text.isascii():
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def glob_to_regex(raw: str) -> str:
    """The regex get_maintainer.pl makes of an F:/X: value (without the `^` anchor)."""
    value = raw.replace(".", "\\.").replace("*", ".*").replace("?", ".")
    return BRACE_GROUP.sub(lambda m: "(" + m.group(1).replace(",", "|") + ")", value)


def strip_x_flag(pattern: str) -> str:
    """Perl's /x: white space and `#` comments outside character classes are ignored."""
    out: list[str] = []
    i, end = 0, len(pattern)
    while i < end:
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i : i + 2])
            i += 2
        elif char == "[":
            close = _class_end(pattern, i)
            out.append(pattern[i:close])
            i = close
        elif char == "#":
            newline = pattern.find("\n", i)
            i = end if newline < 0 else newline
        else:
            if not char.isspace():
                out.append(char)
            i += 1
    return "".join(out)


def _class_end(pattern: str, start: int) -> int:
    """Index just past the `]` closing the character class that opens at `start`."""
    i = start + 1
    if pattern.startswith("^", i):
        i += 1
    if pattern.startswith("]", i):
        i += 1  # a leading `]` is a literal member
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return min(i + 1, len(pattern))


def compile_regex(regex: str) -> Searcher:
    """A linear-time regex; raises PatternError with RE2's reason when it cannot run."""
    try:
        return re2.compile(regex, options=RE2_OPTIONS)  # type: ignore[no-any-return]
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise PatternError(f"{reason}") from None


def first_meta(text: str) -> int:
    """Where the first of GLOB_META is in `text` (its length when there is none)."""
    found = _GLOB_META_RE.search(text)
    return found.start() if found else len(text)


def _literal_key(raw: str) -> str:
    """The directory prefix every path matching this F:/X: pattern must start with."""
    cut = first_meta(raw)
    prefix = raw[:cut]
    if cut < len(raw) and raw[cut] in "+{" and not BRACE_GROUP.match(raw, cut):
        prefix = prefix[:-1]  # a quantifier applies to the character before it
    return prefix[: prefix.rfind("/") + 1]


def _has_top_level_alternation(raw: str) -> bool:
    if "|" not in raw:
        return False
    depth = 0
    in_class = False
    for i, ch in enumerate(raw):
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
        elif ch == "|" and depth <= 0 and (i == 0 or raw[i - 1] != "\\"):
            return True
    return False


def directory_questions(sections: tuple[Section, ...]) -> list[str]:
    """The F:/X: values whose meaning depends on whether the tree has a directory of
    that name (the paths `compile_file_pattern` asks `is_dir` about)."""
    return [
        e.value
        for section in sections
        for e in section.entries
        if e.letter in ("F", "X") and _plain(e.value) and not e.value.endswith("/")
    ]


def _plain(raw: str) -> bool:
    return GLOB_META.isdisjoint(raw)


def compile_file_pattern(
    letter: str, raw: str, line: int, section: int, is_dir: Callable[[str], bool]
) -> Pattern:
    """Compile an F: or X: value. `is_dir` answers whether a path is a directory of the tree."""
    plain = _plain(raw)
    # A plain pattern naming a directory of the tree is read as if it ended in '/'.
    raw_effective = raw + "/" if plain and not raw.endswith("/") and is_dir(raw) else raw
    regex = glob_to_regex(raw_effective)
    slashes = regex.count("/")
    directory = regex.endswith("/")
    depth = -1 if regex.startswith(".*") else slashes + (0 if directory else 1)
    engine: Searcher | None = None
    star_body = raw_effective[:-1]
    if plain:
        kind: Kind = "literal"
        literal = raw_effective
    elif raw_effective.endswith("*") and GLOB_META.isdisjoint(star_body):
        kind, literal = "prefix", star_body  # `lit*` is `^lit.*`: a prefix test
    else:
        kind, literal = "regex", ""
        engine = compile_regex("^" + regex)
    floating = _has_top_level_alternation(raw_effective)
    key = "" if floating else _literal_key(raw_effective)
    return Pattern(
        letter,
        raw,
        line,
        section,
        regex,
        depth,
        slashes,
        directory,
        kind,
        literal,
        key,
        floating,
        engine,
    )


def compile_name_pattern(raw: str, line: int, section: int) -> Pattern:
    """Compile an N: value: a regex searched anywhere in the path, with Perl's /x."""
    regex = strip_x_flag(raw)
    engine = compile_regex(regex)
    return Pattern("N", raw, line, section, regex, 0, 0, True, "regex", "", "", True, engine)


def is_pathological(regex: str) -> bool:
    """True for nested quantifiers such as `(a+)+`, which hang backtracking engines."""
    return NESTED_QUANTIFIER.search(regex) is not None


def compile_section_patterns(
    sections: tuple[Section, ...], is_dir: Callable[[str], bool]
) -> tuple[list[Pattern], list[Diagnostic]]:
    """Every F:/X:/N: pattern of every section; a pattern that cannot run is a diagnostic."""
    patterns: list[Pattern] = []
    problems: list[Diagnostic] = []
    for index, section in enumerate(sections):
        for entry in section.entries:
            if entry.letter not in ("F", "X", "N") or not entry.value.strip():
                continue
            try:
                if entry.letter == "N":
                    pattern = compile_name_pattern(entry.value, entry.line, index)
                else:
                    pattern = compile_file_pattern(
                        entry.letter, entry.value, entry.line, index, is_dir
                    )
            except PatternError as exc:
                problems.append(
                    Diagnostic(
                        "error",
                        "bad-pattern",
                        entry.file or section.file,
                        entry.line,
                        f"cannot compile {entry.value!r}: {exc}",
                        key=entry.letter,
                    )
                )
                continue
            pattern = pattern._replace(file=entry.file or section.file, ordinal=len(patterns))
            patterns.append(pattern)
            if is_pathological(pattern.regex):
                problems.append(
                    Diagnostic(
                        "warning",
                        "slow-pattern",
                        pattern.file,
                        entry.line,
                        f"{entry.value!r} nests quantifiers: it can hang get_maintainer.pl "
                        "(treemerge runs it in linear time)",
                        key=entry.letter,
                    )
                )
    return patterns, problems
