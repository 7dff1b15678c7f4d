"""Fuzzing the ownership sources: a malformed maintainers.cfg or MAINTAINERS never ends
in a traceback, only in a clean error naming file and line (exit 2) or in diagnostics.

maintainers.cfg is fuzzed as arbitrary text and as text built from config-like
fragments; MAINTAINERS as arbitrary bytes and as fragments (entries with hostile
patterns, titles with control characters, bytes that are not UTF-8); the ownership
index built from it is asked about arbitrary paths; and `treemerge who` runs in process
on fuzzed MAINTAINERS files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.helpers import make_repo, run_cli
from treemerge.core.config import KEYS, Config, parse_config
from treemerge.core.errors import ConfigError
from treemerge.core.maintainers_file import parse_maintainers
from treemerge.core.matcher import OwnershipIndex
from treemerge.core.model import Ownership
from treemerge.core.ownership import combine

pytestmark = pytest.mark.slow  # hundreds of generated files, each run through the CLI

FILE = "maintainers.cfg"
# A ConfigError reads "file:line: ..." or, for the whole file, "file: ...".
CONFIG_ERROR = re.compile(rf"{re.escape(FILE)}(:[1-9][0-9]*)?: \S")
SURROGATE = re.compile("[\ud800-\udfff]")
# What a terminal could act on; never raw in human output.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

HOSTILE_CHARS = '\x00\x07\x1b\r\t\x0b\x0c\x1c\x85\u2028\u202e\ufeff\udce9 #;=:[]"\\'
hostile_text = st.text(
    alphabet=st.one_of(st.sampled_from(HOSTILE_CHARS), st.characters()), max_size=30
)
config_word = st.one_of(
    st.sampled_from(
        ["main", "delivery", "integration", "subsystem", "Main", "other", "net", "a.b", ""]
    ),
    hostile_text,
)
config_key = st.one_of(
    st.sampled_from(sorted({key for keys in KEYS.values() for key in keys} | {"x", "URL"})),
    hostile_text,
)
config_value = st.one_of(
    st.sampled_from(
        ["", "main", "net", "email", "tls", "25", "²", "daily", "* * * * *", "1 2 3", "a b"]
    ),
    hostile_text,
)
config_line = st.one_of(
    st.builds(lambda w: f"[{w}]", config_word),
    st.builds(lambda w, n: f'[{w} "{n}"]', config_word, config_word),
    st.builds(
        lambda k, s, v: f"{k}{s}{v}",
        config_key,
        st.sampled_from([" = ", "=", ": ", " "]),
        config_value,
    ),
    st.builds(lambda space, v: space + v, st.sampled_from([" ", "\t", "  ", "\x1c"]), config_value),
    st.sampled_from(["", "# comment", "; comment", "  # indented comment", "[", "]", "=", "\r"]),
    hostile_text,
)


def _section(kind: str, name: str | None, items: list[tuple[str, str]]) -> str:
    header = f"[{kind}]" if name is None else f'[{kind} "{name}"]'
    return "\n".join([header, *(f"{key} = {value}" for key, value in items)])


def _insert(text: str, at: int, line: str) -> str:
    lines = text.split("\n")
    lines.insert(at % (len(lines) + 1), line)
    return "\n".join(lines)


def unique_items(kind: str, most: int) -> st.SearchStrategy[list[tuple[str, str]]]:
    """`key = value` items of a [kind] section, each key once."""
    item = st.tuples(st.sampled_from(KEYS[kind]), config_value)
    return st.lists(item, max_size=most, unique_by=lambda pair: pair[0])


subsystem_id = st.one_of(st.sampled_from(["net", "drivers", "wifi", "a.b-c_d"]), config_word)
plausible_config = st.builds(
    lambda main, delivery, integration, subsystems: "\n\n".join(
        [_section("main", None, main), *delivery, *integration, *subsystems]
    ),
    unique_items("main", 4).map(
        lambda items: [("url", "../main.git"), *(i for i in items if i[0] != "url")]
    ),
    st.lists(
        unique_items("delivery", 4).map(lambda items: _section("delivery", None, items)),
        max_size=1,
    ),
    st.lists(
        unique_items("integration", 2).map(lambda items: _section("integration", None, items)),
        max_size=1,
    ),
    st.lists(
        st.tuples(subsystem_id, unique_items("subsystem", 6)), max_size=4, unique_by=lambda s: s[0]
    ).map(lambda subsystems: [_section("subsystem", i, items) for i, items in subsystems]),
)
config_text = st.one_of(
    st.text(max_size=200),
    st.builds(
        lambda lines, end: end.join(lines),
        st.lists(config_line, max_size=25),
        st.sampled_from(["\n", "\r\n", "\r"]),
    ),
    plausible_config,
    # A plausible file with one line gone wrong somewhere.
    st.builds(_insert, plausible_config, st.integers(0, 60), config_line),
)

GLOB_CHARS = "abc./*?[]{},()+|^$\\-!#%&~"
pattern_text = st.one_of(
    st.text(alphabet=GLOB_CHARS, max_size=20),
    st.sampled_from(
        [
            "(a+)+$",
            "a{1000}{1000}",
            "(?P<x>",
            "[[:alpha:]]",
            "\\",
            "*/",
            "net/",
            "**",
            "{a,{b,c}}",
            "(?=x)",
            "\\1",
            "x{2,1}",
            "\\Q*\\E",
            "[z-a]",
            "(?i)NET",
            "^$",
            "|",
            "a" * 300,
        ]
    ),
    hostile_text,
)
maintainers_line = st.one_of(
    st.builds(
        lambda letter, value: f"{letter}:\t{value}", st.sampled_from("FXNMRLSTKW"), pattern_text
    ),
    st.builds(lambda letter, value: f"{letter}:{value}", st.sampled_from("ABFNXZ"), hostile_text),
    st.sampled_from(["", "THE REST", "NETWORKING", " ", "F:", "N:", "X:\t", "M:\tTop <t@e.org>"]),
    hostile_text,
)
title = st.one_of(
    st.sampled_from(["THE REST", "NETWORKING", "NET [IPv4]", "X", "F", "A:B"]), hostile_text
)
maintainers_section = st.builds(
    lambda name, entries: "\n".join([name, *entries]),
    title,
    st.lists(maintainers_line, min_size=1, max_size=6),
)
maintainers_text = st.builds(
    lambda sections, end: end.join(sections),
    st.lists(maintainers_section, max_size=6),
    st.sampled_from(["\n", "\n\n", "\r\n"]),
)


def _encoded(text: str) -> bytes:
    # Surrogates become the bytes they stand for: UTF-8 that is not valid.
    return text.encode("utf-8", "surrogatepass")


def _insert_bytes(data: bytes, at: int, junk: bytes) -> bytes:
    lines = data.split(b"\n")
    lines.insert(at % (len(lines) + 1), junk)
    return b"\n".join(lines)


maintainers_bytes = st.one_of(
    st.binary(max_size=300),
    maintainers_text.map(_encoded),
    maintainers_text.map(_encoded),
    # A plausible file with raw bytes on a line of their own or in an entry.
    st.builds(
        _insert_bytes,
        maintainers_text.map(_encoded),
        st.integers(0, 60),
        st.sampled_from([b"\xff\xfe", b"\xe9", b"\x00", b"F:\t\xc3(", b"N:\t\xe9+", b"\x1b[2J"]),
    ),
)
paths = st.one_of(
    st.sampled_from(["net/core.c", "net/", "README", "a/b/c", "", "/", "//", "a\0b", ".."]),
    st.text(max_size=40),
    st.text(alphabet="abc./*?\\[]\n\x1b", max_size=20),
    st.binary(max_size=20).map(lambda raw: raw.decode("utf-8", "surrogateescape")),
)
directories = st.frozensets(st.sampled_from(["net", "net/", "a", "a/b", "drivers", ""]))


def parsed(text: str) -> Config | ConfigError:
    try:
        return parse_config(text, FILE)
    except ConfigError as error:
        return error


@settings(max_examples=500, deadline=None)
@given(config_text)
# Found by this test: "²" passes str.isdigit() but not int() (an internal error).
@example("[main]\nurl = m\n[delivery]\nattempts = ²\n")
@example("[main]\nurl = m\n[delivery]\nsmtp-port = ²\n")
def test_parse_config_returns_a_config_or_a_clean_error(text: str) -> None:
    result = parsed(text)  # anything but a ConfigError propagates and fails the test
    if isinstance(result, ConfigError):
        assert CONFIG_ERROR.match(str(result)), str(result)
        assert result.file == FILE
        assert result.line is None or 1 <= result.line <= text.count("\n") + 1
        return
    if SURROGATE.search(text):
        return  # never from a file: read_config refuses what is not UTF-8
    # Its patterns compile (or become diagnostics) and answer.
    index = OwnershipIndex(combine(result, None))
    index.owners("net/core.c", explain=True)


def ownership_of(data: bytes) -> Ownership:
    ownership = parse_maintainers(data, "MAINTAINERS")
    for diagnostic in ownership.diagnostics:
        assert diagnostic.severity in ("error", "warning")
        assert diagnostic.file == "MAINTAINERS"
    return ownership


@settings(max_examples=400, deadline=None)
@given(maintainers_bytes, directories, st.lists(paths, max_size=8))
def test_any_maintainers_file_parses_compiles_and_answers(
    data: bytes, dirs: frozenset[str], queries: list[str]
) -> None:
    ownership = ownership_of(data)
    index = OwnershipIndex(ownership, lambda path: path.rstrip("/") in dirs)
    for diagnostic in index.diagnostics:
        assert diagnostic.severity in ("error", "warning")
    for path in queries:
        owners = index.owners(path, explain=True)
        assert owners.path == path
        assert all(match.section in ownership.sections for match in owners.matches)


# `treemerge who` in process, in one small real repository for the whole module.


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as patch:  # sealed, as every test is (conftest.py)
        patch.setenv("HOME", str(tmp_path_factory.mktemp("home")))
        patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
        files = {"net/core.c": "core\n", "net/wireless/wifi.c": "w\n", "README": "r\n"}
        yield make_repo(tmp_path_factory.mktemp("fuzz") / "repo", files)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=maintainers_bytes, path=paths.filter(lambda p: "\0" not in p))
def test_who_on_any_maintainers_file_exits_cleanly(
    repo: Path, capsys: pytest.CaptureFixture[str], data: bytes, path: str
) -> None:
    maintainers = repo / "FUZZED_MAINTAINERS"
    maintainers.write_bytes(data)
    base = ["-C", str(repo), "who", "--maintainers", str(maintainers)]
    as_json = run_cli(capsys, *base, "--json", "--", path)
    assert as_json.code in (0, 2), as_json.err
    assert "Traceback" not in as_json.err
    assert "internal error" not in as_json.err
    document = json.loads(as_json.out)
    if as_json.code == 0:
        (entry,) = document["paths"]
        assert entry["path"] == path or path.startswith("./")
    else:
        assert document["error"]["exit_code"] == 2
    human = run_cli(capsys, *base, "-v", "--", path)
    assert human.code == as_json.code
    assert "Traceback" not in human.err
    assert RAW_CONTROL.search(human.out + human.err) is None, human.out + human.err
    # The same file linted: findings (exit 1) or a clean error, shown safely.
    lint = ["-C", str(repo), "maintainers", "lint", "--maintainers", str(maintainers)]
    for args in ([*lint, "--json"], lint):
        result = run_cli(capsys, *args)
        assert result.code in (0, 1, 2), result.err
        assert "Traceback" not in result.err
        assert "internal error" not in result.err
        if "--json" in args:
            json.loads(result.out)
        else:
            assert RAW_CONTROL.search(result.out + result.err) is None, result.out + result.err


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.one_of(config_text.map(_encoded), st.binary(max_size=200)))
def test_who_with_any_maintainers_cfg_exits_cleanly(
    repo: Path, capsys: pytest.CaptureFixture[str], data: bytes
) -> None:
    config = repo / "fuzzed.cfg"
    config.write_bytes(data)
    result = run_cli(capsys, "-C", str(repo), "--config", str(config), "who", "README", "--json")
    assert result.code in (0, 2), result.err
    assert "Traceback" not in result.err
    assert "internal error" not in result.err
    document = json.loads(result.out)
    if result.code == 2:
        # A clean error that names the file (and the line, when there is one), or says
        # that the MAINTAINERS file it names is not in the tree.
        message = document["error"]["message"]
        assert message.startswith(f"{config}") or "in the tree at HEAD" in message, message
        assert RAW_CONTROL.search(result.err) is None, result.err
