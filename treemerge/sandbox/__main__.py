"""`python -m treemerge.sandbox DEST [--config FILE]`: build the demo sandbox."""

from __future__ import annotations

import argparse
from pathlib import Path

from treemerge.sandbox import build_main_tree, touch_areas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dest", type=Path)
    parser.add_argument("--config", type=Path, help="maintainers.cfg to place at the top")
    args = parser.parse_args()
    cfg = args.config.read_text(encoding="utf-8") if args.config else None
    repo = build_main_tree(args.dest, maintainers_cfg=cfg)
    touch_areas(repo)
    print(f"sandbox: {repo}")


if __name__ == "__main__":
    main()
