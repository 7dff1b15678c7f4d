"""A built-in sandbox: a Nova-shaped project to try treemerge on (demo, tests, benchmarks).

The layout is OpenStack Nova's real list of paths, shipped with treemerge; the content
of each file is generated, so nothing here depends on the network.
"""

from __future__ import annotations

import gzip
from importlib import resources
from pathlib import Path

from treemerge.gitio.fastimport import Commit, import_commits
from treemerge.gitio.run import run_git

AUTHOR = "Margit Halvorsen <margit.halvorsen@example.org>"


def nova_paths() -> list[str]:
    """The 4,798 paths of OpenStack Nova's master branch."""
    data = resources.files(__name__).joinpath("nova-files.txt.gz").read_bytes()
    return [p for p in gzip.decompress(data).decode("utf-8").split("\n") if p]


def file_content(path: str) -> bytes:
    """Placeholder content that differs per file (so renames are detectable)."""
    if path.endswith(".py"):
        return f'"""{path}."""\n'.encode()
    return f"{path}\n".encode()


def build_main_tree(dest: Path, *, maintainers_cfg: str | None = None) -> Path:
    """A checkout at `dest` whose one commit holds every Nova path (and maintainers.cfg)."""
    files: dict[str, bytes | None] = {p: file_content(p) for p in nova_paths()}
    if maintainers_cfg is not None:
        files["maintainers.cfg"] = maintainers_cfg.encode()
    dest.mkdir(parents=True, exist_ok=True)
    run_git(["init", "-q", "-b", "master", str(dest)])
    commit = Commit("Import of the Nova tree layout", files, author=AUTHOR)
    import_commits(dest / ".git", [commit])
    run_git(["checkout", "-q", "-f", "master"], cwd=dest)
    return dest


# One edit a subsystem team might make, touching its own paths and two foreign ones.
SAMPLE_CHANGE = (
    "nova/virt/libvirt/driver.py",
    "nova/tests/unit/virt/libvirt/test_driver.py",
    "nova/conf/libvirt.py",
    "nova/compute/manager.py",
    "nova/objects/instance.py",
)


def touch_areas(repo: Path) -> None:
    """Commit a change to SAMPLE_CHANGE in the checkout at `repo`."""
    for path in SAMPLE_CHANGE:
        with (repo / path).open("a", encoding="utf-8") as handle:
            handle.write("# libvirt: handle the new CPU model flags\n")
    run_git(["add", "--", *SAMPLE_CHANGE], cwd=repo)
    run_git(
        [
            "-c",
            "user.name=Jana Roessler",
            "-c",
            "user.email=jana.roessler@example.org",
            "commit",
            "-q",
            "-m",
            "libvirt: handle the new CPU model flags",
        ],
        cwd=repo,
    )
