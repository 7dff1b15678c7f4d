"""The git side of a pull request: the blocks `git request-pull` prints, and tags.

Each block comes from the same git command `git request-pull` runs, so the text is
byte-identical to it; the commands are independent and run in parallel.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from treemerge.background import in_parallel
from treemerge.core.errors import GitError
from treemerge.gitio.localrefs import local_refs
from treemerge.gitio.run import git_call, git_capture, is_remote, run_git
from treemerge.gitio.workspace import WorkspaceRepo

SINCE_FORMAT = (
    "The following changes since commit %H:%n%n  %s (%ci)%n%n"
    "are available in the Git repository at:%n"
)
UP_TO_FORMAT = (
    "%nfor you to fetch changes up to %H:%n%n  %s (%ci)%n%n"
    "----------------------------------------------------------------"
)
# The commit id, subject and date of each end of the range, to fill in the two formats
# above exactly as `git show --format` would.
ENDS_FORMAT = "%H%x00%s%x00%ci%x00"
RULE = "----------------------------------------------------------------"
# The trees' heads and every tag, in one read: each ref's object type, its object, what
# that points at after one peel (a tag's) and the ref's name.
REFS = (
    "for-each-ref",
    "--format=%(objecttype) %(objectname) %(*objectname) %(refname)",
    "refs/trees/",
    "refs/tags/",
)


# Every tree's head ({tree id: commit}) and every tag ({name: (its object's type, what
# it points at after one peel)}).
Refs = tuple[dict[str, str], dict[str, tuple[str, str]]]


def parse_refs(out: bytes) -> Refs:
    """From the output of REFS: {tree id: commit}, and {tag name: (its object's type,
    what it points at after one peel)}."""
    heads: dict[str, str] = {}
    tags: dict[str, tuple[str, str]] = {}
    for line in out.decode("utf-8", "surrogateescape").splitlines():
        kind, sha, peeled, ref = line.split(" ", 3)
        if ref.startswith("refs/trees/"):
            heads[ref[len("refs/trees/") :]] = sha
        else:
            tags[ref.removeprefix("refs/tags/")] = (kind, peeled or sha)
    return heads, tags


class GitBlocks(NamedTuple):
    """What `git request-pull` would print, block by block (text as git wrote it)."""

    since: str  # "The following changes since commit ..." up to "...repository at:\n"
    up_to: str  # "\nfor you to fetch changes up to ...\n\n  subject (date)\n\n-----"
    shortlog: str
    diffstat: str


class PullGit:
    """Git commands on the workspace repository for one pull request."""

    def __init__(self, repo: Path, *, where: str) -> None:
        self.repo = repo
        self.where = where

    def _git(self, *args: str, input: bytes = b"") -> str:
        out = run_git(list(args), cwd=self.repo, input=input, where=self.where)
        return out.decode("utf-8", "surrogateescape")

    def blocks(
        self, base: str, head: str, *, diffstat: Callable[[], str], shortlog: bool = True
    ) -> GitBlocks:
        """The request-pull blocks for base..head, the diffstat being what `diffstat()`
        returns (base..head's, or a messy history's against a temporary merge). Without
        `shortlog`, that block is left empty for the caller to fill."""
        stat, shortlog_text, ends = in_parallel(
            [
                diffstat,
                lambda: self._git("shortlog", f"^{base}", head) if shortlog else "",
                # Both ends in one process: each record is a format and its commit's text.
                lambda: self._git(
                    "show", "-s", "--no-walk=unsorted", f"--format={ENDS_FORMAT}", base, head
                ),
            ]
        )
        since, up_to = _ends(ends)
        return GitBlocks(since, up_to, shortlog_text, stat)

    def merge_bases(self, one: str, two: str) -> list[str]:
        """Every best common ancestor (several when histories criss-cross)."""
        code, out = git_call(
            ["merge-base", "--all", one, two], cwd=self.repo, where=self.where, ok=(0, 1)
        )
        return out.decode().split() if code == 0 else []

    def tag_message(self, tag: str) -> str:
        """The tag's message as request-pull shows it (a PGP signature cut off)."""
        raw = self._git("cat-file", "tag", tag)
        _, _, body = raw.partition("\n\n")
        kept = []
        for line in body.splitlines(keepends=True):
            if line.startswith("-----BEGIN PGP "):
                break
            kept.append(line)
        return "".join(kept)

    def refs(self) -> Refs:
        """Every tree's head ({tree id: commit}) and every tag: name -> (its object's
        type, the object it points at after one peel, which is what `--points-at`
        compares)."""
        return parse_refs(run_git(REFS, cwd=self.repo, where=self.where))

    def tag_exists(self, name: str) -> bool:
        code, _ = git_call(
            ["rev-parse", "-q", "--verify", f"refs/tags/{name}"],
            cwd=self.repo,
            where=self.where,
            ok=(0, 1),
        )
        return code == 0

    def create_tag(self, name: str, head: str, message: str, *, sign: bool) -> None:
        """An annotated tag; `sign` uses the user's configured signing (gpg or ssh)."""
        args = ["tag", "-s" if sign else "-a", "-F", "-", name, head]
        self._git(*args, input=message.encode("utf-8", "surrogateescape"))

    def diffstat(self, *revisions: str) -> str:
        """`git diff -M --stat --summary REVISIONS` (two ends, or `A...B`)."""
        return self._git("diff", "-M", "--stat", "--summary", *revisions)

    def tag_time(self, ref: str) -> int:
        """When the tag was made (its tagger date), in Unix seconds."""
        return int(self._git("for-each-ref", "--format=%(taggerdate:unix)", ref).strip() or 0)

    def verify_tag(self, ref: str) -> tuple[str, str]:
        """("good" | "bad" | "unsigned", signer) as the user's git signing setup judges
        the tag (gpg keyring, or gpg.ssh.allowedSignersFile for ssh signatures)."""
        raw = self._git("cat-file", "tag", ref)
        if "-----BEGIN " not in raw.partition("\n\n")[2]:
            return "unsigned", ""
        code, _, err = git_capture(
            ["verify-tag", "--raw", ref], cwd=self.repo, where=self.where, ok=(0, 1)
        )
        said = err.decode("utf-8", "replace")
        return ("good" if code == 0 else "bad"), _signer(said)

    def push_tag(self, url: str, name: str) -> None:
        WorkspaceRepo(self.repo.parent).push(url, [f"refs/tags/{name}"], where=self.where)

    def remote_tag(self, url: str, name: str) -> str | None:
        """The commit a tag points at in the repository at `url`, or None when absent."""
        local = self._local_tag(url, f"refs/tags/{name}")
        if local is not None:
            return local or None
        try:
            workspace = WorkspaceRepo(self.repo.parent)
            refs = [f"refs/tags/{name}", f"refs/tags/{name}^{{}}"]
            raw = workspace.transfer("ls-remote", url, url, *refs, where=self.where)
        except GitError:
            return None
        found: dict[str, str] = {}
        for line in raw.decode("utf-8", "surrogateescape").splitlines():
            sha, _, ref = line.partition("\t")
            found[ref] = sha
        return found.get(f"refs/tags/{name}^{{}}") or found.get(f"refs/tags/{name}")

    def _local_tag(self, url: str, ref: str) -> str | None:
        """For a tree on this machine, its tag `ref` read from its files (`local_refs`)
        and peeled here, when the workspace has that tag (the one it pushed): "" when
        the tree has no such tag, None when its files or the workspace cannot say."""
        if is_remote(url) or url.startswith("file://"):
            return None
        found = local_refs(url, [ref])
        if found is None or ref not in found:
            return None if found is None else ""
        args = ["rev-parse", "-q", "--verify", f"{found[ref]}^{{}}"]
        code, out = git_call(args, cwd=self.repo, where=self.where, ok=(0, 1, 128))
        return out.decode("ascii").strip() if code == 0 else None

    def display_url(self, url: str) -> str:
        """The URL as the user's git configuration rewrites it (url.*.insteadOf)."""
        return self._git("ls-remote", "--get-url", url).strip() or url


