"""`treemerge maintainers lint|export` on small real repositories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import make_repo, run_cli

MAINTAINERS = """\
NETWORKING
M:\tNet Dev <net@example.org>
F:\tnet/
F:\tnet/gone/
Z:\tunknown letter

NETWORKING
M:\tAgain <again@example.org>
F:\tnet/core/

ORPHANED
S:\tOrphan
F:\tdoc/

NOBODY
S:\tMaintained
F:\tlib/

SLOW
M:\tS <s@example.org>
N:\t(a+)+$

THE REST
M:\tTop <top@example.org>
F:\t*
F:\t*/
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    files = {
        "MAINTAINERS": MAINTAINERS,
        "net/core/dev.c": "x",
        "net/ipv4/tcp.c": "x",
        "doc/readme": "x",
        "lib/sort.c": "x",
        "tools/build.sh": "x",
        "Makefile": "x",
    }
    path = make_repo(tmp_path / "proj", files)
    monkeypatch.chdir(path)
    return path


def test_lint_json(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "maintainers", "lint", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["errors"] == []
    warnings = {(w["code"], w["line"]) for w in report["warnings"]}
    assert warnings == {
        ("unmatched-pattern", 4),  # net/gone/
        ("unknown-letter", 5),
        ("duplicate-title", 7),
        ("no-maintainer", 15),  # NOBODY (ORPHANED is expected to have none)
        ("slow-pattern", 21),
        ("unmatched-pattern", 21),
    }
    assert report["coverage"] == {
        "paths": 7,
        "owned": 4,
        "unowned": 3,
        "percent": 57.14,
        "unowned_dirs": [{"dir": "/", "paths": 2}, {"dir": "tools/", "paths": 1}],
    }


def test_lint_errors_exit_1_and_quiet_shows_only_problems(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "MAINTAINERS").write_text(MAINTAINERS + "\nBROKEN\nN:\t(?<=x)y\nF:\n")
    result = run_cli(capsys, "maintainers", "lint", "--maintainers", "MAINTAINERS", "--quiet")
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0].startswith("MAINTAINERS:29: error: N: cannot compile '(?<=x)y'")
    assert lines[1].startswith("MAINTAINERS:30: error: F: empty pattern")
    assert not any(": warning:" in line for line in lines)
    assert lines[-1] == "2 error(s), 7 warning(s)"


def test_lint_human_output_ends_with_coverage(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "maintainers", "lint")
    assert result.code == 0
    assert (
        "coverage: 4 of 7 paths (57.1%) are owned by a section other than the catch-all"
        in result.out
    )
    assert "HEAD:MAINTAINERS:4: warning: F: 'net/gone/' (NETWORKING) matches no path" in result.out


def test_export_to_a_file_that_cannot_be_written(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "maintainers", "export", "-o", "missing/CODEOWNERS")
    assert result.code == 2
    assert "cannot write missing/CODEOWNERS: no directory missing" in result.err
    assert not (repo / "missing").exists()


def test_export_to_a_file(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "maintainers", "export", "--format", "codeowners", "-o", "CODEOWNERS")
    assert result.code == 0
    text = (repo / "CODEOWNERS").read_text()
    rules = [line for line in text.splitlines() if not line.startswith("#")]
    # doc/ and lib/ have sections without maintainers: their owner is the next one (top).
    assert rules == [
        "* top@example.org",
        "/net/ again@example.org",
        "/net/ipv4/ net@example.org",
    ]


def test_config_ownership(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "maintainers.cfg").write_text(
        "[main]\nurl = .\nmaintainers-file = MAINTAINERS\n\n"
        '[subsystem "tools"]\ntitle = TOOLS\nmaintainers = T <t@example.org>\nfiles = tools/\n'
    )
    result = run_cli(capsys, "who", "--json", "tools/build.sh")
    assert result.code == 0, result.err
    names = [s["name"] for s in json.loads(result.out)["paths"][0]["sections"]]
    assert names == ["TOOLS", "THE REST"]


def test_a_maintainers_file_missing_from_the_tree_names_the_config_line(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "maintainers.cfg").write_text(
        '[main]\nurl = .\nmaintainers-file = OWNERS\n\n[subsystem "t"]\nfiles = tools/\n'
    )
    result = run_cli(capsys, "who", "tools/build.sh")
    assert result.code == 2
    assert result.err.strip() == (
        "error: maintainers.cfg:3: maintainers-file: OWNERS is not in the tree at HEAD"
    )


def test_lint_reports_a_review_policy_no_commit_can_meet(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two cores other than the author need three cores: SLOW's M: and the one
    `cores =` make two; one review other than the author's is within their reach."""
    config = (
        "[main]\nurl = .\nmaintainers-file = MAINTAINERS\n\n"
        '[subsystem "net"]\ntitle = SLOW\ncores = C <c@example.org>\nreview = REVIEW\n'
    )
    (repo / "maintainers.cfg").write_text(config.replace("REVIEW", "2"))
    result = run_cli(capsys, "maintainers", "lint", "--json")
    assert result.code == 1, result.out
    (error,) = [e for e in json.loads(result.out)["errors"] if e["code"] == "review-unsatisfiable"]
    assert (error["file"], error["line"], error["key"]) == ("maintainers.cfg", 7, "review")
    assert "has 2 core(s); it needs 3" in error["message"]
    human = run_cli(capsys, "maintainers", "lint")
    assert "maintainers.cfg:7" in human.out
    assert "review-unsatisfiable" in human.out or "needs 3" in human.out
    (repo / "maintainers.cfg").write_text(config.replace("REVIEW", "1"))
    document = json.loads(run_cli(capsys, "maintainers", "lint", "--json").out)
    assert not [e for e in document["errors"] if e["code"] == "review-unsatisfiable"]
