"""The integration's test command: run in a bubblewrap sandbox (its checkout only, no
network), on a checkout that holds exactly the merged tree, and killed at its timeout.

Real repositories, real bwrap: `scripts/test` installs bubblewrap where it is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.git.project import Project
from treemerge.app.sandbox_run import SandboxUnavailable
from treemerge.app.testrun import run_test
from treemerge.core.config import parse_config
from treemerge.core.errors import ConfigError
from treemerge.gitio.checkout import CheckoutError, check_out

ROOT = Path(__file__).resolve().parents[2]
MARKER = "IMPORTED-FROM-THE-CHECKOUT"
SECRET = "-----BEGIN OPENSSH PRIVATE KEY----- not really"

Entries = Mapping[str, tuple[str, bytes]]


def plumb(repo: Path, *args: str, data: bytes = b"") -> str:
    """git plumbing in `repo` with `data` on its standard input; its output."""
    done = subprocess.run(["git", *args], cwd=repo, input=data, capture_output=True, check=True)
    return done.stdout.decode().strip()


def tree_of(repo: Path, entries: Entries) -> str:
    """A tree holding `entries` ({path: (mode, content)}; a gitlink's content is the
    commit id), written with mktree whatever attributes the tree carries."""
    lines: list[str] = []
    below: dict[str, dict[str, tuple[str, bytes]]] = {}
    for path, (mode, content) in entries.items():
        name, _, rest = path.partition("/")
        if rest:
            below.setdefault(name, {})[rest] = (mode, content)
        elif mode == "160000":
            lines.append(f"160000 commit {content.decode()}\t{name}")
        else:
            blob = plumb(repo, "hash-object", "-w", "--stdin", data=content)
            lines.append(f"{mode} blob {blob}\t{name}")
    lines += [f"040000 tree {tree_of(repo, sub)}\t{name}" for name, sub in below.items()]
    return mktree(repo, lines)


def mktree(repo: Path, lines: list[str]) -> str:
    return plumb(repo, "mktree", "--missing", data="".join(f"{line}\n" for line in lines).encode())


def commit_of(repo: Path, tree: str) -> str:
    return plumb(repo, "commit-tree", tree, "-m", "the merged step")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository where treemerge keeps the trees (as .treemerge/repo.git is)."""
    path = tmp_path / ".treemerge" / "repo.git"
    subprocess.run(["git", "init", "-q", "--bare", str(path)], check=True)
    (tmp_path / ".treemerge" / "secret").write_text(SECRET)
    return path


def step(repo: Path, entries: Entries) -> str:
    return commit_of(repo, tree_of(repo, entries))


NOVA = {"nova/__init__.py": ("100644", b""), "nova/api.py": ("100644", b"x = 1\n")}


def planted(marker: Path) -> bytes:
    """A module that shadows the standard library's when Python looks in the working
    directory: it says so, and leaves `marker` where it can."""
    return f"""\
import pathlib, sys
print("{MARKER}")
try:
    pathlib.Path("{marker}").write_text("x")
except OSError:
    pass
sys.exit(3)
""".encode()


def shipped_command() -> str:
    config = parse_config((ROOT / "maintainers.cfg").read_text(encoding="utf-8"))
    assert config.integration.sandbox == "bubblewrap"
    command = config.integration.test_command
    assert command is not None
    return command


