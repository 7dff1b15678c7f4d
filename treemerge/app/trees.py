"""`tree create` and `tree update`: making a subsystem tree and bringing upstream into it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from treemerge.app.project import Project, TrackedTree
from treemerge.core.errors import Refused, UsageError
from treemerge.gitio.merge import commit_tree, merge_tree
from treemerge.gitio.pullgit import PullGit
from treemerge.gitio.run import is_remote, run_git
from treemerge.gitio.workspace import tree_ref


@dataclass(frozen=True)
class CreateResult:
    tree: str
    location: str
    branch: str
    commit: str
    configured: bool  # False when --at differs from maintainers.cfg's `tree =`


def create_tree(project: Project, subsystem: str, *, at: str | None, cwd: Path) -> CreateResult:
    """A new repository holding a full copy of the upstream tree, on the subsystem's branch."""
    tree = project.subsystem_tree(subsystem)
    location = _location(tree, at, cwd)
    local = None if is_remote(location) else Path(location.removeprefix("file://"))
    if local is not None:
        _refuse_non_directory(local, subsystem)  # (before the fetch)
    upstream = _fresh(project, tree.upstream or "main")
    if local is None:
        if project.workspace.remote_refs(location, where=subsystem):
            raise UsageError(f"refusing to create {subsystem} at {location}: it already has refs")
    else:
        _prepare_local(project, local, subsystem, tree.branch)
    project.workspace.push(
        location,
        [
            f"{tree_ref(tree.upstream or 'main')}:refs/heads/{tree.branch}",
            "refs/tags/*:refs/tags/*",
        ],
        where=subsystem,
    )
    project.workspace.fetch(subsystem, location, tree.branch)
    return CreateResult(subsystem, location, tree.branch, upstream, location == tree.url)


def _location(tree: TrackedTree, at: str | None, cwd: Path) -> str:
    if at is None:
        if tree.url is None:
            raise UsageError(f"{tree.id} has no `tree =` in maintainers.cfg: pass --at PATH|URL")
        return tree.url
    if is_remote(at) or at.startswith("file://"):
        return at
    return str((cwd / at).resolve())


def _refuse_non_directory(path: Path, subsystem: str) -> None:
    """A tree is a directory: a file where it, or a directory above it, should be is
    the user's to move (git would fail on it halfway)."""
    for place in (path, *path.parents):
        if place.exists():
            if not place.is_dir():
                what = "it is" if place == path else f"{place} is"
                raise UsageError(
                    f"cannot create {subsystem} at {path}: {what} a file, not a directory"
                )
            return


def _prepare_local(project: Project, path: Path, subsystem: str, branch: str) -> None:
    try:
        _check_empty(project, path, subsystem)
    except OSError as exc:
        raise UsageError(f"cannot create {subsystem} at {path}: {exc.strerror}") from None
    if not (path / "HEAD").exists() and not (path / ".git").exists():
        run_git(["init", "-q", "--bare", "-b", branch, str(path)], where=subsystem)


def _check_empty(project: Project, path: Path, subsystem: str) -> None:
    """Refuse a directory that holds anything but a repository without history. (The
    repository is asked through the hardened transport, as any tree is: git never runs
    with it as its own.)"""
    if path.exists() and any(path.iterdir()):
        if (path / "HEAD").exists() or (path / ".git").exists():
            if project.workspace.remote_refs(str(path), where=subsystem):
                raise UsageError(
                    f"refusing to create {subsystem} at {path}: a repository with history is there"
                )
        else:
            raise UsageError(
                f"refusing to create {subsystem} at {path}: the directory is not empty"
            )


def _fresh(project: Project, tree_id: str) -> str:
    """Fetch one tree now (a command that writes should not act on a stale copy)."""
    tree = project.tree(tree_id)
    if tree.url is None:
        raise UsageError(f"{tree_id} has no `tree =` in maintainers.cfg")
    project.workspace.ensure()
    result = project.workspace.fetch(tree_id, tree.url, tree.branch, tags=tree.upstream is None)
    if result.new is None:
        raise UsageError(f"{tree_id}: branch {tree.branch} not found at {tree.url}")
    return result.new


UpdateKind = Literal["up-to-date", "fast-forward", "merge"]


@dataclass(frozen=True)
class UpdateResult:
    tree: str
    kind: UpdateKind
    old: str
    new: str
    message: str = ""


def update_tree(
    project: Project, subsystem: str, *, to: str, reason: str | None, dry_run: bool = False
) -> UpdateResult:
    """Bring upstream's `to` into the subsystem tree: fast-forward, or a back-merge that
    says why. An untagged back-merge needs a reason; a conflicting one is refused."""
    tree = project.subsystem_tree(subsystem)
    upstream_tip = _fresh(project, tree.upstream or "main")
    head = _fresh(project, subsystem)
    history = project.history()
    tag = _tag_named(project, to)
    target = history.resolve(f"refs/tags/{to}" if tag else to) or history.resolve(tree_ref(to))
    if target is None:
        raise UsageError(f"--to {to}: neither a tag nor a revision of the workspace")
    if not history.is_ancestor(target, upstream_tip):
        raise UsageError(f"--to {to}: not part of {tree.upstream}'s history")
    if history.is_ancestor(target, head):
        return UpdateResult(subsystem, "up-to-date", head, head)
    if history.is_ancestor(head, target):
        if not dry_run:
            _publish(project, tree, target)
        return UpdateResult(subsystem, "fast-forward", head, target)
    if not tag and not reason:
        raise UsageError(
            f"refusing to back-merge {to!r} into {subsystem}: it is not a tag of "
            f"{tree.upstream}; back-merge tagged releases, or say why with --reason TEXT"
        )
    message = _merge_message(tree, to, tag=tag, reason=reason)
    merged = merge_tree(project.workspace.path, head, target, where=subsystem)
    if not merged.clean:
        listed = ", ".join(merged.conflicts[:10])
        raise Refused(f"refusing to back-merge {to} into {subsystem}: conflicts in {listed}")
    if dry_run:
        return UpdateResult(subsystem, "merge", head, "", message)
    commit = commit_tree(
        project.workspace.path, merged.tree, [head, target], message, where=subsystem
    )
    _publish(project, tree, commit)
    return UpdateResult(subsystem, "merge", head, commit, message)


def _tag_named(project: Project, name: str) -> bool:
    return PullGit(project.workspace.path, where=name).tag_exists(name)


def _merge_message(tree: TrackedTree, to: str, *, tag: bool, reason: str | None) -> str:
    what = f"tag '{to}'" if tag else f"commit '{to}' of {tree.upstream}"
    lines = [f"Merge {what} into {tree.branch}", ""]
    if tag:
        lines.append(
            f"Bring the {tree.id} tree up to {to}, the {tree.upstream} release its next "
            "pull request will be based on."
        )
    if reason:
        lines += ["", reason] if tag else [reason]
    return "\n".join(lines).strip() + "\n"


def _publish(project: Project, tree: TrackedTree, commit: str) -> None:
    """Push `commit` to the tree's branch (never forced), then refresh the workspace copy."""
    assert tree.url is not None
    project.workspace.push(tree.url, [f"{commit}:refs/heads/{tree.branch}"], where=tree.id)
    project.workspace.fetch(tree.id, tree.url, tree.branch)
