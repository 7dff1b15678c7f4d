"""Find and load the ownership that a command should judge paths by.

Sources, in order: `--maintainers FILE` (read from the file system); else the
maintainers.cfg found from `--config`, `$TREEMERGE_CONFIG` or the directory upwards
(with its MAINTAINERS file, when it names one, read from the git tree); else a
MAINTAINERS file at the top of the git tree. Directory patterns are always judged
from the git tree at the revision under examination.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from treemerge.app.configfile import find_config, read_config
from treemerge.core.config import Config
from treemerge.core.errors import ConfigError, RepositoryError, UsageError
from treemerge.core.maintainers_file import parse_maintainers
from treemerge.core.matcher import OwnershipIndex
from treemerge.core.model import Ownership
from treemerge.core.ownership import combine

if TYPE_CHECKING:
    from treemerge.gitio.repo import Repository
    from treemerge.gitio.treeat import TreeAt


# A dataclass, not a NamedTuple: a field named `index` would hide tuple.index.
@dataclass(frozen=True)
class OwnershipContext:
    """An ownership source compiled against the tree it judges."""

    ownership: Ownership
    index: OwnershipIndex
    tree: TreeAt
    repository: Repository
    source: str
    config: Config | None = None  # the maintainers.cfg it came from, when one did


class FileTree(Protocol):
    """What reading ownership from a tree needs: a file's content, by path."""

    rev: str

    def read(self, path: str) -> bytes | None: ...


def _open_repository(config: Config | None, config_path: Path | None, cwd: Path) -> Repository:
    from treemerge.gitio.repo import Repository  # noqa: PLC0415 - only where a tree is read

    try:
        return Repository(cwd)
    except RepositoryError:
        if config is None or config_path is None:
            raise
    # Outside any checkout, the main tree of the configuration is the tree to judge by.
    main = config.main.url
    if "://" in main and not main.startswith("file://"):
        raise RepositoryError(
            f"not a git repository: {cwd} (and the main tree {main} is not local; "
            "run inside a checkout or pass -C DIR)"
        )
    return Repository((config_path.parent / main.removeprefix("file://")).resolve())


def load_ownership(
    *,
    maintainers: Path | None,
    config_path: Path | None,
    rev: str | None,
    cwd: Path,
    strict: bool = True,
) -> OwnershipContext:
    """The ownership to use and its compiled index. With `strict`, errors raise."""
    config = None
    if maintainers is None:
        config_path = find_config(config_path, cwd)
        config = read_config(config_path) if config_path else None
    repository = _open_repository(config, config_path, cwd)
    tree = repository.tree(rev or _default_rev(repository, config))
    if maintainers is not None:
        ownership = _maintainers_from_disk(maintainers)
        source = str(maintainers)
    elif config is not None:
        ownership = combine(config, configured_maintainers(config, tree))
        source = config.file
    else:
        ownership = _maintainers_from_tree(tree, "MAINTAINERS", hint=True)
        source = f"MAINTAINERS at {tree.rev}"
    index = OwnershipIndex(ownership, tree.is_dir)
    if strict:
        raise_first_error(ownership, index)
    return OwnershipContext(ownership, index, tree, repository, source, config)


def raise_first_error(ownership: Ownership, index: OwnershipIndex) -> None:
    """Ownership that cannot be used as it is stops here, naming file, line and key."""
    errors = ownership.errors + tuple(d for d in index.diagnostics if d.severity == "error")
    if errors:
        first = errors[0]
        raise ConfigError(first.file, first.line, first.message, key=first.key)


def _default_rev(repository: Repository, config: Config | None) -> str:
    if repository.workdir is None and config is not None:
        return config.main.branch  # a bare mirror of the main tree: its branch
    return "HEAD"


def _maintainers_from_disk(path: Path) -> Ownership:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"--maintainers {path}: {exc.strerror}") from None
    return parse_maintainers(data, str(path))


def configured_maintainers(config: Config, tree: FileTree) -> Ownership | None:
    """The MAINTAINERS file maintainers.cfg names (`maintainers-file`), read from `tree`."""
    name = config.main.maintainers_file
    if not name:
        return None
    data = tree.read(name)
    if data is None:
        raise ConfigError(
            config.file,
            config.main.maintainers_file_line,
            f"{name} is not in the tree at {tree.rev}",
            key="maintainers-file",
        )
    return parse_maintainers(data, f"{tree.rev}:{name}")


def _maintainers_from_tree(tree: TreeAt, name: str, *, hint: bool = False) -> Ownership:
    data = tree.read(name)
    if data is None:
        advice = "; pass --maintainers FILE or run where a maintainers.cfg is found" if hint else ""
        raise UsageError(f"no {name} in the tree at {tree.rev}{advice}")
    return parse_maintainers(data, f"{tree.rev}:{name}")  # git's REV:PATH


def repo_relative(paths: list[str], repository: Repository, cwd: Path) -> list[str]:
    """Paths given relative to the current directory, as paths from the tree's root."""
    prefix = ""
    if repository.workdir is not None:
        try:
            inside = cwd.resolve().relative_to(repository.workdir.resolve())
        except ValueError:
            inside = Path()
        prefix = "" if str(inside) == "." else inside.as_posix() + "/"
    result = []
    for path in paths:
        joined = posixpath.normpath(prefix + path) if prefix else path
        if joined.startswith("./"):
            joined = posixpath.normpath(joined)
        if joined == ".." or joined.startswith("../") or joined.startswith("/"):
            raise UsageError(f"{path}: outside the repository")
        result.append(joined)
    return result
