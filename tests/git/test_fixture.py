"""The fixture generator: a small Nova-shaped project, inspected with git itself."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TypedDict, Unpack

import pytest

from tests.helpers import git
from treemerge.core.config import SubsystemConfig, parse_config
from treemerge.core.errors import GitError, UsageError
from treemerge.core.matcher import OwnershipIndex
from treemerge.core.ownership import combine
from treemerge.gitio.fastimport import fast_import
from treemerge.sandbox import nova_paths
from treemerge.sandbox.fixture import SCENARIO_IDS, Fixture, build_fixture, fixture_paths
from treemerge.sandbox.fixture_config import fixture_config
from treemerge.sandbox.history import DAY, REFERENCE_TIME, release_points

ROOT = Path(__file__).resolve().parents[2]
CONFIG = (ROOT / "maintainers.cfg").read_text(encoding="utf-8")


class Options(TypedDict, total=False):
    commits: int
    files: int | None
    scenarios: Sequence[str] | None
    extra_commits: int
    releases: int
    seed: int


SMALL: Options = {"commits": 40, "files": 150, "releases": 2, "extra_commits": 2}
COMPUTE_ACK = "Acked-by: Gwendolyn Marsh <gwendolyn.marsh@example.org>"


def build(dest: Path, **options: Unpack[Options]) -> Fixture:
    return build_fixture(dest, CONFIG, **(SMALL | options))


@pytest.fixture(scope="module")
def module_seal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The seal for this module's shared repositories: they are built before any test's."""
    with pytest.MonkeyPatch.context() as patch:
        for name in os.environ:
            if name.startswith("GIT_"):
                patch.delenv(name)
        patch.setenv("HOME", str(tmp_path_factory.mktemp("home")))
        patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
        yield


