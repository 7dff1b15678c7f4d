"""People as MAINTAINERS writes them: `Name <address>`."""

from __future__ import annotations

import re
from collections.abc import Iterable

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