def test_the_shipped_command_never_imports_from_the_checkout(repo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "planted-ran"
    commit = step(repo, {**NOVA, "compileall.py": ("100644", planted(marker))})
    command = shipped_command()
    assert command == "python -P -m compileall -q nova"
    run = run_test(repo, commit, command)
    assert (run.status, MARKER in run.output) == ("passed", False), run.output
    # Without -P the checkout comes first on sys.path: the planted module runs (in the
    # sandbox, where all it can touch is the checkout).
    unsafe = run_test(repo, commit, command.replace(" -P", ""))
    assert (unsafe.status, MARKER in unsafe.output) == ("failed", True), unsafe.output
    assert not marker.exists()


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A socket listening on 127.0.0.1 that nobody should reach."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        sock.setblocking(False)
        yield sock


def reaching_out(repo: Path, tmp_path: Path, port: int) -> dict[str, str]:
    """Commands that each reach for something of the user's outside the checkout."""
    home = Path.home()
    connect = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=5)"
    return {
        "write-tmp": f"echo pwned > {tmp_path}/written",
        "write-home": f"echo pwned > {home}/written",
        "read-ssh-key": f"cat {home}/.ssh/id_rsa",
        "read-workspace": f"cat {repo.parent}/secret; ls {repo}",
        "network": f'python -P -c "{connect}"',
    }


@pytest.mark.parametrize(
    "reach", ["write-tmp", "write-home", "read-ssh-key", "read-workspace", "network"]
)
def test_the_command_reaches_nothing_of_the_users(
    repo: Path, tmp_path: Path, listener: socket.socket, reach: str
) -> None:
    (Path.home() / ".ssh").mkdir()
    (Path.home() / ".ssh" / "id_rsa").write_text(SECRET)
    commit = step(repo, NOVA)
    command = reaching_out(repo, tmp_path, listener.getsockname()[1])[reach]
    run = run_test(repo, commit, command)
    assert run.status == "failed", run.output
    assert SECRET not in run.output
    assert not (tmp_path / "written").exists()
    assert not (Path.home() / "written").exists()
    with pytest.raises(BlockingIOError):
        listener.accept()  # nobody connected
    # What it may do: read and write its checkout, and its own /tmp.
    inside = run_test(repo, commit, "echo built > out && cat out nova/api.py && touch /tmp/t")
    assert (inside.status, inside.output) == ("passed", "built\nx = 1")


def test_sandbox_none_runs_unsandboxed_only_when_said(repo: Path, tmp_path: Path) -> None:
    commit = step(repo, NOVA)
    command = f"echo pwned > {tmp_path}/written"
    assert run_test(repo, commit, command).status == "failed"
    assert not (tmp_path / "written").exists()
    said = run_test(repo, commit, command, sandbox="none")
    assert said.status == "passed", said.output
    assert (tmp_path / "written").read_text() == "pwned\n"


CONFIG = "[main]\nurl = main\n\n[integration]\ntest-command = true\n"


@pytest.mark.parametrize(
    ("line", "sandbox"),
    [("", "bubblewrap"), ("sandbox = bubblewrap\n", "bubblewrap"), ("sandbox = none\n", "none")],
)
def test_the_sandbox_setting(line: str, sandbox: str) -> None:
    assert parse_config(CONFIG + line, "m.cfg").integration.sandbox == sandbox


