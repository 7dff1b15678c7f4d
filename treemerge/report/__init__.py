"""Reports for people to read in a browser: self-contained HTML, no I/O beyond the template."""

from treemerge.report.html import render_next_html

__all__ = ["render_next_html"]
