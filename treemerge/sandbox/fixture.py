"""A Nova-shaped project for tests, benchmarks and the demo: a main tree and subsystem trees.

`build_fixture(DEST, config_text)` writes, all with `git fast-import`:

* DEST/main.git: the main tree (branch master), Nova's real paths, a history shaped
  after Nova's own commits, release tags (…, 28.0.0, 29.0.0) the last some commits
  before the tip;
* DEST/trees/<id>.git: one full copy per subsystem, forked at the last release, its
  branch for-main carrying that team's pending work, one scenario per tree (SCENARIOS);
* DEST/maintainers.cfg: the given maintainers.cfg pointed at those repositories.

Everything is deterministic: the same arguments give the same commit ids, on any
machine, on any day.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from treemerge.core.config import Config, parse_config
from treemerge.core.errors import UsageError
from treemerge.gitio.fastimport import StreamWriter, data_command, fast_import, person, quote_path
from treemerge.gitio.run import run_git
from treemerge.sandbox import nova_paths
from treemerge.sandbox.fixture_config import fixture_config
from treemerge.sandbox.history import (
    Content,
    MainHistory,
    release_points,
    tree_line,
    write_main,
)

BRANCH = "for-main"
HOUR = 3_600


@dataclass(frozen=True)
class Scenario:
    """The pending work of one subsystem tree, and what an ownership check should make of it.

    The first commit edits `own[0]` (and `foreign`, when set); the extra commits edit
    `own` files only.
    """

    id: str
    slot: int  # which line of a file the tree rewrites (history.tree_line)
    subject: str
    own: tuple[str, ...]  # files the subsystem owns
    foreign: str | None = None  # a file it does not own, edited in its first commit
    acked_by: str | None = None  # the owner whose first maintainer acks that edit
    line_of: str | None = None  # rewrite that tree's line of `foreign`: a conflict with it
    rename: tuple[str, str] | None = None  # one of its files, renamed in its own directory
    upstream: str = "main"


SCENARIOS = (
    Scenario("libvirt", 0, "libvirt: Handle the new CPU model flags",
             ("nova/virt/libvirt/driver.py", "nova/virt/libvirt/config.py",
              "nova/virt/libvirt/guest.py", "nova/tests/unit/virt/libvirt/test_driver.py",
              "nova/conf/libvirt.py"),
             rename=("nova/virt/libvirt/migration.py", "nova/virt/libvirt/live_migration.py")),
    Scenario("vmware", 1, "vmware: Report datastore capacity from the compute manager",
             ("nova/virt/vmwareapi/driver.py", "nova/virt/vmwareapi/vmops.py",
              "nova/tests/unit/virt/vmwareapi/test_driver_api.py", "nova/conf/vmware.py"),
             foreign="nova/compute/manager.py"),
    Scenario("ironic", 2, "ironic: Rebalance nodes when the compute manager starts",
             ("nova/virt/ironic/driver.py", "nova/virt/ironic/patcher.py",
              "nova/tests/unit/virt/ironic/test_driver.py", "nova/conf/ironic.py"),
             foreign="nova/compute/manager.py", acked_by="compute"),
    Scenario("compute", 3, "compute: Bump the compute RPC API to 6.4",
             ("nova/compute/rpcapi.py", "nova/compute/api.py",
              "nova/compute/resource_tracker.py", "nova/tests/unit/compute/test_rpcapi.py")),
    Scenario("conductor", 4, "conductor: Pin the compute RPC API for rolling upgrades",
             ("nova/conductor/manager.py", "nova/conductor/api.py", "nova/conductor/rpcapi.py",
              "nova/tests/unit/conductor/test_conductor.py"),
             foreign="nova/compute/rpcapi.py", acked_by="compute", line_of="compute"),
    Scenario("scheduler", 5, "scheduler: Weigh hosts by free disk first",
             ("nova/scheduler/manager.py", "nova/scheduler/host_manager.py",
              "nova/scheduler/utils.py", "nova/tests/unit/scheduler/test_manager.py")),
    Scenario("placement", 6, "placement: Retry allocation claims on generation conflicts",
             ("nova/scheduler/client/report.py", "nova/scheduler/client/query.py",
              "nova/tests/unit/scheduler/client/test_report.py", "nova/conf/placement.py"),
             upstream="scheduler"),
)  # fmt: skip
SCENARIO_IDS = tuple(s.id for s in SCENARIOS)
VERBS = ("Fix", "Clean up", "Log", "Refactor", "Handle")
TOPICS = ("error paths", "timeouts", "the cache", "stale state", "config defaults")


@dataclass(frozen=True)
class TreeExpectation:
    """What one subsystem tree holds, and what checking its pending work must report.

    Paths are those changed between the tree's upstream (`base`) and its `head`: for
    placement, its upstream is scheduler's tree, not main.
    """

    id: str
    path: Path
    branch: str
    upstream: str  # "main" or the id of the subsystem whose tree it was forked from
    base: str  # commit id the tree forked from: the last release, or its upstream's head
    head: str  # commit id of the branch
    commits: int  # pending commits, base..head
    owned: frozenset[str]  # changed, inside the subsystem's own paths (both sides of a rename)
    foreign: frozenset[str]  # changed outside them, with no ack from an owner
    acked: frozenset[str]  # changed outside them, in a commit acked by an owner
    renames: tuple[tuple[str, str], ...]
    conflicts_with: frozenset[str]  # built trees it conflicts with in a 3-way merge


@dataclass(frozen=True)
class Fixture:
    """The repositories `build_fixture` wrote, and what tests may assert about them."""

    dest: Path
    main: Path  # bare repository of the main tree
    config: Path  # maintainers.cfg for the fixture (relative paths are relative to it)
    branch: str  # the main tree's branch
    head: str  # commit id of the main tree's tip
    commits: int  # commits on the main tree's branch
    tags: tuple[str, ...]  # release tags, oldest first; the last is where the trees fork
    paths: tuple[str, ...]  # every file of the main tree
    trees: Mapping[str, Path]  # subsystem id -> its bare repository
    expected: Mapping[str, TreeExpectation]


def fixture_paths(files: int | None = None) -> list[str]:
    """The first `files` of Nova's paths (all when None), plus every path a scenario edits.

    The scenario paths are always there, so the main tree does not depend on which
    scenarios are built.
    """
    every = nova_paths()
    wanted = set(every[:files] if files is not None else every)
    for scenario in SCENARIOS:
        wanted.update(scenario.own)
        wanted.update(p for p in (scenario.foreign, scenario.rename and scenario.rename[0]) if p)
    return [p for p in every if p in wanted]


def build_fixture(
    dest: Path,
    config_text: str,
    *,
    commits: int = 300,
    files: int | None = None,
    scenarios: Sequence[str] | None = None,
    extra_commits: int = 4,
    releases: int = 3,
    seed: int = 0,
) -> Fixture:
    """Build the main tree, the chosen subsystem trees and their maintainers.cfg in `dest`.

    `config_text` is a maintainers.cfg naming the subsystems of SCENARIOS (this
    project's own maintainers.cfg): it supplies the people, and is rewritten to point
    at the fixture. `scenarios` defaults to all; placement brings scheduler, its
    upstream. Each tree gets its scenario's commits plus `extra_commits` of its own.
    Guarantees: byte-identical commits for the same arguments; a maintainers.cfg that
    parse_config accepts. Refuses (UsageError) to write over an existing fixture.
    """
    chosen = _chosen(scenarios)
    config = parse_config(config_text)
    # Built first: they check the people they need are in the config, before any write.
    writers = [_TreeWriter(s, config, seed=seed, extra=extra_commits) for s in chosen]
    release_points(commits, releases)  # ValueError now, not halfway
    main = dest / "main.git"
    if main.exists() or (dest / "trees").exists():
        raise UsageError(f"{dest}: a fixture is already there; remove it first")
    paths = fixture_paths(files)
    with fast_import(main) as stream:
        history = write_main(stream, paths, commits=commits, releases=releases, seed=seed)
    expected = _build_trees(writers, main, history, dest / "trees")
    cfg = dest / "maintainers.cfg"
    cfg.write_text(fixture_config(config_text, list(expected)), encoding="utf-8")
    parse_config(cfg.read_text(encoding="utf-8"), str(cfg))  # the guarantee, checked
    return Fixture(
        dest=dest, main=main, config=cfg, branch="master", head=_rev(main, "refs/heads/master"),
        commits=commits, tags=history.tags, paths=tuple(paths),
        trees={i: e.path for i, e in expected.items()}, expected=expected,
    )  # fmt: skip


def _build_trees(
    writers: Sequence[_TreeWriter], main: Path, history: MainHistory, trees: Path
) -> dict[str, TreeExpectation]:
    """Each tree, in order: forked at the last release, or from its upstream's tree."""
    release = _rev(main, f"refs/tags/{history.tags[-1]}^{{commit}}")
    at_release = _Tip(main, release, history.at_last_release, history.last_release_time)
    chosen = [w.scenario for w in writers]
    built: dict[str, _Built] = {}
    for writer in writers:
        scenario = writer.scenario
        start = built[scenario.upstream].tip if scenario.upstream in built else at_release
        built[scenario.id] = writer.build(trees, start.copy(), _conflicts(scenario, chosen))
    return {i: b.expected for i, b in built.items()}


def _chosen(scenarios: Sequence[str] | None) -> list[Scenario]:
    wanted = set(SCENARIO_IDS if scenarios is None else scenarios)
    unknown = wanted - set(SCENARIO_IDS)
    if unknown:
        raise UsageError(f"unknown scenario {sorted(unknown)[0]!r}: expected one of {SCENARIO_IDS}")
    for scenario in SCENARIOS:  # a trust tree needs the tree it is forked from
        if scenario.id in wanted and scenario.upstream != "main":
            wanted.add(scenario.upstream)
    return [s for s in SCENARIOS if s.id in wanted]


def _conflicts(scenario: Scenario, chosen: Collection[Scenario]) -> frozenset[str]:
    """The built trees that rewrite a line this one rewrites."""
    partners = {s.id for s in chosen if s.line_of == scenario.id}
    partners |= {s.id for s in chosen if s.id == scenario.line_of}
    return frozenset(partners)


def _rev(repo: Path, rev: str) -> str:
    return run_git(["rev-parse", "--verify", "-q", rev], cwd=repo).decode().strip()


@dataclass(frozen=True)
class _Tip:
    """A commit to fork from: its repository, id, files and committer time."""

    repo: Path
    commit: str
    content: Content
    time: int

    def copy(self) -> _Tip:
        return _Tip(self.repo, self.commit, self.content.copy(), self.time)


@dataclass(frozen=True)
class _Built:
    expected: TreeExpectation
    tip: _Tip


class _TreeWriter:
    """The pending commits of one scenario, written into a copy of the tree it forks from."""

    def __init__(self, scenario: Scenario, config: Config, *, seed: int, extra: int) -> None:
        sub = config.subsystem(scenario.id)
        if sub is None or not sub.maintainers:
            raise UsageError(f"maintainers.cfg: no maintainers for subsystem {scenario.id!r}")
        self.scenario = scenario
        self.people = sub.maintainers
        self.ack = _first_maintainer(config, scenario.acked_by) if scenario.acked_by else None
        # One generator per tree: a tree's commits do not depend on which others are built.
        self.rng = random.Random(f"{seed}/{scenario.id}")  # noqa: S311 (reproducible on purpose)
        self.extra = extra
        self.count = 0
        self.slots = {s.id: s.slot for s in SCENARIOS}

    def build(self, trees: Path, start: _Tip, conflicts: frozenset[str]) -> _Built:
        """Copy the repository of `start` to trees/<id>.git; add the pending commits."""
        repo = trees / f"{self.scenario.id}.git"
        trees.mkdir(parents=True, exist_ok=True)
        # A local clone hard-links the object files: a full copy that costs nothing.
        run_git(["clone", "-q", "--bare", str(start.repo), str(repo)])
        run_git(["config", "--remove-section", "remote.origin"], cwd=repo)
        owned: set[str] = set()
        with fast_import(repo) as stream:
            when = self._write_all(stream, start, owned)
        run_git(["symbolic-ref", "HEAD", f"refs/heads/{BRANCH}"], cwd=repo)
        run_git(["update-ref", "-d", "refs/heads/master"], cwd=repo)
        head = _rev(repo, f"refs/heads/{BRANCH}")
        s = self.scenario
        foreign = frozenset([s.foreign] if s.foreign else [])
        expected = TreeExpectation(
            id=s.id, path=repo, branch=BRANCH, upstream=s.upstream, base=start.commit,
            head=head, commits=self.count, owned=frozenset(owned),
            foreign=foreign if self.ack is None else frozenset(),
            acked=foreign if self.ack is not None else frozenset(),
            renames=(s.rename,) if s.rename else (), conflicts_with=conflicts,
        )  # fmt: skip
        return _Built(expected, _Tip(repo, head, start.content, when))

    def _write_all(self, stream: StreamWriter, start: _Tip, owned: set[str]) -> int:
        """Write every commit; the committer time of the last."""
        s, content = self.scenario, start.content
        when = start.time + 600 * s.slot  # the teams do not all commit at the same minute
        first = [s.own[0], *([s.foreign] if s.foreign else [])]
        when = self._commit(stream, s.subject, first, content, when, base=start.commit)
        owned.add(s.own[0])
        if s.rename:
            when = self._commit(stream, _rename_subject(s), [], content, when, rename=s.rename)
            owned.update(s.rename)
        for _ in range(self.extra):
            edited = self.rng.sample(s.own, self.rng.choice((1, 1, 2)))
            subject = f"{s.id}: {self.rng.choice(VERBS)} {self.rng.choice(TOPICS)}"
            when = self._commit(stream, subject, edited, content, when)
            owned.update(edited)
        return when

    def _commit(
        self,
        stream: StreamWriter,
        subject: str,
        paths: Sequence[str],
        content: Content,
        when: int,
        *,
        base: str | None = None,
        rename: tuple[str, str] | None = None,
    ) -> int:
        """Write one commit on the branch (the first names `base`); its committer time."""
        when += HOUR
        author = self.people[self.count % len(self.people)]
        self.count += 1
        stream.write(
            f"commit refs/heads/{BRANCH}\n".encode()
            + person("author", author, when)
            + person("committer", self.people[0], when)
            + data_command(self._message(subject, author, acked=base is not None).encode())
            + (f"from {base}\n".encode() if base else b"")
        )
        if rename:
            stream.write(b"R " + quote_path(rename[0]) + b" " + quote_path(rename[1]) + b"\n")
            content.rename(*rename)
        for path in paths:
            # The scenario's foreign edit may rewrite another tree's line: the conflict.
            owner = self.scenario.line_of if path == self.scenario.foreign else None
            line = tree_line(self.slots[owner or self.scenario.id])
            data = content.edit(path, [line], f"{self.scenario.id} {self.count}")
            stream.write(b"M 100644 inline " + quote_path(path) + b"\n" + data_command(data))
        stream.write(b"\n")
        return when

    def _message(self, subject: str, author: str, *, acked: bool) -> str:
        """Subject, body and trailers, in the order the kernel's maintainers write them."""
        body = f"Queued in the {self.scenario.id} tree for its next pull request."
        trailers = [f"Acked-by: {self.ack}"] if acked and self.ack else []
        trailers += [f"Signed-off-by: {who}" for who in dict.fromkeys([author, self.people[0]])]
        return f"{subject}\n\n{body}\n\n" + "\n".join(trailers) + "\n"


def _rename_subject(scenario: Scenario) -> str:
    assert scenario.rename is not None
    old, new = (p.rsplit("/", 1)[-1] for p in scenario.rename)
    return f"{scenario.id}: Rename {old} to {new}"


def _first_maintainer(config: Config, ident: str) -> str:
    """`Name <email>` of the subsystem's first maintainer, exactly as maintainers.cfg has it."""
    sub = config.subsystem(ident)
    if sub is None or not sub.maintainers:
        raise UsageError(f"maintainers.cfg: no maintainers for subsystem {ident!r}")
    return sub.maintainers[0]
