"""History answered by git's plumbing, and the paths each commit changed, remembered."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.git.project import Project
from tests.helpers import git, make_repo
from treemerge.core.shortlog import shortlog
from treemerge.gitio.history import History
from treemerge.gitio.treeat import TreeAt
from treemerge.store.changed import FILE_NAME, ChangedPaths

ODD = "dir with space/t\u00e9st\tname.txt"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A checkout whose history touches ordinary and awkward file names, with a merge."""
    path = make_repo(tmp_path / "r", {"a/one.txt": "1\n", "b/two.txt": "2\n", "top.txt": "t\n"})
    git(path, "checkout", "-q", "-b", "side")
    (path / "b" / "two.txt").write_text("2 side\n")
    git(path, "commit", "-qam", "side: two")
    git(path, "checkout", "-q", "master")
    (path / "a" / "one.txt").write_text("1 again\n")
    (path / "dir with space").mkdir()
    (path / ODD).write_text("odd\n")
    git(path, "add", "-A")
    git(path, "commit", "-qm", "main: one and an odd name\n\nAcked-by: X <x@example.org>")
    git(path, "merge", "-q", "--no-ff", "-m", "Merge side", "side")
    git(path, "mv", "top.txt", "a/top.txt")
    git(path, "commit", "-qm", "move top")
    return path


def log_paths(repo: Path, rev: str) -> dict[str, list[str]]:
    """git's own answer: for each path, the commits of `rev` that changed it, oldest first."""
    out = git(repo, "log", "--reverse", "--topo-order", "-z", "--no-renames",
              "--name-only", "--format=%x01%H", rev)  # fmt: skip
    found: dict[str, list[str]] = {}
    for record in out.split("\x01")[1:]:
        sha, _, names = record.partition("\n")
        for name in filter(None, names.split("\0")):
            found.setdefault(name.strip("\n"), []).append(sha.strip("\0\n "))
    return found


@pytest.mark.parametrize("remembered", [False, True])
def test_commits_touching_agrees_with_git_log(repo: Path, tmp_path: Path, remembered: bool) -> None:
    known = ChangedPaths(tmp_path / FILE_NAME) if remembered else None
    history = History(repo / ".git", known=known)
    root = git(repo, "rev-list", "--max-parents=0", "HEAD").strip()
    pending = history.pending(root, "HEAD")
    shas = [c.sha for c in pending]
    expected = log_paths(repo, f"{root}..HEAD")
    paths = sorted(expected)
    assert ODD in paths
    assert "top.txt" in paths
    assert "a/top.txt" in paths
    for _ in range(2):  # the second time from what was remembered, when remembering
        assert history.commits_touching(shas, paths, head="HEAD", hide=root) == expected
    if known is not None:
        assert set(known.lookup(shas)) == set(shas)
        merge = next(c.sha for c in pending if c.is_merge)
        assert known.lookup([merge]) == {merge: ()}  # a merge changes nothing of its own


