"""maintainers.cfg: an INI file (configparser's syntax) with git-config-style names.

The reader is our own so that every error can name the file, the line and the key,
and say what was expected. Its syntax is configparser's: `key = value` (or
`key: value`), values continued on indented lines, comments on lines of their own
starting with `#` or `;`, keys case-insensitive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from treemerge.core.errors import ConfigError
from treemerge.core.notify_config import NOTIFY_KEYS, NotifyConfig, parse_notify
from treemerge.core.people import listed_people
from treemerge.core.refname import refname_problem, subsystem_id_problem
from treemerge.core.schedule import ScheduleError, check_schedule

SECTION_HEADER = re.compile(r"\[\s*([A-Za-z][\w-]*)(?:\s+\"([^\"\\]*)\")?\s*\]\s*")
KEY_LINE = re.compile(r"([A-Za-z][\w.-]*)\s*[=:]\s*(.*)")
SUBSYSTEM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# The main tree's id: `upstream = main`, its workspace ref refs/trees/main. No subsystem
# may take it (in any case: on a case-insensitive file system the refs are one file).
MAIN_ID = "main"
BYTE_ORDER_MARK = "\ufeff"
DELIVERY_METHODS = ("email", "github", "gitea", "none")
SMTP_ENCRYPTIONS = ("none", "ssl", "tls")
# Where the integration test command runs: none is an explicit opt-out, never a fallback.
SANDBOXES = ("bubblewrap", "none")
KEYS: dict[str, tuple[str, ...]] = {
    "main": ("url", "branch", "maintainers-file", "to", "cc", "cores"),
    "delivery": (
        "method",
        "smtp-server",
        "smtp-port",
        "smtp-encryption",
        "smtp-user",
        "from",
        "api-url",
        "repo",
        "attempts",
    ),
    "integration": ("order", "test-command", "sandbox", "stale-after", "stale-cycles"),
    "notify": NOTIFY_KEYS,
    "subsystem": (
        "title",
        "maintainers",
        "reviewers",
        "list",
        "status",
        "tree",
        "branch",
        "upstream",
        "schedule",
        "files",
        "exclude",
        "regex",
        "forge-fork",
        "cores",
        "review",
        "review-votes",
        "cores-from-reviewers",
    ),
}
# The review-notes votes a policy may count: the lowest vote that counts review.
REVIEW_VOTES = {"+2": 2, "+1": 1}
YES_NO = {"yes": True, "no": False}
# `cores =` lists people one per line, as `maintainers =` does, or several on a line
# separated by commas after each `>` (a comma inside a name stays part of it).
PEOPLE_SEPARATOR = re.compile(r"(?<=>)\s*,\s*")
PERSON = re.compile(r"[^<>]*<[^<>\s]+@[^<>\s]+>")


class Value(NamedTuple):
    """A value with the line its key stands on."""

    text: str
    line: int

    def items(self) -> tuple[str, ...]:
        """One item per non-empty line (multi-line lists such as `files =`)."""
        return tuple(s for s in (part.strip() for part in self.text.split("\n")) if s)

    def words(self) -> tuple[str, ...]:
        return tuple(self.text.split())


@dataclass
class RawSection:
    """One [section] as read, with its values by key (filled in as the lines come)."""

    kind: str
    name: str | None
    line: int
    values: dict[str, Value] = field(default_factory=dict)


class MainConfig(NamedTuple):
    url: str
    branch: str = "master"
    maintainers_file: str | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    maintainers_file_line: int | None = None  # where `maintainers-file =` stands
    cores: tuple[str, ...] = ()  # whose review counts for the main tree's own commits


class DeliveryConfig(NamedTuple):
    method: str = "none"
    options: tuple[tuple[str, str], ...] = ()

    def get(self, key: str) -> str | None:
        return dict(self.options).get(key)


class IntegrationConfig(NamedTuple):
    order: tuple[str, ...] = ()
    test_command: str | None = None
    sandbox: str = "bubblewrap"  # one of SANDBOXES
    # A tree is stale when its branch has not moved for `stale_after` days, or when
    # `next` left it out `stale_cycles` runs in a row (0 turns either rule off).
    stale_after: int = 365
    stale_cycles: int = 10


class ReviewConfig(NamedTuple):
    """A subsystem's review policy (issue 17: review provenance)."""

    cores: tuple[str, ...] = ()  # `Name <email>`, besides its maintainers
    required: int = 0  # distinct cores other than the author per commit; 0 = report only
    votes: int = 2  # the lowest Code-Review vote of review notes that counts
    cores_from_reviewers: bool = False  # the section's R: people are cores too
    line: int = 0  # where the first review key stands (for lint)


