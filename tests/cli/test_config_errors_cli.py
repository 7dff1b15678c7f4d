"""Configuration and command-line mistakes: exit 2 with file:line or the option, never
a traceback and never git's own error later."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_maintainers_cli import MAINTAINERS
from tests.helpers import make_repo, run_cli

CRON = '[main]\nurl = .\n\n[subsystem "net"]\nfiles = net/\nschedule = {schedule}\n'


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = make_repo(tmp_path / "proj", {"MAINTAINERS": MAINTAINERS, "net/core/dev.c": "x"})
    monkeypatch.chdir(path)
    return path


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            '[main]\nurl = .\n\n[subsystem "main"]\nfiles = net/\n',
            "maintainers.cfg:4: subsystem id 'main' is taken: 'main' names the main tree",
        ),
        (
            '[main]\nurl = .\n\n[subsystem "a..b"]\n',
            "maintainers.cfg:4: bad subsystem id 'a..b': it contains '..'",
        ),
        (
            '[main]\nurl = .\n\n[subsystem "x.lock"]\n',
            "maintainers.cfg:4: bad subsystem id 'x.lock': it ends with '.lock'",
        ),
        (
            '[main]\nurl = .\n\n[subsystem "x."]\n',
            "maintainers.cfg:4: bad subsystem id 'x.': it ends with '.'",
        ),
        (
            CRON.format(schedule="*/0 * * * *"),
            "maintainers.cfg:6: schedule: minute field '*/0': a step (after '/') is a number",
        ),
        (
            CRON.format(schedule="99 99 99 99 99"),
            "maintainers.cfg:6: schedule: minute field '99': 99 is out of range 0-59",
        ),
    ],
)
@pytest.mark.parametrize("command", [["status"], ["sync"], ["cron"], ["maintainers", "lint"]])
def test_refused_when_read(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    config: str,
    message: str,
    command: list[str],
) -> None:
    (repo / "maintainers.cfg").write_text(config)
    result = run_cli(capsys, *command)
    assert result.code == 2, result.err
    assert result.err.startswith(f"error: {message}")
    assert "internal error" not in result.err
    assert not (repo / ".treemerge").exists()  # refused before any git work


@pytest.mark.parametrize(
    ("tag", "words"),
    [
        ("refs/heads/for-main", "starts with 'refs/'"),
        ("refs/tags/v1", "starts with 'refs/'"),
        ("-n", "starts with '-'"),
        ("--delete", "starts with '-'"),
        ("a..b", "contains '..'"),
        ("x.lock", "ends with '.lock'"),
        ("x.", "ends with '.'"),
        ("a b", "contains a space"),
        ("a~1", "contains '~'"),
        ("", "is empty"),
    ],
)
def test_request_pull_tag_is_a_usage_error(
    repo: Path, capsys: pytest.CaptureFixture[str], tag: str, words: str
) -> None:
    (repo / "maintainers.cfg").write_text('[main]\nurl = .\n\n[subsystem "net"]\nfiles = net/\n')
    result = run_cli(capsys, "request-pull", "net", "--tag", tag)
    assert result.code == 2
    assert "Invalid value for '--tag'" in result.err
    assert f"{tag!r} is no tag name: it" in result.err
    assert words in result.err
    assert not (repo / ".treemerge").exists()


def test_no_color_is_honoured_on_a_terminal(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich: "this is a terminal"
    monkeypatch.setenv("TERM", "xterm-256color")
    missing = ["--config", "missing.cfg", "status"]
    coloured = run_cli(capsys, *missing)
    assert coloured.code == 2
    assert "\x1b[1;31merror: " in coloured.err  # (the test sees colours when they are on)
    monkeypatch.setenv("NO_COLOR", "1")
    plain = run_cli(capsys, *missing)
    assert "error: --config missing.cfg: no such file" in plain.err
    assert "31m" not in plain.err
    forced = run_cli(capsys, "--color", *missing)  # an explicit --color wins
    assert "\x1b[1;31merror: " in forced.err


def test_export_json_is_a_json_document(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "--json", "maintainers", "export")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert document["format"] == "codeowners"
    assert document["rules"] == [
        {"pattern": "*", "owners": ["top@example.org"]},
        {"pattern": "/net/", "owners": ["again@example.org"]},
    ]
    text = run_cli(capsys, "maintainers", "export").out
    assert document["text"] == text


def test_export_json_with_an_output_file(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "maintainers", "export", "--json", "-o", "CODEOWNERS")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert (repo / "CODEOWNERS").read_text() == document["text"]
    assert document["text"].endswith("/net/ again@example.org\n")
