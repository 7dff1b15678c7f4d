"""git commands started early: taken once by the same command, dropped by a write, and
request-pull's plan guessing every command the command runs."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

import treemerge.cli.main
import treemerge.gitio.run
from tests.git.project import Project
from tests.git.test_request_pull import rich_history
from tests.helpers import git, make_repo
from treemerge.app import early
from treemerge.core.errors import GitError
from treemerge.gitio.run import (
    allow_early,
    early_pending,
    forget_early,
    peek_early,
    run_git,
    start_early,
)

TAGS = ["for-each-ref", "--format=%(refname)", "refs/tags/"]


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Path]:
    path = make_repo(tmp_path / "repo", {"README": "readme\n"})
    git(path, "tag", "one")
    yield path
    forget_early()


def tag_outside(repo: Path, name: str) -> None:
    """A change made by another process (not through treemerge's git runner)."""
    subprocess.run(["git", "tag", name], cwd=repo, check=True)


def test_an_early_answer_is_taken_once_by_the_same_command(repo: Path) -> None:
    allow_early()
    start_early(TAGS, cwd=repo)
    assert peek_early(TAGS, cwd=repo) == b"refs/tags/one\n"  # ran, still there to take
    tag_outside(repo, "two")
    # The first run of the command gets the answer git gave when it started early...
    assert run_git(TAGS, cwd=repo) == b"refs/tags/one\n"
    assert early_pending() == []
    # ...and every later run asks git again.
    assert run_git(TAGS, cwd=repo) == b"refs/tags/one\nrefs/tags/two\n"


def test_a_command_that_may_write_drops_every_early_answer(repo: Path) -> None:
    allow_early()
    start_early(TAGS, cwd=repo)
    peek_early(TAGS, cwd=repo)
    run_git(["tag", "two"], cwd=repo)
    assert early_pending() == []
    assert run_git(TAGS, cwd=repo) == b"refs/tags/one\nrefs/tags/two\n"
    start_early(TAGS, cwd=repo)  # and none starts any more in this process
    assert early_pending() == []


def test_reading_commands_leave_early_answers_alone(repo: Path) -> None:
    allow_early()
    start_early(TAGS, cwd=repo)
    run_git(["-c", "core.quotePath=false", "log", "--oneline"], cwd=repo)
    assert early_pending() == [tuple(TAGS)]


def test_nothing_starts_unless_allowed_and_never_a_command_that_writes(repo: Path) -> None:
    start_early(TAGS, cwd=repo)
    assert early_pending() == []
    allow_early()
    start_early(["tag", "two"], cwd=repo)
    start_early(["-c", "x.y=z", "update-ref", "refs/tags/three", "HEAD"], cwd=repo)
    assert early_pending() == []
    assert git(repo, "tag").split() == ["one"]


def test_only_the_same_arguments_directory_and_input_take_an_answer(
    repo: Path, tmp_path: Path
) -> None:
    other = make_repo(tmp_path / "other", {"README": "other\n"})
    allow_early()
    ask = b"HEAD:README\n"
    start_early(["cat-file", "--batch-check"], cwd=repo, input=ask)
    assert run_git(["cat-file", "--batch-check"], cwd=repo, input=b"HEAD:nope\n").endswith(
        b"missing\n"
    )
    assert b"blob" in run_git(["cat-file", "--batch-check"], cwd=other, input=ask)
    assert run_git(["cat-file", "--batch-check"], cwd=repo, env={"X": "1"}, input=ask)
    assert early_pending() == [("cat-file", "--batch-check")]
    assert b"blob" in run_git(["cat-file", "--batch-check"], cwd=repo, input=ask)
    assert early_pending() == []


def test_an_early_failure_is_reported_as_the_command_run_then(repo: Path) -> None:
    command = ["cat-file", "tag", "no-such-tag"]
    with pytest.raises(GitError) as fresh:
        run_git(command, cwd=repo, where="net")
    allow_early()
    start_early(command, cwd=repo)
    assert peek_early(command, cwd=repo) is None  # (it failed)
    with pytest.raises(GitError) as taken:
        run_git(command, cwd=repo, where="net")
    assert str(taken.value) == str(fresh.value)
    assert "net" in str(taken.value)


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Project]:
    proj = Project(tmp_path, capsys)
    assert proj.run("tree", "create", "net").code == 0
    assert proj.run("tree", "create", "drivers").code == 0
    rich_history(proj)
    proj.commit("drivers", {"drivers/block.c": "block 2\n"}, "drivers: block 2")
    assert proj.run("sync", "main", "net", "drivers").code == 0
    yield proj
    forget_early()


