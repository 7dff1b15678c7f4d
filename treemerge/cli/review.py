"""`review`, `merge` and `audit`: the top maintainer's commands."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

import click

from treemerge.app.audit import AuditedMerge, audit
from treemerge.app.merge import MergeResult, merge_pull, problems
from treemerge.app.project import open_project
from treemerge.app.review import Review, received_request, resolve_target, review_pull
from treemerge.cli.check import render_review as render_review_part
from treemerge.cli.options import global_options, settings
from treemerge.cli.output import console, safe, write_json
from treemerge.core.check import owner_list
from treemerge.core.errors import EXIT_FINDINGS, EXIT_OK


def _review(target: str, tag: str | None, request: TextIO | None) -> Review:
    project = open_project(settings().config, Path.cwd())
    received = received_request(request.name, request.read()) if request else None
    pull = resolve_target(project, target, tag)
    return review_pull(project, pull, request=received)


@click.command("review")
@click.argument("target")
@click.option("--tag", help="The tag to review (with a URL, or to pick an older one).")
@click.option(
    "--request",
    type=click.File("r", encoding="utf-8", errors="replace"),
    help="The pull request as received (its diffstat is compared).",
)
@global_options
def review_command(target: str, tag: str | None, request: TextIO | None) -> int:
    """Review a pull request before merging it.

    TARGET is a subsystem (its latest pull tag), a pull tag or a tree URL. treemerge
    fetches the tag, verifies its signature with your git setup, checks ownership
    against the upstream's ownership file, merges it into the upstream's current tip
    in memory (conflicting paths with their owners), compares the request's diffstat
    with the real one, and warns about last-minute rebases, unexplained back-merges and
    ownership-file edits. When maintainers.cfg gives the subsystem a review policy, the
    review each commit had from the tree's cores is reported. Exit 1 on violations,
    conflicts, a bad signature, commits short of `review = N` (N > 0), or a tag that no
    longer names the commit its request (--request, else its record) named.
    """
    review = _review(target, tag, request)
    if settings().json:
        write_json(review.as_dict())
    else:
        render_review(review)
    return EXIT_FINDINGS if review.blocked else EXIT_OK


def render_review(review: Review) -> None:
    out = console()
    target, check = review.target, review.check
    out.print(safe(f"{target.tag}", "bold") + safe(f" ({target.subsystem}) from {target.url}"))
    status, signer = review.signature
    style = {"good": "green", "bad": "bold red", "unsigned": "yellow"}[status]
    out.print(safe("  signature  ") + safe(status, style) + safe(f" {signer}".rstrip()))
    counts = {s: sum(1 for f in check.files if f.status == s) for s in ("owned", "acked")}
    out.print(
        safe(
            f"  ownership  {len(check.files)} paths: {counts['owned']} owned, "
            f"{counts['acked']} acked, {check.violations} foreign"
        )
    )
    for entry in check.files:
        if entry.status == "foreign":
            out.print(
                safe("    foreign  ", "bold red")
                + safe(entry.path)
                + safe(f"  ({owner_list(entry.owners)})", "dim")
            )
    if check.review is not None:
        render_review_part(check.review, quiet=False, label="  review     ", item="    unreviewed ")
    if review.conflicts:
        out.print(safe(f"  merge      conflicts with {target.upstream}:", "bold red"))
        for path, owners in review.conflicts:
            out.print(safe(f"    {path}") + safe(f"  ({owner_list(owners)})", "dim"))
    else:
        out.print(safe(f"  merge      clean into {target.upstream} ({review.upstream_head[:12]})"))
    for warning in review.warnings:
        out.print(safe("  warning    ", "yellow") + safe(f"{warning.message} [{warning.kind}]"))
    blockers = problems(review) + (["conflicts"] if review.conflicts else [])
    if review.tag_moved:
        blockers.append("the tag was re-pointed after the request was sent")
    verdict = "ready to merge" if not blockers else f"not ready: {'; '.join(blockers)}"
    out.print(safe("  verdict    ") + safe(verdict, "red" if blockers else "green"))


@click.command("merge")
@click.argument("target")
@click.option("--tag", help="The tag to merge (with a URL, or to pick an older one).")
@click.option("--dry-run", is_flag=True, help="Show the merge message; change nothing.")
@click.option(
    "--force", is_flag=True, help="Merge despite violations, a bad signature or missing review."
)
@click.option("--reason", help="Why --force (written into the merge message).")
@click.option("--push", is_flag=True, help="Push the upstream branch (never forced).")
@global_options
def merge_command(
    target: str, tag: str | None, dry_run: bool, force: bool, reason: str | None, push: bool
) -> int:
    """Merge a pull request into its upstream: a merge commit whose message is
    `Merge tag 'TAG' of URL` and the pull's summary, as the kernel's read.

    Refuses (exit 1, upstream untouched) on conflicts, and on ownership violations, a bad
    signature or commits short of the review policy unless --force --reason TEXT; a tag
    re-pointed since its request was sent is refused even so (a new request is needed).
    The merge is kept in the workspace (refs/merges/UPSTREAM) until --push sends it; the
    pull's record becomes `merged`. A pull the upstream already has is not merged again
    (exit 0, saying so).
    """
    project = open_project(settings().config, Path.cwd())
    pull = resolve_target(project, target, tag)
    review = review_pull(project, pull)
    result = merge_pull(project, review, dry_run=dry_run, force=force, reason=reason, push=push)
    if settings().json:
        write_json(result.as_dict())
        return EXIT_OK
    out = console()
    if result.already_merged:
        out.print(safe(_already_said(result)))
        return EXIT_OK
    if result.commit is None:
        out.print(safe(f"would merge {result.tag} into {result.upstream} with:"))
    else:
        where = "pushed" if result.pushed else "kept in the workspace (--push to publish)"
        out.print(
            safe(f"merged {result.tag} into {result.upstream}: {result.commit[:12]}, {where}")
        )
    # Lines end at LF only: str.splitlines() would also break at CR, VT, FF, \x1c-\x1e and
    # more, hiding those characters of the tag message instead of showing them escaped.
    for line in result.message.removesuffix("\n").split("\n"):
        out.print(safe(f"    {line}"))
    return EXIT_OK


def _already_said(result: MergeResult) -> str:
    said = f"{result.tag} is already merged into {result.upstream}"
    if result.commit is None:
        return f"{said}: nothing to do"
    if result.pushed:
        return f"{said} in the workspace: pushed {result.commit[:12]}"
    return f"{said} in the workspace: {result.commit[:12]}, kept there (--push to publish)"


@click.command("audit")
@click.option("--since", metavar="REV", help="Only merges after REV.")
@click.option("--upstream", default="main", show_default=True, help="The tree to audit.")
@global_options
def audit_command(since: str | None, upstream: str) -> int:
    """Re-check, after the fact, every merge of subsystem work in the upstream.

    Walks the upstream's first-parent history and recognises merges of a subsystem's
    work by reachability of the tree's commits, then checks each merge's ownership
    with the upstream's ownership file as it was then, and, where the subsystem has a
    review policy, the review of the commits it brought in by the cores the upstream's
    maintainers.cfg named just before the merge. Exit 1 on any violation, or on commits
    short of `review = N` (N > 0).
    """
    project = open_project(settings().config, Path.cwd())
    merges = audit(project, upstream=upstream, since=since)
    if settings().json:
        write_json({"merges": [m.as_dict() for m in merges]})
    else:
        render_audit(merges)
    return EXIT_FINDINGS if any(m.check.findings for m in merges) else EXIT_OK


def render_audit(merges: list[AuditedMerge]) -> None:
    out = console()
    for merge in merges:
        style = "bold red" if merge.check.violations else "green"
        verdict = f"{merge.check.violations} violation(s)" if merge.check.violations else "ok"
        out.print(safe(f"{merge.commit[:12]}  {merge.subsystem:<12} ") + safe(verdict, style))
        for entry in merge.check.files:
            if entry.status == "foreign":
                out.print(safe(f"    foreign  {entry.path}  ({owner_list(entry.owners)})"))
        if merge.check.review is not None:
            render_review_part(
                merge.check.review,
                quiet=settings().quiet,
                label="    review   ",
                item="    unreviewed ",
            )
            if not settings().quiet:
                out.print(safe(f"             cores as named by {merge.cores_from}", "dim"))
    if not merges and not settings().quiet:
        out.print(safe("no merges of subsystem trees found"))