@pytest.fixture(scope="module")
def fixture(module_seal: None, tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    return build(tmp_path_factory.mktemp("fixture"))


@pytest.fixture(scope="module")
def scratch(fixture: Fixture, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One repository holding main's master and every tree's branch (as t/<id>), for merges."""
    repo = tmp_path_factory.mktemp("scratch") / "all.git"
    git(fixture.dest, "clone", "-q", "--bare", str(fixture.main), str(repo))
    for ident, path in fixture.trees.items():
        git(repo, "fetch", "-q", str(path), f"for-main:refs/heads/t/{ident}")
    return repo


def merges_cleanly(repo: Path, ours: str, theirs: str) -> bool:
    done = subprocess.run(["git", "merge-tree", "--write-tree", "--name-only", ours, theirs],
                          cwd=repo, capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    return done.returncode == 0


def test_main_tree_has_the_history_the_tags_and_the_paths(fixture: Fixture) -> None:
    main = fixture.main
    assert git(main, "rev-list", "--count", "master").strip() == "40"
    assert git(main, "rev-parse", "master").strip() == fixture.head
    assert fixture.tags == ("28.0.0", "29.0.0")
    assert git(main, "tag", "--list").split() == list(fixture.tags)
    assert {git(main, "cat-file", "-t", t).strip() for t in fixture.tags} == {"tag"}
    after = int(git(main, "rev-list", "--count", "29.0.0..master"))
    assert 0 < after < 40
    files = git(main, "ls-tree", "-r", "--name-only", "master").split("\n")[:-1]
    assert files == sorted(fixture.paths)
    assert "maintainers.cfg" not in files


def test_dates_are_fixed_increasing_and_well_in_the_past(fixture: Fixture) -> None:
    times = [int(t) for t in git(fixture.main, "log", "--format=%ct", "master").split()]
    assert times == sorted(times, reverse=True)
    assert len(set(times)) == len(times)
    assert times[0] == REFERENCE_TIME - 30 * DAY


def test_main_commits_rewrite_whole_lines_of_real_files(fixture: Fixture) -> None:
    stat = git(fixture.main, "log", "--numstat", "--format=", "-5", "master").split("\n")
    counts = [line.split("\t")[:2] for line in stat if line]
    assert counts
    assert all(added == removed and 1 <= int(added) <= 3 for added, removed in counts)
    source = git(fixture.main, "show", "master:nova/compute/rpcapi.py")
    assert 30 <= len(source.splitlines()) <= 50
    compile(source, "rpcapi.py", "exec")  # the integration tree's test-command compiles nova/


def test_a_small_subset_keeps_every_path_a_scenario_needs() -> None:
    paths = fixture_paths(10)
    every = nova_paths()
    assert paths[:10] == every[:10]
    assert "nova/compute/rpcapi.py" in paths
    assert "nova/virt/libvirt/migration.py" in paths
    assert "nova/virt/libvirt/live_migration.py" not in paths
    assert paths == [p for p in every if p in set(paths)]


def test_each_tree_is_a_full_copy_forked_at_the_last_release(fixture: Fixture) -> None:
    release = git(fixture.main, "rev-parse", "29.0.0^{commit}").strip()
    for ident, expected in fixture.expected.items():
        tree = fixture.trees[ident]
        assert git(tree, "for-each-ref", "--format=%(refname)", "refs/heads").split() == [
            "refs/heads/for-main"
        ]
        assert git(tree, "symbolic-ref", "HEAD").strip() == "refs/heads/for-main"
        assert git(tree, "tag", "--list").split() == list(fixture.tags)
        assert git(tree, "rev-parse", "for-main").strip() == expected.head
        assert git(tree, "rev-list", "--count", f"{expected.base}..for-main").strip() == str(
            expected.commits
        )
        if expected.upstream == "main":
            assert expected.base == release
        git(tree, "fsck", "--no-progress", "--connectivity-only")


def test_placement_is_forked_from_the_scheduler_tree(fixture: Fixture) -> None:
    placement, scheduler = fixture.expected["placement"], fixture.expected["scheduler"]
    assert placement.upstream == "scheduler"
    assert placement.base == scheduler.head
    changed = git(placement.path, "diff", "--name-only", placement.base, "for-main").split()
    assert set(changed) == placement.owned
    assert "nova/scheduler/client/report.py" in changed
    assert not any(p in scheduler.owned for p in changed)


def test_pending_changes_are_exactly_what_the_expectation_lists(fixture: Fixture) -> None:
    for expected in fixture.expected.values():
        status = git(expected.path, "diff", "-M", "--name-status", expected.base, "for-main")
        changed: set[str] = set()
        renames = []
        for line in status.splitlines():
            kind, *names = line.split("\t")
            changed.update(names)
            if kind.startswith("R"):
                renames.append(tuple(names))
        assert changed == expected.owned | expected.foreign | expected.acked, expected.id
        assert tuple(renames) == expected.renames
    assert fixture.expected["libvirt"].renames == (
        ("nova/virt/libvirt/migration.py", "nova/virt/libvirt/live_migration.py"),
    )


def test_expectations_agree_with_the_ownership_in_the_config(fixture: Fixture) -> None:
    config = parse_config(fixture.config.read_text(encoding="utf-8"))
    directories = {p[:i] for p in fixture.paths for i in range(len(p)) if p[i] == "/"}
    index = OwnershipIndex(combine(config, None), directories.__contains__)

    def owners(path: str) -> set[str | None]:
        return {s.subsystem for s in index.owners(path).sections}

    for ident, expected in fixture.expected.items():
        assert all(ident in owners(p) for p in expected.owned), ident
        assert all(ident not in owners(p) for p in expected.foreign | expected.acked), ident
    assert fixture.expected["vmware"].foreign == {"nova/compute/manager.py"}
    assert fixture.expected["ironic"].acked == {"nova/compute/manager.py"}
    assert fixture.expected["conductor"].acked == {"nova/compute/rpcapi.py"}
    assert "compute" in owners("nova/compute/manager.py")
    assert all(not e.foreign and not e.acked for i, e in fixture.expected.items()
               if i in ("libvirt", "compute", "scheduler", "placement"))  # fmt: skip


def test_acks_and_sign_offs_are_in_the_commit_messages(fixture: Fixture) -> None:
    def log(ident: str) -> str:
        expected = fixture.expected[ident]
        return git(expected.path, "log", "--format=%B%n--%n", f"{expected.base}..for-main")

    assert COMPUTE_ACK in log("ironic")
    assert COMPUTE_ACK in log("conductor")
    assert "Acked-by" not in log("vmware")
    for ident, expected in fixture.expected.items():
        lines = git(expected.path, "log", "--format=%an <%ae>%x00%B%x01", f"{expected.base}..")
        for record in lines.split("\x01")[:-1]:
            author, message = record.strip("\n").split("\x00")
            assert f"Signed-off-by: {author}" in message, ident
    acked = git(fixture.trees["ironic"], "log", "--format=%H", "--grep=^Acked-by: ",
                "--", "nova/compute/manager.py")  # fmt: skip
    assert len(acked.split()) == 1


def test_compute_and_conductor_conflict_on_one_line(fixture: Fixture, scratch: Path) -> None:
    assert fixture.expected["compute"].conflicts_with == {"conductor"}
    assert fixture.expected["conductor"].conflicts_with == {"compute"}
    done = subprocess.run(["git", "merge-tree", "--write-tree", "--name-only",
                           "t/compute", "t/conductor"],
                          cwd=scratch, capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 1
    assert done.stdout.split("\n")[1] == "nova/compute/rpcapi.py"


def test_every_other_pair_and_main_merge_cleanly(fixture: Fixture, scratch: Path) -> None:
    for ident, expected in fixture.expected.items():
        assert merges_cleanly(scratch, "master", f"t/{ident}"), ident
        if not expected.conflicts_with:
            assert all(merges_cleanly(scratch, f"t/{ident}", f"t/{o}") for o in fixture.trees)
    assert merges_cleanly(scratch, "t/libvirt", "t/vmware")
    assert merges_cleanly(scratch, "t/vmware", "t/ironic")  # the same file, different lines


def keep(sub: SubsystemConfig) -> tuple[object, ...]:
    """What the rewrite must keep of a subsystem (the patterns without their line numbers)."""
    patterns = tuple(tuple(v.text for v in p) for p in (sub.files, sub.exclude, sub.regex))
    return (sub.title, sub.maintainers, sub.reviewers, sub.upstream, sub.schedule, patterns)


def test_the_config_is_valid_and_points_at_the_fixture(fixture: Fixture) -> None:
    config = parse_config(fixture.config.read_text(encoding="utf-8"), str(fixture.config))
    original = parse_config(CONFIG)
    assert (fixture.config.parent / config.main.url).resolve() == fixture.main.resolve()
    assert [s.id for s in config.subsystems] == [
        s.id for s in original.subsystems if s.id in SCENARIO_IDS
    ]
    for sub in config.subsystems:
        assert sub.tree is not None
        assert (fixture.config.parent / sub.tree).resolve() == fixture.trees[sub.id].resolve()
        assert sub.branch == "for-main"
        before = original.subsystem(sub.id)
        assert before is not None
        assert keep(sub) == keep(before)
    assert config.integration.order == tuple(
        i for i in original.integration.order if i in fixture.trees
    )


def test_the_same_arguments_give_the_same_commits(fixture: Fixture, tmp_path: Path) -> None:
    again = build(tmp_path / "again")
    assert again.head == fixture.head
    assert {i: e.head for i, e in again.expected.items()} == {
        i: e.head for i, e in fixture.expected.items()
    }
    other = build(tmp_path / "other", seed=1, scenarios=["libvirt"])
    assert other.head != fixture.head


def test_chosen_scenarios_bring_their_upstream_and_leave_main_alone(
    fixture: Fixture, tmp_path: Path
) -> None:
    built = build(tmp_path, scenarios=["placement"])
    assert list(built.trees) == ["scheduler", "placement"]
    assert built.head == fixture.head
    assert built.expected["placement"].head == fixture.expected["placement"].head
    text = built.config.read_text(encoding="utf-8")
    assert '[subsystem "libvirt"]' not in text
    assert parse_config(text).integration.order == ("scheduler", "placement")


def test_refuses_to_build_over_a_fixture_or_with_unknown_input(
    fixture: Fixture, tmp_path: Path
) -> None:
    with pytest.raises(UsageError, match="already there"):
        build_fixture(fixture.dest, CONFIG, **SMALL)
    with pytest.raises(UsageError, match="unknown scenario 'zvm'"):
        build_fixture(tmp_path, CONFIG, scenarios=["zvm"])
    with pytest.raises(ValueError, match="too few"):
        build_fixture(tmp_path, CONFIG, commits=3, releases=3)
    without_vmware = fixture_config(CONFIG, [i for i in SCENARIO_IDS if i != "vmware"])
    with pytest.raises(UsageError, match="no maintainers for subsystem 'vmware'"):
        build_fixture(tmp_path, without_vmware)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("commits", "releases", "expected"),
    [
        (300, 3, {99: "27.0.0", 197: "28.0.0", 295: "29.0.0"}),
        (60_000, 2, {29_545: "28.0.0", 59_090: "29.0.0"}),
        (10, 1, {7: "29.0.0"}),
    ],
)
def test_release_points(commits: int, releases: int, expected: dict[int, str]) -> None:
    assert release_points(commits, releases) == expected


CFG = """\
# top comment

[main]
url = ../nova.git

[integration]
order = a
        b c

# about b
# more about b
[subsystem "b"]
maintainers = B <b@example.org>
tree = ../trees/b.git
       stale continuation

[subsystem "c"]
maintainers = C <c@example.org>
"""


def test_fixture_config_rewrites_only_where_the_trees_are() -> None:
    assert fixture_config(CFG, ["c"]) == (
        "# top comment\n\n[main]\nurl = main.git\n\n[integration]\norder = c\n\n"
        '[subsystem "c"]\ntree = trees/c.git\nbranch = for-main\n'
        "maintainers = C <c@example.org>\n"
    )
    rewritten = fixture_config(CFG, ["b", "c"])
    assert '# about b\n# more about b\n[subsystem "b"]' in rewritten
    assert "stale continuation" not in rewritten
    assert parse_config(rewritten).integration.order == ("b", "c")


def test_the_command_line_builds_a_fixture(tmp_path: Path) -> None:
    dest = tmp_path / "fx"
    done = subprocess.run(
        [sys.executable, "-m", "treemerge.sandbox", str(dest),
         "--config", str(ROOT / "maintainers.cfg"), "--commits", "20", "--files", "30",
         "--releases", "1", "--scenarios", "libvirt,vmware", "--extra", "1"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "trees: libvirt, vmware" in done.stdout
    assert git(dest / "main.git", "rev-list", "--count", "master").strip() == "20"
    assert sorted(p.name for p in (dest / "trees").iterdir()) == ["libvirt.git", "vmware.git"]


def test_fast_import_reports_a_refused_stream_and_abandons_on_error(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="fast-import"), fast_import(tmp_path / "bad.git") as stream:
        stream.write(b"commit refs/heads/master\nnonsense\n")

    def half_written() -> None:
        with fast_import(tmp_path / "half.git") as stream:
            stream.write(b"blob\ndata 2\nhi\n")
            raise RuntimeError("generator failed")

    with pytest.raises(RuntimeError):
        half_written()
    assert git(tmp_path / "half.git", "count-objects").startswith("0 objects")
