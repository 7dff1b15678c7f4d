"""What a pull request is worked out from, decided from names and commits alone: its
tag's name and the trees its conflict forecast merges with.

Pure functions: everything here is decided before git is asked anything.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping

from treemerge.core.errors import UsageError

# treemerge's own pull-request tags; any other tag at the base counts as a release.
PULL_TAG = re.compile(r"-for-.+-\d{4}-\d{2}-\d{2}(-\d+)?$")


def pull_date(now: int) -> str:
    """The date (UTC, YYYY-MM-DD) a pull made at `now` (Unix seconds) is named by."""
    return time.strftime("%Y-%m-%d", time.gmtime(now))


def tag_prefix(subsystem: str, upstream: str) -> str:
    return f"{subsystem}-for-{upstream}-"


def choose_tag(
    tags: Mapping[str, tuple[str, str]],
    *,
    explicit: str | None,
    head: str,
    prefix: str,
    date: str,
) -> tuple[str, bool]:
    """The tag's name, and whether that tag exists already (one tag per head).

    `tags` maps every tag to (its object's type, what it points at after one peel).
    An `explicit` name is used as it is, and must point at `head` if it exists;
    otherwise the newest `prefix`-named tag of `head` is reused, or a new one is named
    `prefix` + `date`, with -2, -3, ... when that name is taken.
    """
    if explicit:
        if explicit in tags:
            if tags[explicit] != ("tag", head):
                raise UsageError(f"tag {explicit} exists and does not point at the head")
            return explicit, True
        return explicit, False
    reusable = sorted(
        name for name, found in tags.items() if name.startswith(prefix) and found == ("tag", head)
    )
    if reusable:
        return reusable[-1], True
    name = f"{prefix}{date}"
    serial = 1
    while name in tags:
        serial += 1
        name = f"{prefix}{date}-{serial}"
    return name, False


def forecast_targets(
    subsystem: str,
    upstream: str,
    upstream_tip: str,
    *,
    heads: Mapping[str, str],
    trees: Iterable[tuple[str, str | None]],
) -> dict[str, str]:
    """What the pull is forecast against: {tree: its commit} for the upstream's tip and
    every other subsystem tree with a head (`trees` as (id, upstream) in the
    configuration's order).

    git merges the pull with every one of them, the commit the pull is built on
    included (a fast-forward, which merges cleanly and costs git next to nothing): what
    is merged then depends on the heads alone, not on the merge base, so the merges can
    start as soon as the heads are read.
    """
    against = {upstream: upstream_tip}
    against.update(
        {
            tree: heads[tree]
            for tree, its_upstream in trees
            if its_upstream is not None and tree != subsystem and tree in heads
        }
    )
    return against
