"""Build the Nova-shaped fixture (main and subsystem trees) for the demo and benchmarks.

python -m treemerge.sandbox DEST [--config maintainers.cfg] [--commits N] ...
    DEST/main.git, DEST/trees/<id>.git and DEST/maintainers.cfg (see fixture.py)
"""

from __future__ import annotations

import argparse
from pathlib import Path

from treemerge.core.errors import TreemergeError
from treemerge.sandbox.fixture import SCENARIO_IDS, build_fixture


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m treemerge.sandbox",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("dest", type=Path)
    parser.add_argument(
        "--config", type=Path, help="the maintainers.cfg to rewrite (default ./maintainers.cfg)"
    )
    parser.add_argument("--commits", type=int, default=300, help="main-tree commits (300)")
    parser.add_argument("--files", type=int, help="use only the first N of Nova's paths")
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIO_IDS),
        help="comma-separated subsystem trees to build (default: all)",
    )
    parser.add_argument("--extra", type=int, default=4, help="extra commits per tree (4)")
    parser.add_argument("--releases", type=int, default=3, help="release tags (3)")
    parser.add_argument("--seed", type=int, default=0)
    return parser


def main() -> None:
    args = parser().parse_args()
    config = args.config or Path("maintainers.cfg")
    try:
        fixture = build_fixture(
            args.dest,
            config.read_text(encoding="utf-8"),
            commits=args.commits,
            files=args.files,
            scenarios=[s for s in args.scenarios.split(",") if s],
            extra_commits=args.extra,
            releases=args.releases,
            seed=args.seed,
        )
    except (TreemergeError, OSError, ValueError) as exc:
        parser().exit(2, f"error: {exc}\n")
    trees = ", ".join(fixture.trees)
    print(f"fixture: {fixture.config} ({fixture.commits} main-tree commits; trees: {trees})")


if __name__ == "__main__":
    main()