def test_many_unknown_commits_and_few_paths_use_a_limited_log(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("treemerge.gitio.history.LEARN_LIMIT", 0)
    known = ChangedPaths(tmp_path / FILE_NAME)
    history = History(repo / ".git", known=known)
    root = git(repo, "rev-list", "--max-parents=0", "HEAD").strip()
    shas = [c.sha for c in history.pending(root, "HEAD")]
    found = history.commits_touching(shas, [ODD], head="HEAD", hide=root)
    assert found == {ODD: log_paths(repo, f"{root}..HEAD")[ODD]}
    assert known.lookup(shas) == {}  # a limited log learns nothing about whole commits


def test_net_diff_pending_and_ancestry(repo: Path) -> None:
    history = History(repo / ".git")
    root = git(repo, "rev-list", "--max-parents=0", "HEAD").strip()
    changes = {(c.status, c.path, c.old_path) for c in history.net_diff(root, "HEAD")}
    assert {("D", "top.txt", None), ("A", "a/top.txt", None), ("A", ODD, None)} <= changes
    assert not any(c[0] == "R" for c in changes)  # each path once: renames left to `renames`
    renames = {(c.status, c.path, c.old_path) for c in history.renames(root, "HEAD")}
    assert renames == {("R", "a/top.txt", "top.txt"), ("A", ODD, None)}
    pending = history.pending(root, "HEAD")
    assert [c.subject for c in pending][-1] == "move top"
    assert len(pending) == 4
    acked = next(c for c in pending if c.subject.startswith("main: one"))
    assert acked.acked_by() == {"x@example.org"}
    assert history.is_ancestor(root, "HEAD")
    assert not history.is_ancestor("HEAD", root)
    assert history.ahead_behind("HEAD", root) == (4, 0)
    assert history.resolve("--output=/tmp/x") is None
    assert history.resolve("no-such-rev") is None
    assert history.merge_base("side", "master") == git(repo, "rev-parse", "side").strip()


def test_a_broken_remembered_file_only_costs_time(repo: Path, tmp_path: Path) -> None:
    broken = tmp_path / FILE_NAME
    broken.write_bytes(b"this is not a database" * 100)
    history = History(repo / ".git", known=ChangedPaths(broken))
    root = git(repo, "rev-list", "--max-parents=0", "HEAD").strip()
    shas = [c.sha for c in history.pending(root, "HEAD")]
    expected = log_paths(repo, f"{root}..HEAD")
    assert history.commits_touching(shas, sorted(expected), head="HEAD", hide=root) == expected
    assert broken.read_bytes().startswith(b"this is not a database")  # left as it was


def test_remembered_paths_survive_any_bytes(tmp_path: Path) -> None:
    store = ChangedPaths(tmp_path / FILE_NAME)
    weird = "caf\udce9/\u00fcml\u00e4ut\nnewline"  # a non-UTF-8 byte kept as a surrogate
    store.remember({"a" * 40: (weird, "plain"), "b" * 40: ()})
    store.close()
    again = ChangedPaths(tmp_path / FILE_NAME)
    assert again.lookup(["a" * 40, "b" * 40, "c" * 40]) == {
        "a" * 40: (weird, "plain"),
        "b" * 40: (),
    }
    with sqlite3.connect(tmp_path / FILE_NAME) as db:
        assert db.execute("SELECT count(*) FROM changed").fetchone() == (2,)


def test_paths_split_where_a_byte_sequence_breaks(tmp_path: Path) -> None:
    # Each path's stray bytes stay its own, though the row is decoded in one piece:
    # a sequence cut short at the end of one path, continuation bytes opening the next.
    paths = tuple(
        raw.decode("utf-8", "surrogateescape")
        for raw in (b"\xe2\x82", b"\xacx", b"\xf0\x9f\x98", b"\x80\xff", b"caf\xc3\xa9", b"")
    )
    store = ChangedPaths(tmp_path / FILE_NAME)
    store.remember({"a" * 40: paths})
    store.close()
    assert ChangedPaths(tmp_path / FILE_NAME).lookup(["a" * 40]) == {"a" * 40: paths}


def test_tree_at_reads_files_and_knows_directories(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD").strip()
    tree = TreeAt(repo / ".git", head)
    assert tree.read(ODD) == b"odd\n"
    assert tree.read("a") is None
    assert tree.read("missing.txt") is None
    tree.learn_directories(["a", "dir with space", "a/one.txt", "nothing here"])
    assert tree.is_dir("a")
    assert tree.is_dir("dir with space/")
    assert not tree.is_dir("a/one.txt")
    assert not tree.is_dir("nothing here")
    assert tree.is_dir("b")  # not asked ahead: answered from a listing of the tree
    assert not tree.is_dir("b/two.txt")


def test_sync_learns_every_pending_commit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = Project(tmp_path, capsys)
    assert project.run("sync", "main").code == 0
    assert project.run("tree", "create", "net").code == 0
    first = project.commit("net", {"net/core.c": "one\n"}, "net: one")
    second = project.commit("net", {"drivers/char.c": "two\n"}, "net: two")
    assert project.run("sync", "net").code == 0
    store = ChangedPaths(project.root / ".treemerge" / FILE_NAME)
    assert store.lookup([first, second]) == {
        first: ("net/core.c",),
        second: ("drivers/char.c",),
    }


def test_the_executable_exits_with_the_command_status(tmp_path: Path) -> None:
    """`python -m treemerge` leaves without tearing the interpreter down: what it
    printed is all there, and the exit status is the command's."""
    ok = subprocess.run(
        [sys.executable, "-m", "treemerge", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0
    assert "treemerge" in ok.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "treemerge", "check", "net", "--config", str(tmp_path / "no")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert missing.returncode == 2
    assert "no such file" in missing.stderr


def test_shortlog_from_the_log_is_git_shortlog(tmp_path: Path) -> None:
    path = make_repo(tmp_path / "s", {"f.txt": "0\n"})
    root = git(path, "rev-parse", "HEAD").strip()
    messages = [
        ("Zoë Zed <z@x.org>", "[PATCH v2 3/7] net: tidy\n\nbody"),
        ("adam <a@x.org>", "   leading spaces   \n"),
        ("Adam <A@x.org>", "[PATCH] only a prefix"),
        ("Émile <e@x.org>", "a title paragraph\nthat goes on\n\nand a body"),
        ("Zoë Zed <z@x.org>", "[PATCHES] not quite\t"),
        ("Bob <b@x.org>", "[PATCH no closing bracket"),
        ("adam <a@x.org>", "\u00a0non-breaking space first"),
        ("Bob <b@x.org>", "tabs\tinside\tsubject"),
    ]
    for n, (author, message) in enumerate(messages):
        (path / "f.txt").write_text(f"change {n}\n")
        git(path, "commit", "-qam", message, f"--author={author}", "--cleanup=verbatim")
    git(path, "checkout", "-q", "-b", "side", "HEAD~3")
    git(path, "commit", "-q", "--allow-empty", "-m", "side work", "--author=Bob <b@x.org>")
    git(path, "checkout", "-q", "master")
    git(path, "merge", "-q", "--no-ff", "-m", "Merge side", "side")
    history = History(path / ".git")
    pending = history.pending(root, "HEAD", topological=False)
    walked = [(c.name, c.oneline) for c in reversed(pending)]
    assert shortlog(walked) == git(path, "shortlog", f"^{root}", "HEAD")
