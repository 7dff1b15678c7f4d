"""[notify] in maintainers.cfg: which notices treemerge sends, and to whom besides.

    [notify]
    merged = yes          # reply in a pull's thread when it is merged
    conflicts = yes       # tell both trees' maintainers about a new conflict
    stale = yes           # warn a tree gone stale
    cc = nova-core@lists.example.org      # copied on every notice
    conflicts-list = nova-next@lists.example.org   # conflict notices go To it (the
                                                    # maintainers Cc) instead

Every key is optional; with no [notify] every notice is sent.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

from treemerge.core.errors import ConfigError
from treemerge.core.people import listed_people

if TYPE_CHECKING:
    from treemerge.core.config import RawSection, Value

NOTIFY_KEYS = ("merged", "conflicts", "stale", "cc", "conflicts-list")
SWITCHES = {"yes": True, "no": False}
# One address: "name@host", or "Name <name@host>"; several are separated by commas
# after each address, or one per line.
ADDRESS = re.compile(r"[^<>@\s,]+@[^<>@\s,]+|[^<>,]*<[^<>@\s,]+@[^<>@\s,]+>")
SEPARATOR = re.compile(r"(?<=[>\w])\s*,\s*")


class NotifyConfig(NamedTuple):
    merged: bool = True
    conflicts: bool = True
    stale: bool = True
    cc: tuple[str, ...] = ()  # copied on every notice
    conflicts_list: str | None = None  # conflict notices go To it, the maintainers Cc


def parse_notify(sections: list[RawSection], file: str) -> NotifyConfig:
    """The [notify] section (its defaults when there is none). Raises ConfigError
    naming the file, line and key of a value that is not yes or no, or not an
    address."""
    if not sections:
        return NotifyConfig()
    values = sections[0].values
    lists = values.get("conflicts-list")
    listed = _addresses(lists, "conflicts-list", file) if lists is not None else ()
    if len(listed) > 1:
        assert lists is not None
        raise ConfigError(file, lists.line, "expected one address (a list)", key="conflicts-list")
    cc = values.get("cc")
    return NotifyConfig(
        merged=_switch(values.get("merged"), "merged", file),
        conflicts=_switch(values.get("conflicts"), "conflicts", file),
        stale=_switch(values.get("stale"), "stale", file),
        cc=_addresses(cc, "cc", file) if cc is not None else (),
        conflicts_list=listed[0] if listed else None,
    )


def _switch(value: Value | None, key: str, file: str) -> bool:
    if value is None or not value.text:
        return True
    if value.text.lower() not in SWITCHES:
        raise ConfigError(file, value.line, "expected yes or no", key=key)
    return SWITCHES[value.text.lower()]


def _addresses(value: Value, key: str, file: str) -> tuple[str, ...]:
    """The addresses of a value, one per line or separated by commas."""
    expected = "an email address (name@host or Name <name@host>)"
    return listed_people(
        value.text, value.line, item=ADDRESS, separator=SEPARATOR,
        expected=expected, key=key, file=file,
    )  # fmt: skip
