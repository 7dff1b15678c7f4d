"""What a range of history changed: the net change and the commits behind it."""

from __future__ import annotations

import re
from typing import NamedTuple

from treemerge.core.people import email_of

ACKED_BY = re.compile(r"^Acked-by:[ \t]*(.+?)[ \t]*$", re.MULTILINE | re.IGNORECASE)


class NetChange(NamedTuple):
    """One entry of a net diff; a rename or copy also names the path it came from."""

    status: str  # A, M, D, R, C or T, as git writes them
    path: str
    old_path: str | None = None

    def paths(self) -> tuple[str, ...]:
        """Every path this change touches: both sides of a rename."""
        return (self.old_path, self.path) if self.old_path and self.status == "R" else (self.path,)


class CommitInfo(NamedTuple):
    sha: str
    parents: tuple[str, ...]
    author: str
    time: int
    message: str
    # The author's name after the repository's mailmap, and the subject line as git
    # formats it (`%aN`, `%s`), when the commit was read for a shortlog.
    name: str = ""
    oneline: str = ""
    committer: str = ""  # `Name <email>` (`%cn <%ce>`), when read with the author

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    def acked_by(self) -> frozenset[str]:
        """The addresses of this commit's `Acked-by:` trailers, lower-cased."""
        found = (email_of(value) for value in ACKED_BY.findall(self.message))
        return frozenset(address.lower() for address in found if address)


class Arrival(NamedTuple):
    """How much of a pull's work (its commits other than merges) is upstream."""

    total: int
    by_id: int  # the very commits
    by_patch: int  # other commits with the same patch (git patch-id: cherry-picked)

    @property
    def arrived(self) -> int:
        return self.by_id + self.by_patch

    def describe(self) -> str:
        """ "2 of 5 commits upstream (1 cherry-picked)"; "" when none arrived."""
        if not self.arrived:
            return ""
        picked = f" ({self.by_patch} cherry-picked)" if self.by_patch else ""
        return f"{self.arrived} of {self.total} commits upstream{picked}"
