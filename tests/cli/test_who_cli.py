"""`treemerge who` end to end on small real repositories: output, JSON, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import git, make_repo, run_cli

MAINTAINERS = """\
NETWORKING
M:\tNet Dev <net@example.org>
R:\tRe Viewer <rev@example.org>
L:\tnetdev@example.org
S:\tMaintained
F:\tnet/
X:\tnet/ipv6/

IPV4
M:\tFour <four@example.org>
S:\tSupported
F:\tnet/ipv4

THE REST
M:\tTop <top@example.org>
F:\t*
F:\t*/
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = make_repo(
        tmp_path / "proj",
        {
            "MAINTAINERS": MAINTAINERS,
            "net/ipv4/tcp.c": "tcp\n",
            "net/ipv6/route.c": "route\n",
            "README": "hi\n",
        },
    )
    monkeypatch.chdir(path)
    return path


def test_json_keys_and_order(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "who", "--maintainers", "MAINTAINERS", "net/ipv4/tcp.c", "--json")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert document == {
        "paths": [
            {
                "path": "net/ipv4/tcp.c",
                "sections": [
                    {
                        "name": "IPV4",
                        "status": "Supported",
                        "maintainers": ["Four <four@example.org>"],
                        "reviewers": [],
                        "lists": [],
                    },
                    {
                        "name": "NETWORKING",
                        "status": "Maintained",
                        "maintainers": ["Net Dev <net@example.org>"],
                        "reviewers": ["Re Viewer <rev@example.org>"],
                        "lists": ["netdev@example.org"],
                    },
                    {
                        "name": "THE REST",
                        "status": "",
                        "maintainers": ["Top <top@example.org>"],
                        "reviewers": [],
                        "lists": [],
                    },
                ],
            }
        ]
    }


def test_explain_shows_pattern_and_exclusion(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "who", "--maintainers", "MAINTAINERS", "--explain", "--no-color",
                     "net/ipv6/route.c", "net/ipv4/tcp.c")  # fmt: skip
    assert result.code == 0
    assert "excluded  NETWORKING by X: net/ipv6/  (MAINTAINERS:7)" in result.out
    # net/ipv4 names a directory of the tree, so it counts as `net/ipv4/` (depth 2).
    assert "F: net/ipv4  (MAINTAINERS:12, depth 2)" in result.out
    assert "\x1b[" not in result.out


def test_explain_json(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "who", "--maintainers", "MAINTAINERS", "--explain", "--json",
                     "net/ipv6/route.c")  # fmt: skip
    path = json.loads(result.out)["paths"][0]
    assert path["excluded"] == [{"name": "NETWORKING", "pattern": "X: net/ipv6/", "line": 7}]
    assert path["sections"][0]["pattern"] == "F: */"


def test_directories_are_judged_from_the_tree_at_rev(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "rm", "-q", "-r", "net/ipv4")
    (repo / "net" / "ipv4").write_text("now a file\n")
    git(repo, "add", "net/ipv4")
    git(repo, "commit", "-q", "-m", "ipv4 is a file now")
    # The working tree gets a directory that the commit does not have: it must not count.
    (repo / "net" / "ipv6" / "sub").mkdir()

    def owners(rev: str) -> list[str]:
        result = run_cli(capsys, "who", "--maintainers", "MAINTAINERS", "--rev", rev, "--json",
                         "net/ipv4/x.c")  # fmt: skip
        assert result.code == 0, result.err
        return [s["name"] for s in json.loads(result.out)["paths"][0]["sections"]]

    assert owners(first) == ["IPV4", "NETWORKING", "THE REST"]
    assert owners("HEAD") == ["NETWORKING", "THE REST"]


def test_paths_from_stdin_and_relative_to_the_current_directory(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo / "net")
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO("ipv4/tcp.c\n\n"))
    result = run_cli(capsys, "who", "--maintainers", "../MAINTAINERS", "--paths-from", "-",
                     "--json")  # fmt: skip
    assert result.code == 0, result.err
    assert json.loads(result.out)["paths"][0]["path"] == "net/ipv4/tcp.c"


