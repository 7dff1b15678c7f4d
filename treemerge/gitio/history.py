"""History questions answered by git's plumbing, a few processes per question.

Every answer comes from git itself: merge bases, ancestry and counts use the workspace's
commit-graph (kept by `sync`), which makes them milliseconds on any history. Which
commits touched which paths comes from one `git log --raw` over the commits not yet
known, remembered per commit in the workspace (see `treemerge.store.changed`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Protocol

from treemerge.core.changes import Arrival, CommitInfo, NetChange
from treemerge.core.errors import RepositoryError
from treemerge.gitio.run import decode_path, git_call, run_git

# Above this many paths, `git log` reads the whole range instead of taking pathspecs.
MAX_PATHSPECS = 1000
# Settings of the user's that would change what `git log` prints.
LOG_OPTIONS = ("-c", "log.showSignature=false", "-c", "diff.relative=false")
# One commit per record: id, parents, author, commit time, mailmapped author name,
# subject line, committer, raw message.
COMMIT_FORMAT = "--format=%H%x00%P%x00%an <%ae>%x00%ct%x00%aN%x00%s%x00%cn <%ce>%x00%B"
FIELDS = 8
NAME_STATUS = ("diff", "-z", "--name-status", "--no-ext-diff")
RAW_LOG = ("-z", "--raw", "--no-renames", "--no-abbrev", "--no-ext-diff", "--format=%H")
# When this many commits are not known yet and few paths are asked about, a log limited
# to those paths is cheaper than learning every path of every commit.
LEARN_LIMIT = 200


class History:
    """Read-only history queries on one repository (a workspace or any clone)."""

    def __init__(self, path: Path, *, known: KnownChanges | None = None) -> None:
        if not path.is_dir():
            raise RepositoryError(f"cannot open repository {path}: no such directory")
        self.path = path
        self._known = known

    def _git(self, *args: str) -> bytes:
        return run_git(args, cwd=self.path, where=str(self.path))

    def resolve(self, rev: str) -> str | None:
        """The commit id `rev` names, or None."""
        if not rev or rev.startswith("-") or "\n" in rev:
            return None
        args = ["rev-parse", "-q", "--verify", f"{rev}^{{commit}}"]
        code, out = git_call(args, cwd=self.path, where=str(self.path), ok=(0, 1, 128))
        return out.decode("ascii", "replace").strip() if code == 0 else None

    def merge_base(self, one: str, two: str) -> str | None:
        code, out = git_call(
            ["merge-base", one, two], cwd=self.path, where=str(self.path), ok=(0, 1)
        )
        return out.decode("ascii").strip() if code == 0 and out.strip() else None

    def ahead_behind(self, head: str, upstream: str) -> tuple[int, int]:
        """Commits `head` has that `upstream` lacks, and the other way round."""
        out = self._git("rev-list", "--left-right", "--count", f"{head}...{upstream}")
        ahead, behind = out.split()
        return int(ahead), int(behind)

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        if ancestor == descendant:
            return True
        args = ["merge-base", "--is-ancestor", ancestor, descendant]
        code, _ = git_call(args, cwd=self.path, where=str(self.path), ok=(0, 1))
        return code == 0

    def bringing_commit(self, head: str, upstream: str) -> str:
        """The commit of `upstream`'s first-parent history that brought `head` in (its
        merge; `head` itself when the upstream moved to it, fast-forward). `head` must
        be an ancestor of `upstream`. The first-parent commits descending from `head`
        are the newest ones of that history: the oldest of them is the answer."""
        out = self._git(
            "rev-list", "--first-parent", "--ancestry-path", "--parents", f"{head}..{upstream}"
        )
        lines = out.decode("ascii").split("\n")
        oldest = [line.split() for line in lines if line.strip()][-1:]
        if not oldest or oldest[0][1:2] == [head]:
            return head
        return oldest[0][0]

    def arrival(self, base: str, head: str, upstream: str) -> Arrival:
        """How many of the commits `base..head` (merges aside) `upstream` has: the
        same commits, or others with the same patch (`git cherry`'s patch ids)."""
        total = int(self._git("rev-list", "--no-merges", "--count", f"{base}..{head}"))
        marks = [line[:1] for line in self._git("cherry", upstream, head, base).split(b"\n")]
        missing, picked = marks.count(b"+"), marks.count(b"-")
        return Arrival(total, total - missing - picked, picked)

    def commit(self, sha: str) -> CommitInfo:
        found = self._log(["--no-walk", sha])
        if not found:
            raise RepositoryError(f"{sha}: not a commit of {self.path}")
        return found[0]

    def commits(self, shas: Iterable[str]) -> dict[str, CommitInfo]:
        """Each of `shas` that is a commit here, read by one `git log`."""
        wanted = sorted({sha for sha in shas if sha and not sha.startswith("-")})
        if not wanted:
            return {}
        return {info.sha: info for info in self._log(["--no-walk", *wanted])}

    def pending(
        self, upstream: str | None, head: str, *, topological: bool = True
    ) -> list[CommitInfo]:
        """Commits reachable from `head` but not from `upstream`, oldest first: parents
        before children, or (not `topological`) the exact reverse of the order git
        walks them in, which is the order `git shortlog` sees."""
        hidden = [f"^{upstream}"] if upstream is not None else []
        order = ["--topo-order"] if topological else []
        return self._log([*order, "--reverse", head, *hidden])

    def first_parents(self, head: str, stop: str | None = None) -> list[CommitInfo]:
        """`head` and its first parents back to (not including) `stop`, newest first."""
        hidden = [f"^{stop}"] if stop is not None else []
        return self._log(["--first-parent", head, *hidden])

    def _log(self, args: list[str]) -> list[CommitInfo]:
        out = self._git(*LOG_OPTIONS, "log", "-z", COMMIT_FORMAT, *args, "--")
        return list(parse_commits(out))

    def net_diff(self, base: str, head: str) -> list[NetChange]:
        """The change from `base` to `head`, each path once, renames not paired: a
        renamed file is its old path deleted and its new path added (`renames` pairs
        them)."""
        args = [*NAME_STATUS, "--no-renames", base, head, "--"]
        return list(parse_name_status(self._git(*LOG_OPTIONS, *args)))

    def renames(self, base: str, head: str) -> list[NetChange]:
        """The added and deleted paths of `base..head` as `git diff -M` pairs them: each
        one once, as a rename (R) or as added (A) or deleted (D).

        Only added and deleted paths are candidates for `-M`, so leaving the modified
        ones out of the output (`--diff-filter`) changes no pairing; the whole tree is
        still compared, as naming the paths would make git match each against them all.
        """
        args = [*NAME_STATUS, "-M", "--diff-filter=ADR", base, head, "--"]
        return list(parse_name_status(self._git(*LOG_OPTIONS, *args)))

    def commits_touching(
        self, commits: Sequence[str], paths: Iterable[str], *, head: str, hide: str
    ) -> dict[str, list[str]]:
        """For each of `paths`, which of `commits` (those of `head` but not of `hide`,
        oldest first) changed it.

        Paths each commit changed are remembered once learnt; commits not known yet are
        read with one `git log --raw`. When many are unknown and the paths are few
        enough to name, one log limited to them is cheaper and is used instead.
        """
        wanted = set(paths)
        if not wanted:
            return {}
        known = self._lookup(commits)
        missing = [sha for sha in commits if sha not in known]
        if len(missing) > LEARN_LIMIT and len(wanted) <= MAX_PATHSPECS:
            return self._touching_by_pathspec(head, hide, wanted)
        known.update(self.learn(missing))
        touched: dict[str, list[str]] = {}
        for sha in commits:
            for path in known.get(sha, ()):
                if path in wanted:
                    found = touched.get(path)
                    if found is None:
                        touched[path] = [sha]
                    else:
                        found.append(sha)
        return touched

    def commits_between(self, heads: Sequence[str], hide: str, *, limit: int) -> list[str]:
        """Commits of any of `heads` but not of `hide`, newest first, at most `limit`."""
        out = self._git("rev-list", f"--max-count={limit}", *heads, f"^{hide}", "--")
        return out.decode("ascii").split()

    def reachable(self, heads: Sequence[str], hide: str) -> set[str]:
        """Every commit of any of `heads` (commits or tags; those the repository lacks
        are left out) but not of `hide`."""
        if not heads:
            return set()
        out = self._git("rev-list", "--ignore-missing", *heads, f"^{hide}", "--")
        return set(out.decode("ascii").split())

    def graph(self, heads: Iterable[str], hide: Iterable[str]) -> dict[str, list[str]]:
        """{commit: its parents} for every commit of any of `heads` and of none of
        `hide` (one `git rev-list`)."""
        stdin = "".join([*(f"{h}\n" for h in heads), *(f"^{h}\n" for h in hide)]).encode()
        out = run_git(
            ["rev-list", "--parents", "--stdin"], cwd=self.path, input=stdin, where=str(self.path)
        )
        found: dict[str, list[str]] = {}
        for line in out.decode("ascii").splitlines():
            commit, *parents = line.split()
            found[commit] = parents
        return found

    def common_base(self, commits: Sequence[str]) -> str | None:
        """A best common ancestor of all of `commits` (`git merge-base --octopus`), or
        None when they have none."""
        args = ["merge-base", "--octopus", *commits]
        code, out = git_call(args, cwd=self.path, where=str(self.path), ok=(0, 1))
        return out.decode("ascii").strip() or None if code == 0 else None

    def changed(self, commits: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """The paths each of `commits` changed (none for a merge): remembered, or read
        with one `git log` (and remembered)."""
        known = self._lookup(commits)
        known.update(self.learn([sha for sha in commits if sha not in known]))
        return known

    def unknown(self, commits: Sequence[str]) -> list[str]:
        """Those of `commits` whose changed paths are not remembered yet."""
        known = self._lookup(commits)
        return [sha for sha in commits if sha not in known]

    def _lookup(self, commits: Sequence[str]) -> dict[str, tuple[str, ...]]:
        return self._known.lookup(commits) if self._known else {}

    def learn(self, commits: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """The paths each of `commits` changed (none for a merge), remembered."""
        if not commits:
            return {}
        stdin = "".join(f"{sha}\n" for sha in commits).encode("ascii")
        args = [*LOG_OPTIONS, "log", "--no-walk", "--stdin", *RAW_LOG]
        out = run_git(args, cwd=self.path, where=str(self.path), input=stdin)
        found: dict[str, list[str]] = {sha: [] for sha in commits}
        for sha, path in parse_raw_log(out):
            found.setdefault(sha, []).append(path)
        result = {sha: tuple(paths) for sha, paths in found.items()}
        if self._known:
            self._known.remember(result)
        return result

    def _touching_by_pathspec(self, head: str, hide: str, wanted: set[str]) -> dict[str, list[str]]:
        args = [*LOG_OPTIONS, "log", *RAW_LOG, "--topo-order", "--reverse", head, f"^{hide}", "--"]
        args += [f":(literal){p}" for p in sorted(wanted)]
        touched: dict[str, list[str]] = {}
        for sha, path in parse_raw_log(self._git(*args)):
            if path in wanted:
                touched.setdefault(path, []).append(sha)
        return touched


class KnownChanges(Protocol):
    """Where the paths each commit changed are remembered."""

    def lookup(self, commits: Sequence[str]) -> dict[str, tuple[str, ...]]: ...

    def remember(self, changed: dict[str, tuple[str, ...]]) -> None: ...


def parse_commits(output: bytes) -> Iterator[CommitInfo]:
    """CommitInfo records from `git log -z` with COMMIT_FORMAT."""
    try:
        text = output.decode("utf-8")  # (all of it at once: the usual case)
    except UnicodeDecodeError:
        yield from _parse_commits_bytes(output)
        return
    fields = iter(text.split("\0"))
    # FIELDS at a time (one iterator zipped with itself); an incomplete last record,
    # such as the empty field after the final NUL, is dropped.
    for sha, parents, author, when, name, oneline, committer, message in zip(
        *[fields] * FIELDS, strict=False
    ):
        # CommitInfo's fields in order (positional: keywords cost, once per commit).
        yield CommitInfo(
            sha.lstrip("\n"),
            tuple(parents.split()),
            author,
            int(when or 0),
            message,
            name,
            oneline,
            committer,
        )


def _parse_commits_bytes(output: bytes) -> Iterator[CommitInfo]:
    """parse_commits for output that is not all UTF-8: each field decoded on its own,
    names and subjects keeping their bytes (as surrogates), the rest made readable."""
    fields = iter(output.split(b"\0"))
    for sha, parents, author, when, name, oneline, committer, message in zip(
        *[fields] * FIELDS, strict=False
    ):
        yield CommitInfo(
            sha.decode("ascii").lstrip("\n"),
            tuple(parents.decode("ascii").split()),
            author.decode("utf-8", "replace"),
            int(when or 0),
            message.decode("utf-8", "replace"),
            name.decode("utf-8", "surrogateescape"),
            oneline.decode("utf-8", "surrogateescape"),
            committer.decode("utf-8", "replace"),
        )


def parse_name_status(output: bytes) -> Iterator[NetChange]:
    """Changes from `git diff -z --name-status` (a rename or copy names two paths)."""
    tokens = output.split(b"\0")
    i = 0
    while i < len(tokens) and tokens[i]:
        status = tokens[i].decode("ascii")[:1]
        if status in ("R", "C"):
            yield NetChange(status, decode_path(tokens[i + 2]), decode_path(tokens[i + 1]))
            i += 3
        else:
            yield NetChange(status, decode_path(tokens[i + 1]))
            i += 2


def parse_raw_log(output: bytes) -> Iterator[tuple[str, str]]:
    """(commit, path) pairs from `git log -z --raw --format=%H`.

    The stream is `SHA\\0` then, for each file, `\\n:meta\\0path\\0` (the first
    meta after a header starts with a newline). A path is always the token after a
    meta token, so no file name, however hostile, can pass for a commit.
    """
    tokens = output.split(b"\0")
    sha = ""
    i = 0
    while i < len(tokens):
        token = tokens[i].lstrip(b"\n")
        if token.startswith(b":"):
            if i + 1 < len(tokens):
                yield sha, decode_path(tokens[i + 1])
            i += 2
            continue
        if token:
            sha = token.decode("ascii", "replace")
        i += 1
