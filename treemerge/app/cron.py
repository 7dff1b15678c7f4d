"""`cron`: one idempotent cycle for the scheduler.

Lock, sync (then reply in the thread of each pull found merged), then for every
subsystem that is due by its schedule and has new pending work: check, request-pull
(tag, push the tag), deliver, record; then `next` and `status`. Every step is one
JSON line in the workspace log. A step that fails is reported and the others still
run; the failed subsystem (or reply) is retried on the next run.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from treemerge.app.forecast import ConflictPicture
from treemerge.app.gc import gc, gc_due
from treemerge.app.integration import NextResult, build_next, notify_next, unchanged_next
from treemerge.app.integration.state import settle
from treemerge.app.merged import send_merged_replies
from treemerge.app.notify import NoticeOutcome
from treemerge.app.project import Project
from treemerge.app.request_pull import RequestOptions, prepare_pull
from treemerge.app.send import records, records_kept, send_pull
from treemerge.app.status import status
from treemerge.app.sync import sync
from treemerge.core.errors import TreemergeError, UsageError
from treemerge.core.pullreq import PullRequest
from treemerge.core.schedule import ScheduleError, is_due
from treemerge.failpoints import failpoint
from treemerge.gitio.pullgit import PullGit
from treemerge.store.cronlog import LOG_FILE, rotate
from treemerge.store.files import atomic_write
from treemerge.store.records import PullRecord

LOCK_FILE = "cron.lock"
REPORT_FILE = "next.html"


@dataclass(frozen=True)
class Step:
    """One line of the cron log."""

    step: str  # sync | notify | pull | next | status | gc
    tree: str | None
    status: str  # ok | sent | skipped | refused | failed | changed | merged | partial
    detail: str
    notable: bool = False  # worth a person's attention (printed with --quiet when new)

    def as_dict(self) -> dict[str, object]:
        return {"step": self.step, "tree": self.tree, "status": self.status, "detail": self.detail}


@dataclass
class CronReport:
    started: str
    steps: list[Step] = field(default_factory=list)
    locked_out: bool = False

    @property
    def failed(self) -> bool:
        return any(s.status == "failed" for s in self.steps)


class Busy(TreemergeError):
    """Another cron run holds the lock (not an error: that run does the work)."""

    exit_code = 0


@contextmanager
def workspace_lock(workspace: Path) -> Iterator[None]:
    """An exclusive lock for the run. The kernel drops it when the holder dies, however
    it dies, so a killed run never blocks the next one."""
    path = workspace / LOCK_FILE
    with _open_lock(path) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise Busy(f"another treemerge cron is running (pid {holder}); nothing done") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield


def _open_lock(path: Path) -> TextIO:
    """The lock file, opened for writing its holder's pid (created when missing); a
    lock that cannot be opened (a directory of that name, no permission) is the user's
    to fix: say which path and why."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.open("a+", encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UsageError(f"cannot open the cron lock {path}: {reason}") from None


def run_cron(project: Project, *, now: dt.datetime) -> CronReport:
    """One cycle; every step is appended to the log as it happens."""
    report = CronReport(now.isoformat(timespec="seconds"))
    with workspace_lock(project.workspace.workspace):
        path = project.workspace.workspace / LOG_FILE
        kept = rotate(path)  # (a log grown past its limit becomes cron.log.1)
        log = Logger(path, report)
        if kept is not None:
            log(Step("log", None, "failed", kept, notable=True))
        _sync(project, log)
        failpoint("after-sync")
        _merged_replies(project, log)
        _pulls(project, now, log)
        _integrate(project, log)
        _status(project, log)
        _maintain(project, log)
        log.sync()
    return report


class Logger:
    def __init__(self, path: Path, report: CronReport) -> None:
        self.path = path
        self.report = report

    def __call__(self, step: Step) -> None:
        self.report.steps.append(step)
        line = {
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "run": self.report.started,
            **step.as_dict(),
        }
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(line) + "\n")
            handle.flush()  # (in the file for any reader, and kept if this run is killed)
            if step.notable:
                os.fsync(handle.fileno())

    def sync(self) -> None:
        """The log on disk (lines not worth a person's attention are synced only here:
        400 trees' status lines synced one by one were most of a cycle with nothing
        new)."""
        with self.path.open("a", encoding="utf-8") as handle:
            os.fsync(handle.fileno())