def test_dash_c_runs_in_another_directory(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    elsewhere = repo.parent
    result = run_cli(capsys, "-C", str(elsewhere), "who", "-C", str(repo), "--maintainers",
                     "MAINTAINERS", "README", "--json")  # fmt: skip
    assert result.code == 0, result.err
    assert json.loads(result.out)["paths"][0]["sections"][0]["name"] == "THE REST"


def test_without_options_the_trees_maintainers_file_is_used(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "who", "net/ipv4/tcp.c", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["paths"][0]["sections"][0]["name"] == "IPV4"


def test_control_characters_are_escaped_for_people_and_exact_in_json(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = "net/\x1b[31mred\r\n.c"
    human = run_cli(capsys, "who", "--maintainers", "MAINTAINERS", "--color", hostile)
    assert "net/\\x1b[31mred\\r\\n.c" in human.out
    assert "\x1b[31mred" not in human.out
    assert "\r" not in human.out
    machine = run_cli(capsys, "who", "--maintainers", "MAINTAINERS", "--json", hostile)
    assert json.loads(machine.out)["paths"][0]["path"] == hostile


def test_color_only_when_asked_or_on_a_terminal(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = run_cli(capsys, "who", "--maintainers", "MAINTAINERS", "README")
    colored = run_cli(capsys, "who", "--maintainers", "MAINTAINERS", "--color", "README")
    assert "\x1b[" not in plain.out
    assert "\x1b[" in colored.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["who"], "no paths"),
        (["who", "--maintainers", "nope", "README"], "--maintainers nope: No such file"),
        (
            ["who", "--maintainers", "MAINTAINERS", "--rev", "v9", "README"],
            "'v9' is not a revision",
        ),
        (["who", "--maintainers", "MAINTAINERS", "../x"], "../x: outside the repository"),
        (["--config", "missing.cfg", "who", "README"], "--config missing.cfg: no such file"),
    ],
)
def test_usage_errors_exit_2(
    repo: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    result = run_cli(capsys, *args)
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err


def test_outside_a_repository(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "MAINTAINERS").write_text(MAINTAINERS)
    result = run_cli(capsys, "who", "--maintainers", "MAINTAINERS", "README")
    assert result.code == 2
    assert f"not a git repository: {workdir}" in result.err


def test_json_errors_are_json_too(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "who", "--json", "--maintainers", "MAINTAINERS", "--rev", "v9", "x")
    assert json.loads(result.out)["error"]["exit_code"] == 2


@pytest.mark.parametrize(
    ("content", "where"),
    [
        (b"S\nF:\n", "MAINTAINERS:2: F: empty pattern"),
        (b"F:\tx/\n", "MAINTAINERS:1: entry line before any section title"),
        (b"S\nN:\t(?<=a)b\n", "MAINTAINERS:2: N: cannot compile"),
        (b"S\nF:\tfoo(\n", "MAINTAINERS:2: F: cannot compile"),
        (b"S\nF:\ta/\n\x00", "MAINTAINERS:3: NUL byte"),
    ],
)
def test_malformed_maintainers_exit_2_with_file_and_line(
    repo: Path, capsys: pytest.CaptureFixture[str], content: bytes, where: str
) -> None:
    (repo / "MAINTAINERS").write_bytes(content)
    result = run_cli(capsys, "who", "--maintainers", "MAINTAINERS", "README")
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1
    assert where in lines[0]


def test_malformed_config_exits_2_with_file_and_line(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "maintainers.cfg").write_text('[main]\nurl = .\n\n[subsystem "a"]\nschedule = hourly\n')
    result = run_cli(capsys, "who", "README")
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        "error: maintainers.cfg:5: schedule: expected daily, weekly, monthly, manual or a "
        "cron expression (5 fields)"
    ]


def test_pathological_regex_cannot_hang(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "MAINTAINERS").write_text(MAINTAINERS + "\nSLOW\nN:\t(a+)+$\n")
    path = "a" * 20000 + "!"
    started = time.monotonic()
    result = run_cli(capsys, "who", "--maintainers", "MAINTAINERS", "--json", path)
    # A backtracking engine needs ~2**20000 steps here; a linear one, microseconds.
    assert time.monotonic() - started < 30
    assert result.code == 0
    assert [s["name"] for s in json.loads(result.out)["paths"][0]["sections"]] == ["THE REST"]


def test_unknown_letters_and_bad_bytes_do_not_stop_who(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "MAINTAINERS").write_bytes(b"ODD\nZ:\tzap\nM:\tJ\xf6rg <j@x.org>\nF:\tnet/\n")
    result = run_cli(capsys, "who", "--maintainers", "MAINTAINERS", "--json", "net/x.c")
    assert result.code == 0
    section = json.loads(result.out)["paths"][0]["sections"][0]
    assert section["maintainers"] == ["J\ufffdrg <j@x.org>"]


def test_python_dash_m_and_help(repo: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "treemerge", "who", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--paths-from" in done.stdout
    assert "Examples:" in done.stdout
