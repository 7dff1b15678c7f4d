"""Writing benchmark figures into docs/performance.md, between a benchmark's markers."""

from __future__ import annotations

from pathlib import Path


def update_section(path: Path, name: str, report: str) -> None:
    """Replace the text between `<!-- NAME:begin -->` and `<!-- NAME:end -->` (appended
    to the file when the markers are missing)."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = path.read_text() if path.exists() else ""
    if begin not in text:
        text += f"\n{begin}\n{end}\n"
    before, rest = text.split(begin, 1)
    _, after = rest.split(end, 1)
    path.write_text(f"{before}{begin}\n{report}\n{end}{after}")
