"""`who`, `lint` and `export` on the real Linux 3.6 tree and MAINTAINERS file."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.git.conftest import linux_file, linux_paths
from tests.helpers import run_cli
from treemerge.core.codeowners import primary_owners
from treemerge.core.matcher import OwnershipIndex

pytestmark = pytest.mark.slow  # all 39,724 paths of Linux 3.6: half a minute

# What get_maintainer.pl of Linux 3.6 answers (ownership.md).
EXAMPLES = {
    "drivers/net/ethernet/intel/e1000e/netdev.c": [
        "INTEL ETHERNET DRIVERS (e100/e1000/e1000e/igb/igbvf/ixgb/ixgbe/ixgbevf)",
        "NETWORKING DRIVERS",
        "THE REST",
    ],
    "net/ipv4/tcp.c": ["NETWORKING [IPv4/IPv6]", "NETWORKING [GENERAL]", "THE REST"],
    "Documentation/SM501.txt": ["DOCUMENTATION", "THE REST"],
    "arch/arm/mach-omap1/clock.h": [
        "OMAP CLOCK FRAMEWORK SUPPORT",
        "OMAP SUPPORT",
        "ARM PORT",
        "THE REST",
    ],
}
# get_maintainer.pl --sections run over every path of the tree (tests/data/README.md).
ORACLE = Path(__file__).resolve().parents[1] / "data" / "linux-3.6-get_maintainer.jsonl.gz"


@pytest.fixture
def index(linux_index: OwnershipIndex) -> OwnershipIndex:
    return linux_index


@pytest.fixture(scope="module")
def who_json(linux_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Sections per path from one `who --json` run over all 39,724 paths."""
    capsys_free = tmp_path_factory.mktemp("who") / "out.json"
    files = capsys_free.with_name("files.txt")
    files.write_bytes(linux_file("files.txt"))
    with capsys_free.open("w") as out:
        subprocess.run(
            [
                sys.executable, "-m", "treemerge", "who", "--maintainers", "MAINTAINERS",
                "--rev", "HEAD", "--paths-from", str(files), "--json",
            ],
            cwd=linux_repo, stdout=out, check=True,
        )  # fmt: skip
    document = json.loads(capsys_free.read_text())
    return {p["path"]: [s["name"] for s in p["sections"]] for p in document["paths"]}


def test_examples_from_ownership_md(who_json: dict[str, list[str]]) -> None:
    for path, sections in EXAMPLES.items():
        assert who_json[path] == sections


def test_every_path_answered_and_the_catch_all_comes_last(who_json: dict[str, list[str]]) -> None:
    assert list(who_json) == linux_paths()
    assert all(sections[-1] == "THE REST" for sections in who_json.values())


def _oracle() -> dict[str, list[str]]:
    if not ORACLE.is_file():
        pytest.skip(f"no oracle data at {ORACLE}")
    rows = gzip.decompress(ORACLE.read_bytes()).decode().splitlines()
    return dict(map(json.loads, rows))


def test_same_sections_as_get_maintainer_for_every_path(who_json: dict[str, list[str]]) -> None:
    oracle = _oracle()
    assert len(oracle) == len(who_json) == 39724
    differing = [p for p, sections in who_json.items() if set(sections) != set(oracle[p])]
    assert differing == []


def test_order_agrees_with_get_maintainer(index: OwnershipIndex) -> None:
    """get_maintainer.pl sorts by pattern depth but breaks ties in Perl hash order
    (random), so its order must be one of the orders our depths allow."""
    mismatched = []
    for path, printed in _oracle().items():
        depth = {m.section.name: m.depth for m in index.owners(path).matches}
        depths = [depth[name] for name in printed]
        if depths != sorted(depths, reverse=True):
            mismatched.append(path)
    assert mismatched == []


def test_lint_reports_coverage_and_unmatched_patterns(
    linux_repo: Path,
    index: OwnershipIndex,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(linux_repo)
    result = run_cli(capsys, "maintainers", "lint", "--maintainers", "MAINTAINERS", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    coverage = report["coverage"]
    assert coverage["paths"] == 39724
    assert coverage["owned"] + coverage["unowned"] == 39724
    unowned = sum(1 for p in linux_paths() if all(s.is_catch_all for s in index.owners(p).sections))
    assert coverage["unowned"] == unowned > 0
    unmatched = {(w["line"], w["message"].split("'")[1]) for w in report["warnings"]
                 if w["code"] == "unmatched-pattern"}  # fmt: skip
    # 8250 became a directory in 3.6, so `drivers/tty/serial/8250*` (no slash rule)
    # matches nothing any more; `drivers/tty/serial/` matches plenty.
    assert (167, "drivers/tty/serial/8250*") in unmatched
    assert all(pattern != "drivers/tty/serial/" for _, pattern in unmatched)
    assert report["errors"] == []


def _codeowners_owner(rules: list[tuple[str, tuple[str, ...]]], path: str) -> tuple[str, ...]:
    """Last match wins, for the three rule shapes the export writes."""
    owners: tuple[str, ...] = ()
    for pattern, who in rules:
        if (
            pattern == "*"
            or (pattern.endswith("/") and path.startswith(pattern[1:]))
            or pattern[1:] == path
        ):
            owners = who
    return owners


def test_codeowners_gives_every_path_its_primary_owner(
    linux_repo: Path,
    index: OwnershipIndex,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(linux_repo)
    result = run_cli(capsys, "maintainers", "export", "--format", "codeowners",
                     "--maintainers", "MAINTAINERS")  # fmt: skip
    assert result.code == 0, result.err
    rules = []
    for line in result.out.splitlines():
        if line and not line.startswith("#"):
            pattern, *who = line.split(" ")
            rules.append((pattern.replace("\\", ""), tuple(who)))
    assert 100 < len(rules) < 20000  # compact: far fewer rules than paths
    wrong = [
        path
        for path in linux_paths()
        if _codeowners_owner(rules, path) != primary_owners(index.owners(path).sections)
    ]
    assert wrong == []