def _ends(output: str) -> tuple[str, str]:
    """The "since" and "up to" blocks from ENDS_FORMAT records of the base and head."""
    fields = [f.lstrip("\n") for f in output.split("\0")]
    since = dict(zip("Hsc", fields[0:3], strict=True))
    # git shows a commit once: when base and head are one commit, so are the ends.
    up_to = dict(zip("Hsc", fields[3:6], strict=True)) if len(fields) > 6 else since
    return _fill(SINCE_FORMAT, since) + "\n", _fill(UP_TO_FORMAT, up_to) + "\n"


def _fill(form: str, values: dict[str, str]) -> str:
    text = form.replace("%n", "\n").replace("%H", values["H"]).replace("%ci", values["c"])
    return text.replace("%s", values["s"])


# (Patterns that `re` compiles when a signature is first checked.)
GPG_SIGNER = r"^\[GNUPG:\] (?:GOODSIG|BADSIG|EXPSIG|EXPKEYSIG|REVKEYSIG) \S+ (.+)$"
SSH_SIGNER = r"signature for (\S+)(?: with|$)"


def _signer(said: str) -> str:
    """Who signed, from what `git verify-tag --raw` said (gpg status lines or ssh-keygen)."""
    match = re.search(GPG_SIGNER, said, re.M) or re.search(SSH_SIGNER, said, re.M)
    return match.group(1).strip() if match else ""