def _sync(project: Project, log: Logger) -> None:
    result = sync(project)
    for failure in result.failures:
        log(Step("sync", failure.tree, "failed", failure.message, notable=True))
    changed = [r.tree for r in result.fetched if r.changed]
    log(
        Step(
            "sync",
            None,
            "ok",
            f"fetched {len(result.fetched)} trees; new work in {', '.join(changed) or 'none'}",
        )
    )
    for tag in result.merged:
        log(Step("sync", None, "merged", f"{tag} was merged upstream", notable=True))
    for tag, arrived in result.partial:
        detail = f"{tag} is partly merged: {arrived} (no merged reply)"
        log(Step("sync", None, "partial", detail, notable=True))


def _merged_replies(project: Project, log: Logger) -> None:
    """The reply in the thread of each pull found merged (sent once)."""
    try:
        replied = send_merged_replies(project)
    except TreemergeError as exc:
        log(Step("notify", None, "failed", f"merged replies: {exc}", notable=True))
        return
    for pull, outcome in replied:
        _log_notice(log, pull.subsystem, f"merged reply to {pull.tag}", outcome)


def _decide(
    project: Project,
    subsystem: str,
    schedule: str,
    now: dt.datetime,
    *,
    heads: dict[str, str],
    last: dict[str, PullRecord],
) -> Step | None:
    """Whether the subsystem's pull request is due and has work not pulled yet: None
    when it is, else the step that says why not."""
    try:
        head = heads.get(subsystem)
        upstream = project.tree(subsystem).upstream
        if head is None or upstream is None or upstream not in heads:
            return Step("pull", subsystem, "skipped", "not synced")
        latest = last.get(subsystem)
        retry = latest is not None and latest.state in ("failed", "sending", "prepared")
        if latest is not None and latest.head == head and not retry:
            return Step("pull", subsystem, "skipped", f"{latest.tag} already {latest.state}")
        sent_at = dt.datetime.fromtimestamp(latest.sent, dt.UTC) if latest and latest.sent else None
        if not retry and not is_due(schedule, sent_at, now):
            return Step("pull", subsystem, "skipped", f"not due ({schedule})")
    except (TreemergeError, ScheduleError) as exc:
        return Step("pull", subsystem, "failed", str(exc), notable=True)
    return None


def _pulls(project: Project, now: dt.datetime, log: Logger) -> None:
    """The pull request of every subsystem due and with new work: prepared two at a
    time (their git work overlaps), from one read of the refs and one conflict picture,
    then delivered and logged one by one in the configuration's order."""
    refs = PullGit(project.workspace.path, where="cron").refs()  # the pulls move none
    heads, last = refs[0], _last_pulls(project)
    decided = [
        (sub.id, _decide(project, sub.id, sub.schedule, now, heads=heads, last=last))
        for sub in project.config.subsystems
    ]
    due = [tree for tree, skip in decided if skip is None]
    picture = ConflictPicture(project, heads, due)
    options = RequestOptions(date=now.strftime("%Y-%m-%d"), now=int(now.timestamp()))
    project.history()  # (opened here, before the threads share it)
    with ThreadPoolExecutor(max_workers=2) as pool:
        prepared = {
            tree: pool.submit(prepare_pull, project, tree, options, picture=picture, refs=refs)
            for tree in due
        }
        for subsystem, skip in decided:
            if skip is not None:
                log(skip)
                continue
            try:
                _send(project, subsystem, log, prepared[subsystem].result())
            except TreemergeError as exc:
                log(Step("pull", subsystem, "failed", str(exc), notable=True))


