"""A small real project for tests: a main tree, subsystem trees, maintainers.cfg."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import Result, git, make_repo, run_cli

MAINTAINERS = """\
NETWORKING
M:\tNet Chief <net@example.org>
F:\tnet/

WIRELESS
M:\tAir Head <air@example.org>
F:\tnet/wireless/

DRIVERS
M:\tDee River <dee@example.org>
F:\tdrivers/

DOCUMENTATION
M:\tDoc Writer <doc@example.org>
F:\tDocumentation/

THE REST
M:\tTop Dog <top@example.org>
F:\t*
F:\t*/
"""

CONFIG = """\
[main]
url = main
branch = master
maintainers-file = MAINTAINERS

[subsystem "net"]
title = NETWORKING
tree = trees/net.git
branch = for-main

[subsystem "drivers"]
title = DRIVERS
tree = trees/drivers.git
branch = for-main

[subsystem "wireless"]
title = WIRELESS
tree = trees/wireless.git
branch = for-net
upstream = net
"""

FILES = {
    "MAINTAINERS": MAINTAINERS,
    "README": "readme\n",
    "net/core.c": "core\n",
    "net/wireless/wifi.c": "wifi\n",
    "drivers/block.c": "block\n",
    "drivers/char.c": "char\n",
    "Documentation/net.txt": "net docs\n",
}


class Project:
    """The project under test, driven through the real CLI."""

    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.root = root
        self.capsys = capsys
        self.main = make_repo(root / "main", FILES)
        git(self.main, "tag", "-a", "-m", "release 1.0", "v1.0")
        # The top maintainer's checkout takes pushes (merge --push) into its work tree.
        git(self.main, "config", "receive.denyCurrentBranch", "updateInstead")
        (root / "maintainers.cfg").write_text(CONFIG)
        self._clones: dict[str, Path] = {}

    def run(self, *args: str) -> Result:
        return run_cli(self.capsys, "-C", str(self.root), *args)

    def json(self, *args: str) -> Any:
        result = self.run(*args, "--json")
        return json.loads(result.out)

    def clone(self, tree: str) -> Path:
        """A work clone of a subsystem tree (made once), on the tree's branch."""
        if tree not in self._clones:
            path = self.root / "work" / tree
            git(self.root, "clone", "-q", str(self.root / "trees" / f"{tree}.git"), str(path))
            self._clones[tree] = path
        return self._clones[tree]

    def commit(
        self,
        tree: str,
        files: Mapping[str, str | None],
        message: str,
        *,
        renames: Mapping[str, str] | None = None,
    ) -> str:
        """Commit to a subsystem tree (None deletes a file) and push; the new commit id."""
        work = self.clone(tree) if tree != "main" else self.main
        for old, new in (renames or {}).items():
            (work / new).parent.mkdir(parents=True, exist_ok=True)
            git(work, "mv", old, new)
        for path, content in files.items():
            if content is None:
                git(work, "rm", "-q", path)
                continue
            (work / path).parent.mkdir(parents=True, exist_ok=True)
            (work / path).write_text(content)
            git(work, "add", path)
        git(work, "commit", "-q", "-m", message)
        if tree != "main":
            branch = git(work, "rev-parse", "--abbrev-ref", "HEAD").strip()
            git(work, "push", "-q", "origin", f"HEAD:{branch}")
        return git(work, "rev-parse", "HEAD").strip()

    def with_trees(self, *trees: str) -> Project:
        """This project with the subsystem trees `trees` created (each a copy of main)."""
        for tree in trees:
            result = self.run("tree", "create", tree)
            assert result.code == 0, result.err
        return self

    def send_pull(self, files: Mapping[str, str | None], message: str = "net: work") -> str:
        """Commit to the net tree, then send its pull request (delivery: files); the tag."""
        self.commit("net", files, message)
        self.run("sync")
        result = self.run("request-pull", "net", "--send", "--allow-fresh")
        assert result.code == 0, result.err
        return str(self.json("prs")["pulls"][-1]["tag"])

    def main_head(self) -> str:
        return git(self.main, "rev-parse", "master").strip()
