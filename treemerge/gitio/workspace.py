"""The workspace repository: one bare repository holding every tree's history.

Subsystem trees are full copies of the project, so they share nearly all objects with
the main tree; one object store under `.treemerge/repo.git` holds them all, each tree's
branch kept as `refs/trees/<id>` (the main tree as `refs/trees/main`) and the main
tree's tags as `refs/tags/*`. Merge bases between trees are then one lookup away.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from treemerge.core.config import MAIN_ID
from treemerge.core.errors import GitError
from treemerge.gitio.localrefs import local_refs
from treemerge.gitio.run import far_end_options, is_remote, run_git

MAIN = MAIN_ID  # the main tree's id (maintainers.cfg refuses it for a subsystem)
# Settings of the workspace repository: never run maintenance on its own, never hooks.
REPO_CONFIG = (
    ("gc.auto", "0"),
    ("maintenance.auto", "false"),
    ("core.hooksPath", os.devnull),
    ("fetch.writeFetchHead", "false"),
    ("receive.denyCurrentBranch", "refuse"),
)
# What `maintain` keeps that nothing names: objects younger than this may belong to a
# command still running.
PRUNE_AFTER = "1.hour.ago"
# git's own rule for when a repository needs packing (`git gc --auto`, with git's
# defaults): more loose objects than AUTO_LOOSE (estimated, as git does, from the one of
# the 256 directories they are spread over named 17), or more packs than AUTO_PACKS.
AUTO_LOOSE = 6700
AUTO_PACKS = 50
# What packing by that rule keeps as it is: a pack this big (the first fetch of the main
# tree's history) would cost memory in proportion to its objects to pack again.
BIG_PACK = "64m"
AUTO_GC = (
    *("-c", f"gc.auto={AUTO_LOOSE}", "-c", f"gc.autoPackLimit={AUTO_PACKS}"),
    *("-c", "gc.autoDetach=false", "-c", f"gc.bigPackThreshold={BIG_PACK}"),
)
# How long one fetch or push may take before it counts as a failure (seconds).
TRANSFER_TIMEOUT = 900
# How long a transfer with another machine may go without a word (progress included)
# before it counts as hung: one server that accepts and never answers must not hold a
# cron cycle (and its lock) for the whole TRANSFER_TIMEOUT.
TRANSFER_STALL = 60.0


def tree_ref(tree_id: str) -> str:
    return f"refs/trees/{tree_id}"


# Where a tree keeps the review notes Gerrit's review-notes plugin writes.
REVIEW_NOTES = "refs/notes/review"


NOTES_TREES = "refs/notes/review-trees/"
# Where `review` fetches the pull tags it reviews: refs/pulls/<tree id>/<tag>.
PULLS = "refs/pulls/"


def review_notes_ref(tree_id: str) -> str:
    """The workspace's copy of a tree's review notes."""
    return f"{NOTES_TREES}{tree_id}/review"


def review_notes_refspec(tree_id: str) -> str:
    """Fetches a tree's review notes when it has them and is no error when it has none
    (an exact refspec is): the pattern also takes refs/notes/review<more>, each under
    the tree's own directory, where nothing reads them."""
    return f"+{REVIEW_NOTES}*:{NOTES_TREES}{tree_id}/review*"


def resolve_location(location: str, base: Path) -> str:
    """A tree location from maintainers.cfg: local paths are relative to the file."""
    if is_remote(location) or location.startswith("file://"):
        return location
    return str((base / location).resolve())


def _is_hex(name: str) -> bool:
    return all(c in "0123456789abcdef" for c in name)


class FetchResult(NamedTuple):
    tree: str
    old: str | None
    new: str | None

    @property
    def changed(self) -> bool:
        return self.old != self.new


# A commit's id and its note, NUL after each (`git log -z`).
NOTE_FORMAT = "--format=%H%x00%N"


def parse_notes(out: bytes, commits: frozenset[str]) -> dict[str, str]:
    """{commit: note} from `git log -z` with NOTE_FORMAT. A note is a tree's blob and
    may hold NULs: a field is a commit id only when it is one of `commits`, and the
    field after it is its note."""
    fields = out.decode("utf-8", "replace").split("\0")
    notes: dict[str, str] = {}
    i = 0
    while i + 1 < len(fields):
        sha = fields[i].lstrip("\n")
        if sha in commits and sha not in notes:
            if fields[i + 1]:
                notes[sha] = fields[i + 1]
            i += 2
        else:
            i += 1
    return notes