def _send(project: Project, subsystem: str, log: Logger, pull: PullRequest) -> None:
    if pull.check.commits == 0:
        log(Step("pull", subsystem, "skipped", "no pending work"))
        return
    if pull.errors:
        reasons = "; ".join(f.message for f in pull.errors)
        log(Step("pull", subsystem, "refused", f"{pull.tag}: {reasons}", notable=True))
        return
    outcome = send_pull(project, pull)
    if outcome.already_sent:
        log(Step("pull", subsystem, "skipped", f"{pull.tag} already sent"))
        return
    verdict = f"{pull.check.violations} foreign path(s)" if pull.check.violations else "clean"
    log(
        Step(
            "pull",
            subsystem,
            "sent",
            f"{pull.tag} ({verdict}) -> {outcome.record.delivered_to}",
            notable=True,
        )
    )


def _last_pulls(project: Project) -> dict[str, PullRecord]:
    """Each subsystem's latest recorded pull request, in one read."""
    if not records_kept(project):
        return {}
    with records(project) as store:
        return {record.subsystem: record for record in store.all()}


def _integrate(project: Project, log: Logger) -> None:
    """`next` and its report; when nothing it merged has moved, the last ones stand."""
    report = project.workspace.workspace / REPORT_FILE
    try:
        last = unchanged_next(project) if report.exists() else None
        if last is not None:
            log(_next_step(last.merged, last.trees, last.left_out))
            return
        result = build_next(project)
    except TreemergeError as exc:
        log(Step("next", None, "failed", str(exc), notable=True))
        return
    from treemerge.report.html import render_next_html  # noqa: PLC0415 - jinja2 on demand

    atomic_write(report, render_next_html(result.as_dict()))
    merged = sum(1 for t in result.trees if t.merged)
    log(_next_step(merged, len(result.trees), result.left_out))
    for change in result.changes:
        log(Step("next", None, "changed", change, notable=True))
    if _notify(project, result, log):
        settle(project, result.inputs)  # the next cycle may keep it while nothing moves


def _notify(project: Project, result: NextResult, log: Logger) -> bool:
    """next's notices delivered (each once, whatever the run: app/notify.py); whether
    every one of them is delivered now."""
    try:
        outcomes = notify_next(project, result)
    except TreemergeError as exc:
        log(Step("notify", None, "failed", str(exc), notable=True))
        return False
    for outcome in outcomes:
        record = outcome.record
        tree = record.trees[0] if len(record.trees) == 1 else None
        _log_notice(log, tree, f"{record.kind}: {record.subject}", outcome)
    return not any(outcome.failed for outcome in outcomes)


def _log_notice(log: Logger, tree: str | None, said: str, outcome: NoticeOutcome) -> None:
    """A notice's step: failed (retried next run) or sent; nothing when sent before."""
    record = outcome.record
    if outcome.failed:
        log(Step("notify", tree, "failed", f"{said}: {record.error}", notable=True))
    elif not outcome.already_sent:
        log(Step("notify", tree, "sent", f"{said} -> {record.delivered_to}", notable=True))


def _next_step(merged: int, trees: int, left_out: tuple[str, ...]) -> Step:
    left = ", ".join(left_out) or "none"
    return Step("next", None, "ok", f"{merged} of {trees} trees merged; left out: {left}")


def _maintain(project: Project, log: Logger) -> None:
    """The workspace packed and pruned when git's rule says it needs it (`treemerge gc`
    packs all of it)."""
    if not gc_due(project):
        return
    try:
        result = gc(project, auto=True)
    except TreemergeError as exc:
        log(Step("gc", None, "failed", str(exc), notable=True))
        return
    loose = f"{result.before.get('count', 0)} -> {result.after.get('count', 0)}"
    log(Step("gc", None, "ok", f"loose objects {loose}"))


def _status(project: Project, log: Logger) -> None:
    try:
        rows, warnings = status(project)
    except TreemergeError as exc:
        log(Step("status", None, "failed", str(exc), notable=True))
        return
    for warning in warnings:
        log(Step("status", None, "failed", warning, notable=True))
    for row in rows:
        if row.tree == "main" or row.error:
            continue
        log(
            Step(
                "status",
                row.tree,
                "ok",
                f"{row.ahead} ahead, {row.behind} behind, {row.violations} violation(s)",
            )
        )