def untaken_at_the_end(monkeypatch: pytest.MonkeyPatch) -> list[list[tuple[str, ...]]]:
    """What is left of the early commands when each run of `main` ends."""
    left: list[list[tuple[str, ...]]] = []

    def forget(**kwargs: object) -> None:
        left.append(early_pending())
        forget_early()

    monkeypatch.setattr(treemerge.cli.main, "forget_early", forget)
    return left


def ran_here(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """The git commands the process runs itself (not taken from an early start)."""
    ran: list[tuple[str, ...]] = []
    real = treemerge.gitio.run._run

    def run(args: Sequence[str], **kwargs: Any) -> object:
        ran.append(tuple(args))
        return real(args, **kwargs)

    monkeypatch.setattr(treemerge.gitio.run, "_run", run)
    return ran


@pytest.mark.parametrize("extra", [[], ["--tag", "net-pull"]])
def test_request_pull_takes_every_command_its_plan_started(
    project: Project, monkeypatch: pytest.MonkeyPatch, extra: list[str]
) -> None:
    argv = ["-C", str(project.root), "request-pull", "net", "--dry-run", *extra]
    expected = project.run(*argv[2:])
    left = untaken_at_the_end(monkeypatch)
    plan = early.start(argv)
    assert plan is not None
    plan.join()
    started = early_pending()
    # The heads and tags (one read), merge base, git's two blocks, the log, the net
    # diff, the URL, the tag at the URL, the forecast's merges and the MAINTAINERS file.
    assert len(started) == 10
    ran = ran_here(monkeypatch)
    result = project.run(*argv[2:])
    assert (result.code, result.out, result.err) == (expected.code, expected.out, expected.err)
    assert left == [[]]
    assert not set(started) & set(ran)  # each answered early, none run again


def test_request_pull_that_writes_asks_git_again_after_writing(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Early, the tag is at no URL; once the run has tagged and pushed, it is."""
    left = untaken_at_the_end(monkeypatch)
    plan = early.start(["-C", str(project.root), "request-pull", "net", "--dry-run"])
    assert plan is not None
    plan.join()
    assert any(command[:2] == ("ls-remote", str(project.root / "trees" / "net.git"))
               for command in early_pending())  # fmt: skip
    document = project.json("request-pull", "net")
    assert left == [[]]  # (each taken before the tag was made, or dropped then)
    assert [f["rule"] for f in document["lint"] if f["severity"] == "error"] == []
    at_url = git(project.root / "trees" / "net.git", "rev-parse", f"{document['tag']}^{{}}")
    assert at_url.strip() == document["head"]


def test_the_executable_writes_what_the_command_does_in_process(project: Project) -> None:
    args = ["request-pull", "net", "--dry-run", "--format", "markdown"]
    expected = project.run(*args)
    done = subprocess.run(
        [sys.executable, "-m", "treemerge", "-C", str(project.root), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout) == (expected.code, expected.out)
    assert "treemerge report" in done.stdout or "ownership" in done.stdout.lower()


@pytest.mark.parametrize(
    "argv",
    [
        ["request-pull", "net", "--head", "HEAD"],
        ["request-pull", "net", "--edit"],
        ["request-pull", "net", "--message", "-"],
        ["request-pull", "--", "net"],
        ["check", "net"],
        ["request-pull"],
        ["request-pull", "no-such-tree"],
        ["--config", "no-such.cfg", "request-pull", "net"],
    ],
)
def test_a_plan_starts_only_for_what_it_understands(project: Project, argv: list[str]) -> None:
    assert early.start(["-C", str(project.root), *argv]) is None
    assert not any(command[0] == "merge-base" for command in early_pending())


def test_a_command_run_before_its_early_start_does_not_start_early(repo: Path) -> None:
    allow_early()
    assert run_git(TAGS, cwd=repo) == b"refs/tags/one\n"
    start_early(TAGS, cwd=repo)  # too late: it would only run a second time
    assert early_pending() == []
