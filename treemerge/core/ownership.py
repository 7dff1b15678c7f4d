"""One ownership model from maintainers.cfg, a MAINTAINERS file, or both (SPEC.md)."""

from __future__ import annotations

from treemerge.core.config import Config, SubsystemConfig
from treemerge.core.model import Diagnostic, Ownership, Section, SectionEntry


def subsystem_entries(sub: SubsystemConfig) -> list[SectionEntry]:
    """The subsystem's keys as MAINTAINERS entries, each with its line in the config."""
    entries = [SectionEntry("M", v, sub.line) for v in sub.maintainers]
    entries += [SectionEntry("R", v, sub.line) for v in sub.reviewers]
    entries += [SectionEntry("L", v, sub.line) for v in sub.lists]
    if sub.status:
        entries.append(SectionEntry("S", sub.status, sub.line))
    entries += [SectionEntry("F", v.text, v.line) for v in sub.files]
    entries += [SectionEntry("X", v.text, v.line) for v in sub.exclude]
    entries += [SectionEntry("N", v.text, v.line) for v in sub.regex]
    return entries


def combine(config: Config, maintainers: Ownership | None) -> Ownership:
    """Sections of the MAINTAINERS file (when configured) joined with the subsystems.

    A subsystem owns what the MAINTAINERS section with its title owns, plus its own
    `files =`; a subsystem whose title names no section becomes a section of its own.
    """
    diagnostics: list[Diagnostic] = list(maintainers.diagnostics) if maintainers else []
    sections = list(maintainers.sections) if maintainers else []
    by_title = {s.name: i for i, s in reversed(list(enumerate(sections)))}
    for sub in config.subsystems:
        own = subsystem_entries(sub)
        index = by_title.get(sub.title)
        if index is None:
            sections.append(Section(sub.title, tuple(own), config.file, sub.line, sub.id))
            continue
        base = sections[index]
        extra = tuple(
            SectionEntry(e.letter, e.value, e.line, config.file)
            for e in own
            if e.letter in ("F", "X", "N")
        )
        sections[index] = Section(base.name, base.entries + extra, base.file, base.line, sub.id)
    return Ownership(tuple(sections), tuple(diagnostics))
