"""Merges `next` works out without git, against git's own, on random real histories.

Each example is a small repository whose branches edit, add, delete, rename and move
files and whole directories, change modes, make symlinks, and turn files into
directories and back. Whenever treemerge claims to know a merge's result (a trivial
merge, or one carried over from the upstream), it must be exactly the tree
`git merge-tree --write-tree` writes; and `next` as a whole must end on the tree that
merging tree by tree with git ends on.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import git
from treemerge.app.integration import build_next
from treemerge.app.project import Project
from treemerge.core.config import parse_config
from treemerge.gitio.fastimport import data_command, quote_path
from treemerge.gitio.objects import ObjectStore, Oid, oid_from_hex
from treemerge.gitio.trivial import PathSet, carried_merge, survey, tree_changes, trivial_merge

# A tree: path -> (mode, content). Contents are many lines, each file's own, so that
# git's rename detection pairs a file with its edited or moved copy.
Files = dict[str, tuple[str, bytes]]

# Few paths, so that the sides often meet; targets that clash (a file where a
# directory is) are skipped.
PATHS = ["a", "d/x", "d/y", "d/e/z", "f/g", "f/h"]
TARGETS = ["a", "b", "d/q", "d/e/w", "f/i", "n/x", "d", "f", "d/x/i", "n/e/z"]
DIRECTORIES = ["d", "d/e", "f"]
MOVED_TO = ["n", "m", "f/d"]
OPS = ["edit", "add", "delete", "rename", "move_dir", "chmod", "symlink", "to_dir", "to_file"]


def text(seed: str, lines: int = 8) -> bytes:
    return "".join(f"{seed} line {i}: {seed * 3}\n" for i in range(lines)).encode()


def valid(files: Files) -> bool:
    """No path is both a file and a directory above another file."""
    directories = {p[:i] for p in files for i in range(len(p)) if p[i] == "/"}
    return not directories & set(files)


def apply(files: Files, ops: list[tuple[str, int, int]], salt: str) -> Files:
    """`files` after each op that leaves a valid tree (the others are skipped)."""
    for number, (op, i, j) in enumerate(ops):
        after = _after(files, op, i, j, f"{salt} {number}")
        if valid(after):
            files = after
    return files


def _after(files: Files, op: str, i: int, j: int, tag: str) -> Files:
    """`files` after one op: `i` picks a file or a directory, `j` a target or a line."""
    present = sorted(files)
    after = dict(files)
    path = present[i % len(present)] if present else ""
    target = TARGETS[j % len(TARGETS)]
    directory = DIRECTORIES[i % len(DIRECTORIES)]
    below = [p for p in files if p.startswith(directory + "/")]
    if op in ("edit", "delete", "rename", "chmod", "symlink", "to_dir") and not path:
        return files
    if op == "edit":
        mode, content = files[path]
        lines = content.split(b"\n")
        lines[j % len(lines)] = f"{tag} edit".encode()
        after[path] = (mode, b"\n".join(lines))
    elif op == "add" and target not in files:
        after[target] = ("100644", text(tag))
    elif op == "delete":
        del after[path]
    elif op == "rename" and target not in files:
        after[target] = after.pop(path)
    elif op == "move_dir":
        moved = MOVED_TO[j % len(MOVED_TO)]
        after.update({moved + old[len(directory) :]: after.pop(old) for old in below})
    elif op == "chmod" and files[path][0] != "120000":
        mode, content = files[path]
        after[path] = ("100755" if mode == "100644" else "100644", content)
    elif op == "symlink":
        after[path] = ("120000", target.encode())
    elif op == "to_dir":
        after[f"{path}/inner"] = after.pop(path)
    elif op == "to_file":
        after = {p: entry for p, entry in after.items() if p not in below}
        after[directory] = ("100644", text(f"{tag} file"))
    return after


operations = st.lists(
    st.tuples(st.sampled_from(OPS), st.integers(0, 40), st.integers(0, 40)), min_size=1, max_size=5
)
initial = st.sets(st.sampled_from(PATHS), min_size=4)


class History:
    """A bare repository that commits whole trees (one fast-import per commit)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        subprocess.run(["git", "init", "-q", "--bare", str(path)], check=True)
        self.serial = 0

    def commit(self, files: Files, parents: list[str], ref: str) -> str:
        """A commit of the tree `files` on `parents`, as `ref`."""
        return self._import(ref, parents, files, whole=True)

    def add(self, parent: str, files: Files, ref: str) -> str:
        """A commit on `parent` that adds `files` to its tree."""
        return self._import(ref, [parent], files, whole=False)

    def _import(self, ref: str, parents: list[str], files: Files, *, whole: bool) -> str:
        self.serial += 1
        stream = [f"commit {ref}\n".encode()]
        stream.append(b"committer T <t@example.org> %d +0000\n" % (1_700_000_000 + self.serial))
        stream.append(data_command(f"commit {self.serial}".encode()))
        stream += [b"from %s\n" % parents[0].encode()] if parents else []
        stream += [b"merge %s\n" % p.encode() for p in parents[1:]]
        stream += [b"deleteall\n"] if whole else []
        for path, (mode, content) in sorted(files.items()):
            stream.append(b"M %s inline %s\n" % (mode.encode(), quote_path(path)))
            stream.append(data_command(content))
        stream.append(b"\n")
        subprocess.run(
            ["git", "fast-import", "--quiet", "--force"],
            cwd=self.path,
            input=b"".join(stream),
            check=True,
        )
        return git(self.path, "rev-parse", ref).strip()

    def merge_tree(self, ours: str, theirs: str) -> tuple[bool, str]:
        """(clean, tree) of git's merge."""
        done = subprocess.run(
            ["git", "merge-tree", "--write-tree", ours, theirs],
            cwd=self.path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode in (0, 1), done.stderr
        return done.returncode == 0, done.stdout.split()[0]

    def commit_tree(self, tree: str, parents: list[str]) -> str:
        args = ["commit-tree", tree, "-m", "merge"]
        for parent in parents:
            args += ["-p", parent]
        return git(self.path, *args).strip()

    def tree(self, commit: str) -> Oid:
        return oid_from_hex(git(self.path, "rev-parse", f"{commit}^{{tree}}").strip())


def build(
    history: History, base: Files, sides: Mapping[str, list[list[tuple[str, int, int]]]]
) -> dict[str, str]:
    """The base commit, then for each side a branch of one commit per list of ops."""
    root = history.commit(base, [], "refs/heads/base")
    heads = {"base": root}
    for name, steps in sides.items():
        files, head = base, root
        for number, ops in enumerate(steps or [[]]):
            files = apply(files, ops, f"{name}{number}")
            head = history.commit(files, [head], f"refs/heads/{name}")
        heads[name] = head
    return heads


SETTINGS = settings(
    max_examples=35,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)


@pytest.mark.slow  # generated histories, each merged by git too
@SETTINGS
@given(
    base=initial,
    ours=st.lists(operations, min_size=1, max_size=2),
    theirs=st.lists(operations, min_size=1, max_size=2),
)
def test_a_trivial_merge_is_gits_merge(
    tmp_path_factory: pytest.TempPathFactory,
    base: set[str],
    ours: list[list[tuple[str, int, int]]],
    theirs: list[list[tuple[str, int, int]]],
) -> None:
    history = History(tmp_path_factory.mktemp("history"))
    files = {p: ("100644", text(p)) for p in base}
    heads = build(history, files, {"ours": ours, "theirs": theirs})
    work = survey(history.path, heads["ours"], [heads["theirs"]])[heads["theirs"]]
    with ObjectStore(history.path) as store:
        found = trivial_merge(store, history.tree(heads["ours"]), work.delta)
    if found is not None:
        assert work.base == heads["base"]
        clean, tree = history.merge_tree(heads["ours"], heads["theirs"])
        assert clean
        assert found.tree.hex() == tree


@pytest.mark.slow  # generated histories, each merged by git too
@SETTINGS
@given(
    base=initial,
    upstream=st.lists(operations, min_size=1, max_size=2),
    earlier=st.lists(operations, min_size=1, max_size=2),
    theirs=st.lists(operations, min_size=1, max_size=2),
)
def test_a_carried_merge_is_gits_merge(
    tmp_path_factory: pytest.TempPathFactory,
    base: set[str],
    upstream: list[list[tuple[str, int, int]]],
    earlier: list[list[tuple[str, int, int]]],
    theirs: list[list[tuple[str, int, int]]],
) -> None:
    history = History(tmp_path_factory.mktemp("history"))
    files = {p: ("100644", text(p)) for p in base}
    sides = {"upstream": upstream, "earlier": earlier, "theirs": theirs}
    heads = build(history, files, sides)
    # The integration so far: the upstream with the earlier tree merged in.
    clean, tree = history.merge_tree(heads["upstream"], heads["earlier"])
    alone_clean, alone = history.merge_tree(heads["upstream"], heads["theirs"])
    if not (clean and alone_clean):
        return
    ours = history.commit_tree(tree, [heads["upstream"], heads["earlier"]])
    work = survey(history.path, heads["upstream"], [heads["theirs"]])[heads["theirs"]]
    with ObjectStore(history.path) as store:
        upstream_tree = history.tree(heads["upstream"])
        found = carried_merge(
            store,
            oid_from_hex(tree),
            work.delta,
            upstream=upstream_tree,
            changes=tree_changes(store, upstream_tree, oid_from_hex(alone)),
            ours_changed=PathSet.of(tree_changes(store, upstream_tree, oid_from_hex(tree))),
        )
    if found is not None:
        clean, expected = history.merge_tree(ours, heads["theirs"])
        assert clean
        assert found.tree.hex() == expected


CONFIG = """\
[main]
url = main.git
branch = master

[integration]
order = {order}
"""
SUBSYSTEM = """
[subsystem "{name}"]
title = {name}
files = {name}/
"""


@pytest.mark.slow  # generated histories, each merged by git too
@SETTINGS
@given(
    base=initial,
    upstream=st.lists(operations, min_size=1, max_size=2),
    trees=st.lists(st.lists(operations, min_size=1, max_size=2), min_size=2, max_size=4),
    stacked=st.booleans(),
)
def test_next_ends_on_the_tree_git_merges_to(
    tmp_path_factory: pytest.TempPathFactory,
    base: set[str],
    upstream: list[list[tuple[str, int, int]]],
    trees: list[list[list[tuple[str, int, int]]]],
    stacked: bool,
) -> None:
    root = tmp_path_factory.mktemp("project")
    names = [f"t{i}" for i in range(len(trees))]
    config = CONFIG.format(order=" ".join(names)) + "".join(
        SUBSYSTEM.format(name=name) for name in names
    )
    (root / "maintainers.cfg").write_text(config)
    history = History(root / ".treemerge" / "repo.git")
    files = {p: ("100644", text(p)) for p in base}
    sides = {"main": upstream, **dict(zip(names, trees, strict=True))}
    heads = build(history, files, sides)
    if stacked:  # the last tree builds on the first one's work
        extra = {"stacked": ("100644", text("stacked"))}
        heads[names[-1]] = history.add(heads[names[0]], extra, f"refs/heads/{names[-1]}")
    for name in ["main", *names]:
        git(history.path, "update-ref", f"refs/trees/{name}", heads[name])
    project = Project(parse_config(config, "maintainers.cfg"), root / "maintainers.cfg")
    result = build_next(project, run_tests=False)
    # The same chain, merge by merge with git.
    current = heads["main"]
    for outcome, name in zip(result.trees, names, strict=True):
        clean, tree = history.merge_tree(current, heads[name])
        assert outcome.merged == clean, name
        if clean:
            current = history.commit_tree(tree, [current, heads[name]])
    assert git(history.path, "rev-parse", f"{result.result}^{{tree}}") == git(
        history.path, "rev-parse", f"{current}^{{tree}}"
    )


# The cases rename detection makes hard, one by one: treemerge must leave each to git,
# and git's answer shows why.


def scenario(tmp_path: Path, ours: Files, theirs: Files) -> tuple[History, dict[str, str]]:
    """A base of d/x, d/y and a; `ours` and `theirs` are the two sides' trees."""
    history = History(tmp_path / "repo.git")
    base = {"d/x": ("100644", text("x")), "d/y": ("100644", text("y")), "a": ("100644", text("a"))}
    root = history.commit(base, [], "refs/heads/base")
    heads = {"base": root}
    heads["ours"] = history.commit(ours, [root], "refs/heads/ours")
    heads["theirs"] = history.commit(theirs, [root], "refs/heads/theirs")
    return history, heads


def trivial(history: History, heads: dict[str, str]) -> object:
    work = survey(history.path, heads["ours"], [heads["theirs"]])[heads["theirs"]]
    with ObjectStore(history.path) as store:
        return trivial_merge(store, history.tree(heads["ours"]), work.delta)


def paths(history: History, tree: str) -> set[str]:
    return set(git(history.path, "ls-tree", "-r", "--name-only", tree).split())


def test_a_directory_theirs_renamed_takes_what_ours_added_to_it(tmp_path: Path) -> None:
    a, x, y = ("100644", text("a")), ("100644", text("x")), ("100644", text("y"))
    ours = {"d/x": x, "d/y": y, "a": a, "d/new": ("100644", text("new"))}
    theirs = {"n/x": x, "n/y": y, "a": a}
    history, heads = scenario(tmp_path, ours, theirs)
    _, tree = history.merge_tree(heads["ours"], heads["theirs"])
    assert "n/new" in paths(history, tree)  # git moved it along (and says so)
    assert trivial(history, heads) is None


def test_a_file_theirs_adds_to_a_directory_ours_renamed_follows_it(tmp_path: Path) -> None:
    a, x, y = ("100644", text("a")), ("100644", text("x")), ("100644", text("y"))
    ours = {"n/x": x, "n/y": y, "a": a}
    theirs = {"d/x": x, "d/y": y, "a": a, "d/new": ("100644", text("new"))}
    history, heads = scenario(tmp_path, ours, theirs)
    _, tree = history.merge_tree(heads["ours"], heads["theirs"])
    assert "n/new" in paths(history, tree)
    assert trivial(history, heads) is None


def test_a_file_theirs_adds_below_a_file_of_ours_conflicts(tmp_path: Path) -> None:
    a, x, y = ("100644", text("a")), ("100644", text("x")), ("100644", text("y"))
    ours = {"d/x": x, "d/y": y, "a": a, "g": ("100644", text("g"))}
    theirs = {"d/x": x, "d/y": y, "a": a, "g/h": ("100644", text("h"))}
    history, heads = scenario(tmp_path, ours, theirs)
    clean, _ = history.merge_tree(heads["ours"], heads["theirs"])
    assert not clean
    assert trivial(history, heads) is None


def test_work_on_separate_paths_is_laid_on_top(tmp_path: Path) -> None:
    a, x, y = ("100644", text("a")), ("100644", text("x")), ("100644", text("y"))
    ours = {"d/x": x, "d/y": ("100755", text("y")), "a": a, "o": ("100644", text("o"))}
    theirs = {"d/x": ("120000", b"../a"), "d/y": y, "t/u": ("100644", text("u"))}
    history, heads = scenario(tmp_path, ours, theirs)
    clean, tree = history.merge_tree(heads["ours"], heads["theirs"])
    found = trivial(history, heads)
    assert clean
    assert found is not None
    assert found.tree.hex() == tree  # type: ignore[attr-defined]


def test_a_change_to_a_file_the_upstream_renamed_is_left_to_git(tmp_path: Path) -> None:
    # The upstream renamed a (and edited it); an earlier tree added an exact copy of
    # the old a. Merged into the upstream alone, theirs' edit of a follows the rename
    # to b; merged into the integration, git pairs a with the exact copy instead.
    history = History(tmp_path / "repo.git")
    lines = text("a", 12).splitlines(keepends=True)
    original = b"".join(lines)
    root = history.commit({"a": ("100644", original)}, [], "refs/heads/base")
    renamed = b"".join([b"renamed 0\n", b"renamed 1\n", *lines[2:]])
    upstream = history.commit({"b": ("100644", renamed)}, [root], "refs/heads/upstream")
    earlier = history.add(root, {"c": ("100644", original)}, "refs/heads/earlier")
    edited = b"".join([*lines[:9], b"edited 9\n", *lines[10:]])
    theirs = history.commit({"a": ("100644", edited)}, [root], "refs/heads/theirs")
    clean, tree = history.merge_tree(upstream, earlier)
    ours = history.commit_tree(tree, [upstream, earlier])
    alone_clean, alone = history.merge_tree(upstream, theirs)
    assert clean
    assert alone_clean
    work = survey(history.path, upstream, [theirs])[theirs]
    with ObjectStore(history.path) as store:
        upstream_tree = history.tree(upstream)
        found = carried_merge(
            store,
            oid_from_hex(tree),
            work.delta,
            upstream=upstream_tree,
            changes=tree_changes(store, upstream_tree, oid_from_hex(alone)),
            ours_changed=PathSet.of(tree_changes(store, upstream_tree, oid_from_hex(tree))),
        )
    assert found is None
    clean, merged = history.merge_tree(ours, theirs)
    # git's own answer differs from the upstream's merge carried over.
    carried = git(history.path, "rev-parse", f"{alone}:b").strip()
    assert clean
    assert git(history.path, "rev-parse", f"{merged}:b").strip() != carried