class SubsystemConfig(NamedTuple):
    id: str
    line: int
    title: str
    maintainers: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()
    status: str = ""
    tree: str | None = None
    branch: str = "master"
    upstream: str = MAIN_ID
    schedule: str = "manual"
    files: tuple[Value, ...] = ()
    exclude: tuple[Value, ...] = ()
    regex: tuple[Value, ...] = ()
    forge_fork: str | None = None  # owner of the forge fork holding `branch` (github/gitea)
    # None when the subsystem sets none of cores, review, review-votes,
    # cores-from-reviewers: it then has no review report at all.
    review: ReviewConfig | None = None


class Config(NamedTuple):
    file: str
    main: MainConfig
    delivery: DeliveryConfig
    integration: IntegrationConfig
    subsystems: tuple[SubsystemConfig, ...]
    notify: NotifyConfig = NotifyConfig()

    def subsystem(self, ident: str) -> SubsystemConfig | None:
        return next((s for s in self.subsystems if s.id == ident), None)


def read_sections(text: str, file: str) -> list[RawSection]:
    """The INI structure, with line numbers. Raises ConfigError on a syntax error."""
    sections: list[RawSection] = []
    current: RawSection | None = None
    last: tuple[str, int] | None = None  # the key a continuation line extends
    seen: set[tuple[str, str | None]] = set()
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.removesuffix("\r")
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            if not stripped:
                last = None
            continue
        if line[0].isspace():
            if current is None or last is None:
                raise ConfigError(file, number, "indented line continues no key", key="")
            key, start = last
            old = current.values[key]
            current.values[key] = Value(old.text + "\n" + stripped, start)
            continue
        last = None
        header = SECTION_HEADER.fullmatch(line)
        if header:
            kind, name = header.group(1).lower(), header.group(2)
            if (kind, name) in seen:
                raise ConfigError(file, number, f"section {line.strip()} appears twice")
            seen.add((kind, name))
            current = RawSection(kind, name, number)
            sections.append(current)
            continue
        if line.startswith("["):
            raise ConfigError(file, number, 'bad section header: expected [name] or [name "id"]')
        match = KEY_LINE.fullmatch(line)
        if match is None:
            raise ConfigError(file, number, "expected `key = value`, a [section] or a comment")
        if current is None:
            raise ConfigError(file, number, "key before any [section]", key=match.group(1))
        key = match.group(1).lower()
        if key in current.values:
            first = current.values[key].line
            raise ConfigError(file, number, f"set twice (first on line {first})", key=key)
        current.values[key] = Value(match.group(2).strip(), number)
        last = (key, number)
    return sections


def parse_config(text: str, file: str = "maintainers.cfg") -> Config:
    """A validated configuration. Raises ConfigError naming file, line and key."""
    # A byte-order mark is no part of line 1 (some Windows editors write one).
    raw = read_sections(text.removeprefix(BYTE_ORDER_MARK), file)
    by_kind: dict[str, list[RawSection]] = {}
    for section in raw:
        if section.kind not in KEYS:
            raise ConfigError(
                file,
                section.line,
                f"unknown section [{section.kind}]: expected one of "
                '[main], [delivery], [integration], [notify], [subsystem "id"]',
            )
        if (section.kind == "subsystem") != (section.name is not None):
            want = '[subsystem "id"]' if section.kind == "subsystem" else f"[{section.kind}]"
            raise ConfigError(file, section.line, f"expected {want}")
        _check_keys(section, file)
        by_kind.setdefault(section.kind, []).append(section)
    mains = by_kind.get("main", [])
    if not mains:
        raise ConfigError(file, None, "no [main] section: it names the main tree (url = ...)")
    subsystems = tuple(_subsystem(s, file) for s in by_kind.get("subsystem", []))
    config = Config(
        file=file,
        main=_main(mains[0], file),
        delivery=_delivery(by_kind.get("delivery", []), file),
        integration=_integration(by_kind.get("integration", []), file),
        subsystems=subsystems,
        notify=parse_notify(by_kind.get("notify", []), file),
    )
    _check_references(config, raw, file)
    return config


def _check_keys(section: RawSection, file: str) -> None:
    allowed = KEYS[section.kind]
    for key, value in section.values.items():
        if key not in allowed:
            raise ConfigError(
                file,
                value.line,
                f"unknown key in [{section.kind}]: expected one of {', '.join(allowed)}",
                key=key,
            )


