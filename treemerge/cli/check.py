"""`treemerge check SUBSYS`: did the pending work stay inside the paths it owns?"""

from __future__ import annotations

from pathlib import Path

import click

from treemerge.app.check import check_subsystem
from treemerge.app.project import open_project
from treemerge.cli.options import global_options, settings
from treemerge.cli.output import console, safe, write_json
from treemerge.core.check import CheckResult, owner_list
from treemerge.core.errors import EXIT_FINDINGS, EXIT_OK
from treemerge.core.review import CommitReview, ReviewReport

STYLE = {"owned": "green", "acked": "cyan", "foreign": "bold red"}


@click.command("check")
@click.argument("subsystem")
@click.option("--head", metavar="REV", help="Judge REV instead of the synced tree's head.")
@global_options
def check_command(subsystem: str, head: str | None) -> int:
    """Check SUBSYSTEM's pending work against the paths it owns.

    The net change from the merge-base with the upstream to the head is judged by the
    ownership file at the upstream's tip (never the copy in the pending work). Each
    path is owned, acked (every commit touching it has an Acked-by: from one of its
    maintainers) or foreign; a rename touches both paths. When maintainers.cfg gives the
    subsystem a review policy, each commit's review by the tree's cores is reported too.
    Exit 1 when a path is foreign, or when `review = N` (N > 0) is not met.
    """
    project = open_project(settings().config, Path.cwd())
    result = check_subsystem(project, subsystem, head=head)
    if settings().json:
        write_json(result.as_dict())
    else:
        render(result, quiet=settings().quiet)
    return EXIT_FINDINGS if result.findings else EXIT_OK


def render(result: CheckResult, *, quiet: bool) -> None:
    out = console()
    owned = [f for f in result.files if f.status == "owned"]
    others = [f for f in result.files if f.status != "owned"]
    if not quiet:
        span = f"{(result.base or '')[:12]}..{result.head[:12]}"
        summary = (
            f": {result.commits} commit(s) pending for {result.upstream}, "
            f"{len(result.files)} path(s) changed ({span})"
        )
        out.print(safe(result.subsystem, "bold") + safe(summary))
    for item in others:
        if quiet and item.status != "foreign":
            continue
        line = safe(f"  {item.status:<8}", STYLE[item.status]) + safe(item.path)
        line += safe(f"  ({owner_list(item.owners)})", "dim")
        if item.acks:
            line += safe(f"  acked by {', '.join(item.acks)}")
        shas = ", ".join(c[:12] for c in item.commits) or "no commit found"
        line += safe(f"  commits: {shas}", "dim")
        out.print(line)
    if result.ownership_files_changed:
        names = ", ".join(result.ownership_files_changed)
        out.print(
            safe("  warning  ", "yellow")
            + safe(
                f"edits {names}: reported, never honoured (ownership is {result.upstream}'s copy)"
            )
        )
    if result.backmerges and not quiet:
        out.print(safe(f"  back-merges: {', '.join(c[:12] for c in result.backmerges)}"))
    if result.review is not None:
        render_review(result.review, quiet=quiet)
    if quiet:
        return
    verdict = safe("  verdict  ", "bold")
    if result.violations:
        verdict += safe(f"{result.violations} foreign path(s)", "bold red")
    else:
        verdict += safe("inside its paths", "green")
    out.print(verdict + safe(f"  ({len(owned)} owned, {len(others) - result.violations} acked)"))


def render_review(
    review: ReviewReport, *, quiet: bool, label: str = "  review   ", item: str = "  unreviewed "
) -> None:
    """The review line, then each unreviewed commit (with --quiet: only those that break
    the policy); `label` and `item` begin those lines."""
    out = console()
    if not quiet:
        policy = f"{review.policy} core(s) per commit" if review.policy else "report only"
        line = safe(label, "bold") + safe(
            f"{review.reviewed} of {len(review.commits)} commit(s) reviewed by cores "
            f"of {review.tree} ({policy})"
        )
        for tree, (reviewed, total) in review.credited().items():
            line += safe(f"; {reviewed} of {total} reviewed in {tree}")
        reviewers = ", ".join(f"{who} ({n})" for who, n in review.reviewers().items())
        out.print(line + (safe(f"; by {reviewers}", "dim") if reviewers else safe("")))
    if quiet and not review.findings:
        return
    style = "bold red" if review.findings else "yellow"
    for commit in review.unreviewed:
        out.print(
            safe(item, style)
            + safe(f"{commit.commit[:12]} {commit.subject}")
            + safe(f"  ({commit.author})  {commit.why}{judged_in(review, commit)}", "dim")
        )


def judged_in(review: ReviewReport, commit: CommitReview) -> str:
    """Where a commit credited to a child tree's review was judged ("" for the tree's own)."""
    return f" (judged in {commit.tree}, by its cores)" if commit.tree != review.tree else ""