@pytest.mark.parametrize("value", ["None", "off", "firejail", "bubblewrap none"])
def test_a_bad_sandbox_setting_names_file_line_and_key(value: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(CONFIG + f"sandbox = {value}\n", "m.cfg")
    assert str(error.value) == "m.cfg:6: sandbox: expected one of bubblewrap, none"
    assert error.value.exit_code == 2


def path_with_only_git(tmp_path: Path) -> str:
    """A PATH where git (and a shell) can be found, and no bwrap."""
    bin_dir = tmp_path / "bin-without-bwrap"
    bin_dir.mkdir()
    link_tools(bin_dir, "git", "sh")
    return str(bin_dir)


def link_tools(bin_dir: Path, *tools: str) -> None:
    for tool in tools:
        found = shutil.which(tool)
        assert found is not None, tool
        (bin_dir / tool).symlink_to(found)


def test_without_bwrap_the_command_is_refused_and_nothing_runs(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit = step(repo, NOVA)
    monkeypatch.setenv("PATH", path_with_only_git(tmp_path))
    with pytest.raises(SandboxUnavailable) as error:
        run_test(repo, commit, f"touch {tmp_path}/ran")
    message = str(error.value)
    assert "bwrap is not on PATH" in message
    assert "apt-get install bubblewrap" in message
    assert "sandbox = none" in message
    assert not (tmp_path / "ran").exists()


def test_a_bwrap_that_cannot_make_namespaces_is_refused(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit = step(repo, NOVA)
    bin_dir = Path(path_with_only_git(tmp_path))
    fake = bin_dir / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    link_tools(bin_dir, "prlimit")
    monkeypatch.setenv("PATH", str(bin_dir))
    with pytest.raises(SandboxUnavailable) as error:
        run_test(repo, commit, f"touch {tmp_path}/ran")
    assert "No permissions to create new namespace" in str(error.value)
    assert "sandbox = none" in str(error.value)
    assert not (tmp_path / "ran").exists()


# The checkout: exactly the tree.

ATTRIBUTES = b"""\
nova/broken.py export-ignore
stamp.txt export-subst
crlf.txt eol=crlf
"""
TREE: dict[str, tuple[str, bytes]] = {
    **NOVA,
    ".gitattributes": ("100644", ATTRIBUTES),
    "nova/broken.py": ("100644", b"def broken(:\n"),
    "stamp.txt": ("100644", b"$Format:%H$\n"),
    "crlf.txt": ("100644", b"one\ntwo\n"),
    "bin/run": ("100755", b"#!/bin/sh\necho ran\n"),
    "alias.py": ("120000", b"nova/api.py"),
    "outside": ("120000", b"/etc/hostname"),
    "up": ("120000", b"../../.."),
    "vendor/lib": ("160000", b"1" * 40),
}


def test_the_checkout_holds_exactly_the_tree(repo: Path, tmp_path: Path) -> None:
    commit = step(repo, TREE)
    dest = tmp_path / "checkout"
    check_out(repo, commit, dest)
    found = set()
    for top, dirs, files in os.walk(dest):  # (links to directories are listed, not walked)
        for name in [*files, *(d for d in dirs if os.path.islink(os.path.join(top, d)))]:
            found.add(Path(top, name).relative_to(dest).as_posix())
    assert found == set(TREE) - {"vendor/lib"}
    for path, (mode, content) in TREE.items():
        file = dest / path
        if mode == "120000":
            assert os.readlink(file) == content.decode()
        elif mode == "160000":
            assert file.is_dir()
            assert not any(file.iterdir())
        else:
            assert file.read_bytes() == content, path
            assert file.stat().st_mode & 0o777 == int(mode[-3:], 8), path


def test_attributes_do_not_change_what_the_command_sees(repo: Path) -> None:
    files = {path: entry for path, entry in TREE.items() if entry[0] in ("100644", "100755")}
    commit = step(repo, files)
    run = run_test(repo, commit, "python -P -m compileall -q nova")
    assert run.status == "failed"  # export-ignore does not hide the broken file
    assert "nova/broken.py" in run.output
    seen = run_test(repo, commit, "test -x bin/run && cat stamp.txt crlf.txt")
    assert (seen.status, seen.output) == ("passed", "$Format:%H$\none\ntwo"), seen.output
    # Links reach the command as links, pointing where they point (here: nowhere).
    links = run_test(repo, step(repo, TREE), "test -L alias.py && test -L outside && cat outside")
    assert links.status == "failed"
    assert links.output == "cat: outside: No such file or directory"


def test_a_symlink_out_of_the_tree_is_never_written_through(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    # `dir` is both a link out of the tree and a directory holding `x` (git's own
    # checkout refuses such a tree; mktree writes it).
    link = plumb(repo, "hash-object", "-w", "--stdin", data=str(outside).encode())
    blob = plumb(repo, "hash-object", "-w", "--stdin", data=b"written through\n")
    inner = mktree(repo, [f"100644 blob {blob}\tx"])
    commit = commit_of(
        repo, mktree(repo, [f"120000 blob {link}\tdir", f"040000 tree {inner}\tdir"])
    )
    with pytest.raises(CheckoutError, match="cannot write 'dir'"):
        check_out(repo, commit, tmp_path / "checkout")
    run = run_test(repo, commit, "true")
    assert run.status == "failed"
    assert "cannot check out" in run.output
    assert not any(outside.iterdir())


@pytest.mark.parametrize("name", ["..", "."])
def test_a_path_that_leaves_the_checkout_is_refused(repo: Path, tmp_path: Path, name: str) -> None:
    blob = plumb(repo, "hash-object", "-w", "--stdin", data=b"escaped\n")
    inner = mktree(repo, [f"100644 blob {blob}\tescaped"])
    commit = commit_of(repo, mktree(repo, [f"040000 tree {inner}\t{name}"]))
    (tmp_path / "deep").mkdir()
    with pytest.raises(CheckoutError, match="not a plain relative path"):
        check_out(repo, commit, tmp_path / "deep" / "checkout")
    assert not (tmp_path / "deep" / "escaped").exists()
    assert not (tmp_path / "escaped").exists()


# The timeout.


def processes_running(word: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if word in command:
            found.append(command)
    return found


@pytest.mark.parametrize("sandbox", ["bubblewrap", "none"])
def test_the_timeout_kills_the_command_and_all_it_started(repo: Path, sandbox: str) -> None:
    commit = step(repo, NOVA)
    seconds = f"{100 + time.monotonic_ns() % 1000}.{os.getpid()}"  # a word only these sleeps hold
    started = time.monotonic()
    run = run_test(repo, commit, f"sleep {seconds} & sleep {seconds}", timeout=1, sandbox=sandbox)
    assert time.monotonic() - started < 10
    assert run.status == "failed"
    assert run.output.endswith("timed out after 1 s")
    deadline = time.monotonic() + 5
    while processes_running(f"sleep {seconds}") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_running(f"sleep {seconds}") == []


# Through `treemerge next`.


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    proj = Project(tmp_path, capsys)
    assert proj.run("tree", "create", "net").code == 0
    proj.commit("net", {"net/core.c": "net work\n"}, "net: work")
    assert proj.run("sync", "net").code == 0
    return proj


def set_command(project: Project, command: str) -> None:
    config = project.root / "maintainers.cfg"
    config.write_text(config.read_text() + f"\n[integration]\ntest-command = {command}\n")


def test_next_runs_the_test_command_in_the_sandbox(project: Project, tmp_path: Path) -> None:
    set_command(project, f"ls {project.root}/.treemerge || touch {tmp_path}/ran")
    document: Any = project.json("next", "--no-fallback")
    net = {tree["subsystem"]: tree for tree in document["trees"]}["net"]
    assert (net["merged"], net["test"]["status"]) == (False, "failed")
    assert "No such file or directory" in net["test"]["output"]
    assert not (tmp_path / "ran").exists()


def test_next_without_bwrap_says_how_to_get_it_and_runs_nothing(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_command(project, f"touch {tmp_path}/ran")
    monkeypatch.setenv("PATH", path_with_only_git(tmp_path))
    result = project.run("next")
    assert result.code == 3
    assert "apt-get install bubblewrap" in result.err
    assert "sandbox = none" in result.err
    assert not (tmp_path / "ran").exists()


def test_next_runs_unsandboxed_only_when_the_config_says_so(
    project: Project, tmp_path: Path
) -> None:
    set_command(project, f"touch {tmp_path}/ran")
    sandboxed = {t["subsystem"]: t for t in project.json("next")["trees"]}["net"]
    assert sandboxed["test"]["status"] == "failed"  # the sandbox cannot write there
    assert not (tmp_path / "ran").exists()
    config = project.root / "maintainers.cfg"
    config.write_text(config.read_text() + "sandbox = none\n")
    net = {t["subsystem"]: t for t in project.json("next")["trees"]}["net"]
    assert net["test"]["status"] == "passed"
    assert (tmp_path / "ran").exists()
