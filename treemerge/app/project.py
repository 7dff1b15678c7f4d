"""The project a command works on: maintainers.cfg, its trees, and the workspace beside it."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from treemerge.app.configfile import CONFIG_NAME, WORKSPACE_DIR, find_config, read_config
from treemerge.app.ownership import configured_maintainers, raise_first_error
from treemerge.core.config import Config
from treemerge.core.errors import UsageError
from treemerge.core.matcher import OwnershipIndex
from treemerge.core.ownership import combine
from treemerge.core.patterns import directory_questions
from treemerge.gitio.history import History
from treemerge.gitio.treeat import TreeAt
from treemerge.gitio.workspace import MAIN, WorkspaceRepo, resolve_location
from treemerge.store.changed import FILE_NAME as CHANGED_PATHS
from treemerge.store.changed import ChangedPaths

if TYPE_CHECKING:
    from treemerge.deliver import RetryBudget


class TrackedTree(NamedTuple):
    """A tree treemerge follows: the main tree or a subsystem's."""

    id: str
    url: str | None  # None when maintainers.cfg gives the subsystem no `tree =`
    branch: str
    upstream: str | None  # None for the main tree


class Project:
    """maintainers.cfg with its trees resolved and its workspace at hand."""

    def __init__(self, config: Config, config_path: Path) -> None:
        self.config = config
        self.config_path = config_path
        self.root = config_path.resolve().parent
        self.workspace = WorkspaceRepo(self.root / WORKSPACE_DIR)
        self._history: History | None = None
        self._trees: dict[str, TrackedTree] | None = None
        self._ownership: dict[str, OwnershipIndex] = {}

    @cached_property
    def retry_budget(self) -> RetryBudget:
        """What this run may still wait, in all, to retry deliveries (made when a
        delivery first asks: most commands deliver nothing)."""
        from treemerge.deliver import RetryBudget  # noqa: PLC0415 - delivery on demand

        return RetryBudget()

    def trees(self, ids: Sequence[str] = ()) -> list[TrackedTree]:
        """The main tree then every subsystem, or just `ids` (in the order given)."""
        if self._trees is None:  # (resolved once: a run asks for them per tree)
            main = self.config.main
            every = [TrackedTree(MAIN, resolve_location(main.url, self.root), main.branch, None)]
            for sub in self.config.subsystems:
                url = resolve_location(sub.tree, self.root) if sub.tree else None
                every.append(TrackedTree(sub.id, url, sub.branch, sub.upstream))
            self._trees = {t.id: t for t in every}
        by_id = self._trees
        if not ids:
            return list(by_id.values())
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            known = ", ".join(by_id)
            raise UsageError(f"unknown tree {unknown[0]!r}; maintainers.cfg has: {known}")
        return [by_id[i] for i in ids]

    def tree(self, tree_id: str) -> TrackedTree:
        return self.trees([tree_id])[0]

    def subsystem_tree(self, tree_id: str) -> TrackedTree:
        """A subsystem's tree (not the main tree), for commands that need one."""
        tree = self.tree(tree_id)
        if tree.upstream is None:
            raise UsageError(f"{tree_id!r} is the main tree; name a subsystem")
        return tree

    def history(self) -> History:
        if self._history is None:
            self.workspace.ensure()
            known = ChangedPaths(self.workspace.workspace / CHANGED_PATHS)
            self._history = History(self.workspace.path, known=known)
        return self._history

    def synced(self, tree_id: str) -> str:
        """The commit the workspace holds for `tree_id`; a clear error before any sync."""
        return self.synced_all([tree_id])[0]

    def synced_all(self, tree_ids: Sequence[str]) -> list[str]:
        """`synced` of each tree, read at once."""
        self.workspace.ensure()
        commits = self.workspace.refs(tree_ids)
        for tree_id, commit in zip(tree_ids, commits, strict=True):
            if commit is None:
                raise UsageError(
                    f"no copy of the {tree_id} tree yet: run `treemerge sync {tree_id}`"
                )
        return [c for c in commits if c is not None]

    def ownership_files(self) -> tuple[str, ...]:
        """Paths in the tree whose edits change ownership (reported, never honoured)."""
        names = [CONFIG_NAME]
        if self.config.main.maintainers_file:
            names.append(self.config.main.maintainers_file)
        return tuple(names)

    def ownership_at(self, commit: str) -> OwnershipIndex:
        """Ownership as the tree at `commit` has it: maintainers.cfg plus, when configured,
        the MAINTAINERS file of that tree; directories judged from that tree."""
        if commit not in self._ownership:
            self._ownership[commit] = self._compile_ownership(commit)
        return self._ownership[commit]

    def _compile_ownership(self, commit: str) -> OwnershipIndex:
        tree = TreeAt(self.workspace.path, commit)
        try:
            kernel = configured_maintainers(self.config, tree)
            ownership = combine(self.config, kernel)
            tree.learn_directories(directory_questions(ownership.sections))
        finally:
            tree.close()  # (the objects are read; directories not learnt are listed)
        index = OwnershipIndex(ownership, tree.is_dir)
        raise_first_error(ownership, index)
        return index


def open_project(config_path: Path | None, cwd: Path) -> Project:
    """The project whose maintainers.cfg is given or found; an error when there is none."""
    found = find_config(config_path, cwd)
    if found is None:
        raise UsageError(
            f"no {CONFIG_NAME} here or above {cwd}: this command needs one "
            "(pass --config FILE or set $TREEMERGE_CONFIG)"
        )
    return Project(read_config(found), found)
