"""What the benchmarks share: timing, extra subsystem trees, writing the figures."""

from __future__ import annotations

import argparse
import compileall
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from treemerge.gitio.fastimport import Commit, import_commits
from treemerge.gitio.run import run_git
from treemerge.sandbox.fixture import Fixture, build_fixture

ROOT = Path(__file__).resolve().parents[1]


def _executable() -> list[str]:
    """The `treemerge` command as a maintainer runs it: the executable installed beside
    this Python (else, in a checkout that was never installed, `python -m treemerge`)."""
    installed = Path(sys.executable).with_name("treemerge")
    return [str(installed)] if installed.is_file() else [sys.executable, "-m", "treemerge"]


TREEMERGE = _executable()


def arguments(
    doc: str,
    *,
    commits: bool = True,
    trees: int | None = None,
    more: Callable[[argparse.ArgumentParser], object] | None = None,
) -> argparse.Namespace:
    """The options every benchmark takes: --runs, --write FILE, and --commits (and
    --trees, with its default, for those that take it); `more` adds a benchmark's own."""
    parser = argparse.ArgumentParser(description=doc.split("\n", maxsplit=1)[0])
    if more is not None:
        more(parser)
    if commits:
        parser.add_argument("--commits", type=int, default=60_000)
    if trees is not None:
        parser.add_argument("--trees", type=int, default=trees)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", type=Path, help="update this markdown file's section")
    # treemerge runs from compiled bytecode, as an installed package does (with
    # PYTHONDONTWRITEBYTECODE set, every run would otherwise compile what changed since).
    compileall.compile_dir(ROOT / "treemerge", quiet=1)
    return parser.parse_args()


def nova_fixture(directory: str, commits: int) -> Fixture:
    """The Nova-scale fixture (10 releases, seven subsystem trees) with this
    repository's maintainers.cfg."""
    config = (ROOT / "maintainers.cfg").read_text(encoding="utf-8")
    return build_fixture(Path(directory) / "nova", config, commits=commits, releases=10)


def libraries_of(*modules: str) -> list[str]:
    """The command to import, in a fresh Python, every module outside treemerge that
    importing `modules` (a command's) loads: the standard library's and the
    dependencies' (click, re2...), treemerge's own aside. What that takes is what any
    tool on Python and those libraries pays before its first line of work."""
    probe = (
        "import sys; before = set(sys.modules); import "
        + ", ".join(modules)
        + "; print(' '.join(sorted(m for m in set(sys.modules) - before"
        " if not m.startswith('treemerge'))))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, check=True)
    names = done.stdout.decode().split()
    load = f"import importlib\nfor name in {names!r}:\n    importlib.import_module(name)\n"
    return [sys.executable, "-c", load]


def timed(func: Callable[[], object], runs: int) -> list[float]:
    """Wall seconds of each of `runs` calls."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return times


def wall(
    argv: Sequence[str],
    cwd: Path,
    runs: int,
    *,
    ok: tuple[int, ...] = (0,),
    before: Callable[[], object] | None = None,
) -> float:
    """Median wall seconds of `runs` fresh processes (output discarded); `before` runs
    ahead of each one, untimed."""
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        times += timed(lambda: _run(argv, cwd, ok), 1)
    return statistics.median(times)


def walls(commands: Sequence[tuple[Sequence[str], Path]], runs: int) -> list[float]:
    """Median wall seconds of each (argv, cwd) over `runs` rounds, taking turns."""
    return by_turns([process(argv, cwd) for argv, cwd in commands], runs)


def process(argv: Sequence[str], cwd: Path, ok: tuple[int, ...] = (0, 1)) -> Callable[[], None]:
    """A function that runs `argv` in `cwd` (output discarded; an exit status not in
    `ok` stops the benchmark)."""
    return lambda: _run(argv, cwd, ok)


def by_turns(funcs: Sequence[Callable[[], object]], runs: int) -> list[float]:
    """Median wall seconds of each of `funcs` over `runs` rounds, the functions taking
    turns within each round (so that a machine slowing down or speeding up during the
    run weighs on all of them alike)."""
    times: list[list[float]] = [[] for _ in funcs]
    for _ in range(runs):
        for func, spent in zip(funcs, times, strict=True):
            spent.extend(timed(func, 1))
    return [statistics.median(spent) for spent in times]


def _run(argv: Sequence[str], cwd: Path, ok: tuple[int, ...]) -> None:
    done = subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, check=False)
    if done.returncode not in ok:
        raise SystemExit(f"exit {done.returncode}: {' '.join(argv)}")


def add_trees(fixture: Fixture, count: int) -> list[str]:
    """Extra subsystem trees up to `count` in all, each with one pending commit on files
    of its own (added to the fixture's maintainers.cfg)."""
    base = release_commit(fixture)
    ids = []
    for n in range(count - len(fixture.trees)):
        ident = f"extra{n}"
        files = {f"doc/{ident}/notes-{k}.txt": f"extra {n} {k}\n".encode() for k in range(3)}
        new_tree(
            fixture, ident, [Commit(f"{ident}: notes", files, branch="for-main", parents=(base,))]
        )
        ids.append(ident)
    configure_trees(fixture, ids, area="doc/{}/")
    return ids


def release_commit(fixture: Fixture) -> str:
    """The commit of the fixture's last release: where extra trees start."""
    return (
        run_git(["rev-parse", f"{fixture.tags[-1]}^{{commit}}"], cwd=fixture.main).decode().strip()
    )


def new_tree(fixture: Fixture, ident: str, commits: list[Commit]) -> None:
    """A subsystem tree `ident`: a bare copy of main sharing its objects, with `commits`."""
    path = fixture.dest / "trees" / f"{ident}.git"
    run_git(["clone", "-q", "--bare", "--shared", str(fixture.main), str(path)])
    import_commits(path, commits)


def configure_trees(
    fixture: Fixture, ids: Sequence[str], *, area: str, schedule: str | None = None
) -> None:
    """Add a [subsystem] block to the fixture's maintainers.cfg for each tree of `ids`,
    owning `area` (with `{}` standing for the tree's id)."""
    due = f"schedule = {schedule}\n" if schedule else ""
    blocks = [
        f'\n[subsystem "{ident}"]\ntitle = {ident.upper()}\n'
        f"maintainers = M <{ident}@example.org>\ntree = trees/{ident}.git\n"
        f"branch = for-main\n{due}files = {area.format(ident)}\n"
        for ident in ids
    ]
    with fixture.config.open("a", encoding="utf-8") as config:
        config.write("".join(blocks))


def publish(args: argparse.Namespace, name: str, report: str) -> None:
    """Print the report and, with --write FILE, put it in FILE's `name` section."""
    print(report)
    if args.write:
        update_section(args.write, name, report)


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
