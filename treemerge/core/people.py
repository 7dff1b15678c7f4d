"""People as MAINTAINERS writes them: `Name <address>`."""

from __future__ import annotations

import re
from collections.abc import Iterable

from treemerge.core.errors import ConfigError

EMAIL_IN_ANGLES = re.compile(r"<([^<>\s]+@[^<>\s]+)>")
BARE_EMAIL = re.compile(r"[^<>\s]+@[^<>\s]+")


def email_of(person: str) -> str | None:
    """The address of `Name <address>` (or of a bare address), or None."""
    match = EMAIL_IN_ANGLES.search(person)
    if match:
        return match.group(1)
    bare = BARE_EMAIL.search(person)
    return bare.group(0) if bare else None


def emails(people: Iterable[str]) -> tuple[str, ...]:
    """The addresses of `people`, in order, without duplicates."""
    found: list[str] = []
    for person in people:
        address = email_of(person)
        if address and address not in found:
            found.append(address)
    return tuple(found)


def listed_people(
    text: str,
    line: int,
    *,
    item: re.Pattern[str],
    separator: re.Pattern[str],
    expected: str,
    key: str,
    file: str,
) -> tuple[str, ...]:
    """The people (or addresses) of a configuration value that starts on `line`: one
    per line or several separated by `separator`, each matching `item` whole; a
    ConfigError names the line of the first that does not (`expected` says what)."""
    found: list[str] = []
    for offset, row in enumerate(text.split("\n")):
        for entry in separator.split(row.strip()):
            if not entry:
                continue
            if not item.fullmatch(entry):
                raise ConfigError(file, line + offset, f"{entry!r}: expected {expected}", key=key)
            found.append(entry)
    return tuple(found)
