"""A built-in sandbox: a Nova-shaped project to try treemerge on (demo, tests, benchmarks).

The layout is OpenStack Nova's real list of paths, shipped with treemerge; the content
of each file is generated, so nothing here depends on the network.
"""

from __future__ import annotations

import gzip
from importlib import resources


def nova_paths() -> list[str]:
    """The 4,798 paths of OpenStack Nova's master branch."""
    data = resources.files(__name__).joinpath("nova-files.txt.gz").read_bytes()
    return [p for p in gzip.decompress(data).decode("utf-8").split("\n") if p]