class WorkspaceRepo:
    """`.treemerge/repo.git`: created on first use, then only fetched into."""

    def __init__(self, workspace: Path) -> None:
        self.workspace = workspace
        self.path = workspace / "repo.git"

    def ensure(self) -> None:
        if (self.path / "HEAD").is_file():
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        run_git(["init", "-q", "--bare", str(self.path)], where="workspace")
        for key, value in REPO_CONFIG:
            self.git("config", key, value)

    def git(self, *args: str, where: str = "workspace", timeout: float | None = None) -> bytes:
        return run_git(list(args), cwd=self.path, where=where, timeout=timeout)

    def transfer(self, command: str, url: str, *args: str, where: str) -> bytes:
        """`git COMMAND [options] ARGS` with the tree at `url` (fetch, push, ls-remote):
        hardened at the far end, bounded in time, and for another machine killed when
        it goes quiet (fetch and push report progress while data moves)."""
        options = far_end_options(command, url, checkout=where == MAIN)
        remote = is_remote(url)
        if remote and command in ("fetch", "push"):
            options.append("--progress")
        return run_git(
            [command, *options, *args],
            cwd=self.path,
            where=where,
            timeout=TRANSFER_TIMEOUT,
            stall=TRANSFER_STALL if remote else None,
        )

    def ref(self, tree_id: str) -> str | None:
        """The commit the workspace holds for a tree, or None before its first sync."""
        try:
            out = self.git("rev-parse", "-q", "--verify", f"{tree_ref(tree_id)}^{{commit}}")
        except GitError:
            return None
        return out.decode().strip() or None

    def refs(self, tree_ids: Sequence[str]) -> list[str | None]:
        """`ref` of each tree, in one git call while every tree has been synced."""
        try:
            out = self.git("rev-parse", *(f"{tree_ref(i)}^{{commit}}" for i in tree_ids))
        except GitError:  # one is missing (or not a commit): ask for each
            return [self.ref(i) for i in tree_ids]
        return list(out.decode().split())

    def refs_under(self, prefix: str) -> dict[str, str]:
        """Every ref whose name starts with `prefix`, in one git call: {the rest of
        its name: the object it names}."""
        out = self.git("for-each-ref", "--format=%(objectname) %(refname)", prefix)
        found = {}
        for line in out.decode("utf-8", "surrogateescape").splitlines():
            oid, _, ref = line.partition(" ")
            found[ref.removeprefix(prefix)] = oid
        return found

    def tree_tips(self, tree_id: str) -> list[str]:
        """What the workspace holds of a tree: its synced head and the pull tags fetched
        from it (refs/pulls/<id>/*, tag objects that git peels), in one git call."""
        out = self.git(
            "for-each-ref", "--format=%(objectname)", tree_ref(tree_id), f"{PULLS}{tree_id}/"
        )
        return out.decode("ascii").split()

    def tree_heads(self) -> dict[str, str]:
        """Every tree's commit in the workspace, in one git call: {tree id: commit}."""
        return self.refs_under(tree_ref(""))

    def fetch(self, tree_id: str, url: str, branch: str, *, tags: bool = False) -> FetchResult:
        """Fetch `branch` of `url` into refs/trees/<tree_id>, its review notes (if any)
        into review_notes_ref(tree_id), and its tags into refs/tags."""
        old = self.ref(tree_id)
        refspecs = [f"+refs/heads/{branch}:{tree_ref(tree_id)}", review_notes_refspec(tree_id)]
        if tags:
            refspecs.append("+refs/tags/*:refs/tags/*")
        self.fetch_refs(url, refspecs, where=tree_id)
        return FetchResult(tree_id, old, self.ref(tree_id))

    def fetch_refs(self, url: str, refspecs: list[str], *, where: str) -> None:
        """Fetch `refspecs` from a tree (hardened at both ends: `far_end_options`)."""
        options = ["--quiet", "--no-tags", "--no-write-fetch-head"]
        self.transfer("fetch", url, *options, url, *refspecs, where=where)

    def review_notes_heads(self) -> dict[str, str]:
        """Every tree's review notes commit in the workspace, in one git call."""
        heads = {}
        for name, commit in self.refs_under(NOTES_TREES).items():
            tree_id, _, last = name.rpartition("/")
            if last == "review":
                heads[tree_id] = commit
        return heads

    def review_notes(self, tree_id: str, commits: Sequence[str]) -> dict[str, str]:
        """The review note of each of `commits` that has one, as the tree wrote it."""
        ref = review_notes_ref(tree_id)
        if not commits or self.git("for-each-ref", "--format=x", ref).strip() == b"":
            return {}
        stdin = "".join(f"{sha}\n" for sha in commits).encode("ascii")
        args = ["log", "--no-walk=unsorted", "--stdin", f"--notes={ref}", "-z", NOTE_FORMAT]
        out = run_git(args, cwd=self.path, where=tree_id, input=stdin)
        return parse_notes(out, frozenset(commits))

    def objects(self) -> dict[str, int]:
        """What the object store holds: `git count-objects -v` as numbers (count and
        size-kib for loose objects, in-pack and size-pack for packed ones...)."""
        out = self.git("count-objects", "-v").decode("ascii", "replace")
        found = {}
        for line in out.splitlines():
            name, _, value = line.partition(": ")
            if value.strip().isdigit():
                found[name] = int(value)
        return found

    def maintain(self, *, prune: str = PRUNE_AFTER, auto: bool = False) -> None:
        """Pack the refs and objects, and remove what nothing names that is older than
        `prune` (git's approxidate: objects a command running now is still writing are
        younger). The workspace never runs git's automatic maintenance (REPO_CONFIG):
        treemerge maintains it here, so its size follows the trees' history. `auto`
        packs only what `needs_packing` finds (the loose objects, or the packs but the
        big ones), as `git gc --auto` does."""
        rule = (*AUTO_GC, "gc", "--auto") if auto else ("gc",)
        self.git(*rule, "--quiet", f"--prune={prune}", where="workspace", timeout=None)

    def needs_packing(self) -> bool:
        """Whether git's own rule (AUTO_LOOSE, AUTO_PACKS) says the workspace needs
        packing: counted as `git gc --auto` counts."""
        objects = self.path / "objects"
        try:
            sample = os.listdir(objects / "17")
        except OSError:
            sample = []
        loose = sum(1 for name in sample if len(name) in (38, 62) and _is_hex(name))
        if loose > -(-AUTO_LOOSE // 256):
            return True
        try:
            packs = set(os.listdir(objects / "pack"))
        except OSError:
            return False
        kept = {name.removesuffix(".keep") for name in packs if name.endswith(".keep")}
        found = [n for n in packs if n.endswith(".pack") and n.removesuffix(".pack") not in kept]
        return len(found) > AUTO_PACKS

    def write_commit_graph(self) -> None:
        """Refresh git's commit-graph file: merge bases and ranges over a long history
        then cost milliseconds (incremental: only new commits are added)."""
        self.git("commit-graph", "write", "--reachable", "--split", "--no-progress")

    def changed_paths(self, base: str, head: str) -> set[str]:
        """Paths changed between the merge base of `base` and `head`, and `head`
        (both sides of a rename)."""
        out = self.git("diff", "--name-only", "--no-renames", "-z", f"{base}...{head}")
        return {p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p}

    def count(self, base: str, head: str) -> int:
        """How many commits `head` has that `base` lacks."""
        return int(self.git("rev-list", "--count", f"{base}..{head}").decode().strip() or 0)

    def push(self, url: str, refspecs: list[str], *, where: str) -> None:
        """Push to a tree. For a tree on this machine the receiving side runs hardened
        too (`far_end_options`: it would otherwise run the tree's hooks and config); a
        server's hooks are its owner's policy and stay in force. Only the main tree, the
        top maintainer's own, may have its checkout updated by the push."""
        self.transfer("push", url, "--quiet", "--no-verify", url, *refspecs, where=where)

    def remote_commits(self, url: str, refs: list[str], *, where: str) -> dict[str, str]:
        """What each of `refs` names in the repository at `url` (those it has): read
        from its files when it is on this machine and plainly laid out, else asked."""
        if not is_remote(url) and not url.startswith("file://"):
            found = local_refs(url, refs)
            if found is not None:
                return found
        out = self.transfer("ls-remote", url, url, *refs, where=where)
        found = {}
        for line in out.decode("utf-8", "surrogateescape").splitlines():
            commit, _, ref = line.partition("\t")
            if ref in refs:
                found[ref] = commit
        return found

    def remote_refs(self, url: str, *, where: str) -> list[str]:
        """The ref names a remote (or local) repository advertises."""
        out = self.transfer("ls-remote", url, url, where=where)
        return [line.split("\t", 1)[1] for line in out.decode().splitlines() if "\t" in line]