def _main(section: RawSection, file: str) -> MainConfig:
    values = section.values
    url = values.get("url")
    if url is None or not url.text:
        raise ConfigError(file, section.line, "[main] needs `url =` (path or URL of the main tree)")
    maintainers_file = values.get("maintainers-file")
    return MainConfig(
        url=url.text,
        branch=_branch(values, file),
        maintainers_file=maintainers_file.text if maintainers_file else None,
        to=values["to"].items() if "to" in values else (),
        cc=values["cc"].items() if "cc" in values else (),
        maintainers_file_line=maintainers_file.line if maintainers_file else None,
        cores=_people(values, "cores", file),
    )


def _delivery(sections: list[RawSection], file: str) -> DeliveryConfig:
    if not sections:
        return DeliveryConfig()
    values = sections[0].values
    method = _choice(values, "method", DELIVERY_METHODS, "none", file)
    _choice(values, "smtp-encryption", SMTP_ENCRYPTIONS, "tls", file)
    port = values.get("smtp-port")
    if port is not None and not _is_number(port.text):
        raise ConfigError(file, port.line, "expected a port number", key="smtp-port")
    attempts = values.get("attempts")
    if attempts is not None and not (_is_number(attempts.text) and int(attempts.text) >= 1):
        raise ConfigError(file, attempts.line, "expected a whole number from 1", key="attempts")
    options = tuple((k, v.text) for k, v in values.items() if k != "method")
    return DeliveryConfig(method, options)


def _integration(sections: list[RawSection], file: str) -> IntegrationConfig:
    if not sections:
        return IntegrationConfig()
    values = sections[0].values
    command = values.get("test-command")
    return IntegrationConfig(
        order=values["order"].words() if "order" in values else (),
        test_command=command.text if command and command.text else None,
        sandbox=_choice(values, "sandbox", SANDBOXES, "bubblewrap", file),
        stale_after=_count(values, "stale-after", 365, "days", file),
        stale_cycles=_count(values, "stale-cycles", 10, "runs of next", file),
    )


def _count(values: dict[str, Value], key: str, default: int, unit: str, file: str) -> int:
    """A whole number from 0 (`key = N`), or `default` when the key is not set."""
    value = values.get(key)
    if value is None or not value.text:
        return default
    if not _is_number(value.text):
        raise ConfigError(file, value.line, f"expected a whole number of {unit} from 0", key=key)
    return int(value.text)


def _subsystem(section: RawSection, file: str) -> SubsystemConfig:
    ident = _subsystem_id(section, file)
    values = section.values
    schedule = _text(values, "schedule", "manual")
    try:
        check_schedule(schedule)
    except ScheduleError as exc:
        raise ConfigError(file, values["schedule"].line, str(exc), key="schedule") from None
    return SubsystemConfig(
        id=ident,
        line=section.line,
        title=_text(values, "title", ident),
        maintainers=values["maintainers"].items() if "maintainers" in values else (),
        reviewers=values["reviewers"].items() if "reviewers" in values else (),
        lists=values["list"].items() if "list" in values else (),
        status=_text(values, "status", ""),
        tree=_text(values, "tree", "") or None,
        branch=_branch(values, file),
        upstream=_text(values, "upstream", MAIN_ID),
        schedule=schedule,
        files=_pattern_values(values.get("files")),
        exclude=_pattern_values(values.get("exclude")),
        regex=_pattern_values(values.get("regex")),
        forge_fork=_text(values, "forge-fork", "") or None,
        review=_review(values, file),
    )


REVIEW_KEYS = ("cores", "review", "review-votes", "cores-from-reviewers")


def _review(values: dict[str, Value], file: str) -> ReviewConfig | None:
    """The review policy, or None when no review key is set."""
    lines = [values[k].line for k in REVIEW_KEYS if k in values]
    if not lines:
        return None
    required = values.get("review")
    if required is not None and required.text and not _is_number(required.text):
        raise ConfigError(
            file, required.line, "expected a whole number of cores from 0", key="review"
        )
    votes = _choice(values, "review-votes", tuple(REVIEW_VOTES), "+2", file)
    from_reviewers = _choice(values, "cores-from-reviewers", tuple(YES_NO), "no", file)
    return ReviewConfig(
        cores=_people(values, "cores", file),
        required=int(required.text) if required is not None and required.text else 0,
        votes=REVIEW_VOTES[votes],
        cores_from_reviewers=YES_NO[from_reviewers],
        line=min(lines),
    )


def _people(values: dict[str, Value], key: str, file: str) -> tuple[str, ...]:
    """A list of `Name <email>`, one per line or comma-separated; each must have an
    address, since the address is what identifies a reviewer."""
    value = values.get(key)
    if value is None:
        return ()
    expected = "Name <email> (one per line, or separated by commas)"
    return listed_people(
        value.text, value.line, item=PERSON, separator=PEOPLE_SEPARATOR,
        expected=expected, key=key, file=file,
    )  # fmt: skip


