"""The git commands `request-pull SUBSYSTEM` will run, started early (see
treemerge.app.early): the heads and the tags (one read) and the URL at once; once the
heads are known, the pending log, the merge base and what needs the heads alone (the
forecast's merges, the tag's message and the tag at the URL); then what is read from
the two ends of the range (git's blocks and the net diff) and the directories of the
ownership or its MAINTAINERS file.

Every command is built by the function the command itself builds it with.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from treemerge.app.configfile import find_config, read_config, workspace_of
from treemerge.background import SWITCH_INTERVAL
from treemerge.core.pullplan import choose_tag, forecast_targets, pull_date, tag_prefix
from treemerge.gitio.history import net_diff_command, pending_command
from treemerge.gitio.pullgit import (
    REFS,
    diffstat_command,
    display_url_command,
    ends_command,
    merge_bases_command,
    parse_refs,
    remote_tag_command,
    tag_object_command,
)
from treemerge.gitio.run import allow_early, peek_early, start_early
from treemerge.gitio.workspace import resolve_location

if TYPE_CHECKING:
    from treemerge.core.config import Config


def start_request_pull(options: dict[str, str], positional: list[str]) -> threading.Thread | None:
    """Start what `request-pull` with these options and arguments will read: the
    first commands at once, the others on the thread returned, which starts each as
    soon as what it needs is known (None: nothing to start)."""
    if len(positional) != 2 or "--head" in options or _waits_for_someone(options):
        return None
    cwd = Path(options.get("-C", ".")).resolve()
    # (--config as the command will name it: relative to -C when there is one)
    explicit = Path(options["--config"]) if "--config" in options else None
    if explicit is not None and "-C" in options:
        explicit = cwd / explicit
    found = find_config(explicit, cwd)
    if found is None:
        return None
    repo = workspace_of(found)
    if not (repo / "HEAD").is_file():
        return None
    allow_early()
    start_early(REFS, cwd=repo)
    config = read_config(found, ahead=True)
    sub = config.subsystem(positional[1])
    if sub is None or not sub.tree:
        return None
    url = resolve_location(sub.tree, found.resolve().parent)
    date = pull_date(int(time.time()))
    plan = _Plan(repo, config, sub.id, sub.upstream, url, tag=options.get("--tag"), date=date)
    plan.dry_run = "--dry-run" in options
    sys.setswitchinterval(SWITCH_INTERVAL)  # (until the plan is done: see the constant)
    # On a thread: starting a process costs the thread that starts it about a
    # millisecond of waiting, which the command's start-up need not share.
    thread = threading.Thread(target=plan.run, daemon=True)
    thread.start()
    return thread


def _waits_for_someone(options: dict[str, str]) -> bool:
    """Whether the command first waits for a person (an editor, a message typed on
    standard input): answers read now could be stale by the time it goes on, and
    nobody is waiting for it to be quick."""
    return "--edit" in options or options.get("--message") == "-"


class _Plan:
    """The commands that need others' answers, started as those answers come."""

    def __init__(
        self,
        repo: Path,
        config: Config,
        subsystem: str,
        upstream: str,
        url: str,
        *,
        tag: str | None,
        date: str,
    ) -> None:
        self.repo = repo
        self.config = config
        self.subsystem = subsystem
        self.upstream = upstream
        self.url = url
        self.tag = tag
        self.date = date
        self.dry_run = False
        self.switch = sys.getswitchinterval()  # the interpreter's, put back when done

    def run(self) -> None:
        with contextlib.suppress(Exception):  # a guess that failed: the command runs as ever
            self._run()
        sys.setswitchinterval(self.switch)

    def _run(self) -> None:
        repo = self.repo
        start_early(display_url_command(self.url), cwd=repo)
        out = peek_early(REFS, cwd=repo)
        if out is None:
            return
        heads, tags = parse_refs(out)
        tip, head = heads.get(self.upstream), heads.get(self.subsystem)
        if tip is None or head is None:
            return
        start_early(pending_command(tip, head, topological=False), cwd=repo)
        asked = merge_bases_command(tip, head)
        start_early(asked, cwd=repo)
        # While git works out the merge base: what needs the heads alone and little
        # work here (the merges first: they take git the longest).
        self._forecast(heads, tip, head)
        self._tag(tags, head)
        bases = (peek_early(asked, cwd=repo) or b"").decode().split()
        if bases:
            base = bases[0]
            if len(bases) == 1:  # (several: the diffstat is of a temporary merge)
                start_early(diffstat_command(base, head), cwd=repo)
            start_early(ends_command(base, head), cwd=repo)
            start_early(net_diff_command(base, head), cwd=repo)
        self._ownership(tip)  # (last: the most work to find what to ask)

    def _forecast(self, heads: dict[str, str], tip: str, head: str) -> None:
        from treemerge.gitio.merge import BATCH, batch_input  # noqa: PLC0415

        trees = [(s.id, s.upstream) for s in self.config.subsystems]
        against = forecast_targets(self.subsystem, self.upstream, tip, heads=heads, trees=trees)
        pairs = [(commit, head) for commit in against.values()]
        start_early(BATCH, cwd=self.repo, input=batch_input(pairs))

    def _ownership(self, tip: str) -> None:
        from treemerge.core.ownership import combine  # noqa: PLC0415
        from treemerge.core.patterns import directory_questions  # noqa: PLC0415
        from treemerge.gitio.treeat import BATCH_CHECK, READ, directory_query, file_query  # noqa: PLC0415

        maintainers = self.config.main.maintainers_file
        if maintainers:  # read from the tree, then parsed: only the read starts early
            start_early(READ, cwd=self.repo, input=file_query(tip, maintainers))
            return
        questions = directory_questions(combine(self.config, None).sections)
        asked, query = directory_query(tip, questions)
        if asked:
            start_early(BATCH_CHECK, cwd=self.repo, input=query)

    def _tag(self, tags: dict[str, tuple[str, str]], head: str) -> None:
        prefix = tag_prefix(self.subsystem, self.upstream)
        tag, exists = choose_tag(tags, explicit=self.tag, head=head, prefix=prefix, date=self.date)
        if exists:
            start_early(tag_object_command(tag), cwd=self.repo)
        if self.dry_run:
            start_early(remote_tag_command(self.url, tag), cwd=self.repo)