def _subsystem_id(section: RawSection, file: str) -> str:
    """The section's id, refused unless git takes it as part of a ref name (it names the
    workspace ref refs/trees/<id> and starts its pull requests' tag names)."""
    ident = section.name or ""
    if not SUBSYSTEM_ID.fullmatch(ident):
        raise ConfigError(
            file,
            section.line,
            f"bad subsystem id {ident!r}: use letters, digits, '.', '_' and '-'",
        )
    problem = subsystem_id_problem(ident)
    if problem is not None:
        raise ConfigError(
            file,
            section.line,
            f"bad subsystem id {ident!r}: it {problem}, which git refuses in a ref name "
            f"(refs/trees/{ident})",
        )
    if ident.lower() == MAIN_ID:
        raise ConfigError(
            file,
            section.line,
            f"subsystem id {ident!r} is taken: {MAIN_ID!r} names the main tree "
            f"([main], `upstream = {MAIN_ID}`); give the subsystem another id",
        )
    return ident


def _branch(values: dict[str, Value], file: str) -> str:
    """`branch =`, refused unless git takes refs/heads/<branch> as a ref name."""
    branch = _text(values, "branch", "master")
    problem = "starts with '-'" if branch.startswith("-") else None
    problem = problem or refname_problem(f"refs/heads/{branch}")
    if problem is not None:
        raise ConfigError(
            file,
            values["branch"].line,
            f"{branch!r} is no branch name git accepts: refs/heads/{branch} {problem}",
            key="branch",
        )
    return branch


def _pattern_values(value: Value | None) -> tuple[Value, ...]:
    """Each item of a multi-line pattern list, with the line it stands on."""
    if value is None:
        return ()
    found: list[Value] = []
    for offset, part in enumerate(value.text.split("\n")):
        if part.strip():
            found.append(Value(part.strip(), value.line + offset))
    return tuple(found)


def _check_references(config: Config, raw: list[RawSection], file: str) -> None:
    ids = {s.id for s in config.subsystems}
    _check_case_collisions(config.subsystems, file)
    for sub in config.subsystems:
        if sub.upstream != MAIN_ID and sub.upstream not in ids:
            line = _line_of(raw, sub.id, "upstream", sub.line)
            raise ConfigError(
                file,
                line,
                f"unknown upstream {sub.upstream!r}: expected main or a subsystem id",
                key="upstream",
            )
    for sub in config.subsystems:
        chain = [sub.id]
        upstream = sub.upstream
        while upstream != MAIN_ID:
            if upstream in chain:
                line = _line_of(raw, sub.id, "upstream", sub.line)
                loop = " -> ".join([*chain, upstream])
                raise ConfigError(file, line, f"upstreams form a loop: {loop}", key="upstream")
            chain.append(upstream)
            parent = config.subsystem(upstream)
            upstream = parent.upstream if parent else MAIN_ID
    for name in config.integration.order:
        if name not in ids:
            section = next(s for s in raw if s.kind == "integration")
            raise ConfigError(
                file, section.values["order"].line, f"unknown subsystem {name!r}", key="order"
            )


def _check_case_collisions(subsystems: tuple[SubsystemConfig, ...], file: str) -> None:
    """Two ids that differ only in case would share one workspace ref on a file system
    that ignores case (macOS, Windows): one tree's head would overwrite the other's."""
    first: dict[str, SubsystemConfig] = {}
    for sub in subsystems:
        other = first.setdefault(sub.id.lower(), sub)
        if other is not sub:
            raise ConfigError(
                file,
                sub.line,
                f"subsystem id {sub.id!r} differs from {other.id!r} (line {other.line}) "
                "only in case: git refs of the two would collide",
            )


def _line_of(raw: list[RawSection], ident: str, key: str, default: int) -> int:
    for section in raw:
        if section.kind == "subsystem" and section.name == ident and key in section.values:
            return section.values[key].line
    return default


def _text(values: dict[str, Value], key: str, default: str) -> str:
    value = values.get(key)
    return value.text if value is not None and value.text else default


def _choice(
    values: dict[str, Value], key: str, choices: tuple[str, ...], default: str, file: str
) -> str:
    value = values.get(key)
    if value is None or not value.text:
        return default
    if value.text not in choices:
        raise ConfigError(file, value.line, f"expected one of {', '.join(choices)}", key=key)
    return value.text


def _is_number(text: str) -> bool:
    # ASCII digits only: str.isdigit() is also true of "²", which int() refuses.
    return text.isascii() and text.isdigit()
