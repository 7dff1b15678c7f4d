"""`treemerge cron` on the generated project: one idempotent cycle, the lock, quiet
output, and crash safety (SIGKILL at many points, then a run to the end), with real
SMTP on 127.0.0.1 and a forge's REST API served locally."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest

from tests.e2e.forge_server import TOKEN, FakeForge
from tests.e2e.smtp_server import Server, free_port, smtp_on
from tests.helpers import run_cli, serving_git
from treemerge.sandbox.fixture import Fixture, build_fixture
from treemerge.store.cronlog import LOG_FILE, LOG_LIMIT

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ("libvirt", "vmware", "ironic")


def make_fixture(tmp_path: Path, delivery: str = "method = none\n") -> Fixture:
    config = (ROOT / "maintainers.cfg").read_text(encoding="utf-8")
    fixture = build_fixture(
        tmp_path / "nova", config, commits=40, files=150, releases=2, scenarios=SCENARIOS
    )
    text = fixture.config.read_text(encoding="utf-8")
    # The fixture's dates are fixed and the clock is not: its trees would go stale.
    text = text.replace("test-command = python -P -m compileall -q nova\n", "stale-after = 0\n")
    text = text.replace("[delivery]\nmethod = none\n", f"[delivery]\n{delivery}")
    fixture.config.write_text(text, encoding="utf-8")
    return fixture


def cron(
    fixture: Fixture, *args: str, failpoint: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`treemerge cron` as cron runs it: a process of its own."""
    env = dict(os.environ)
    env.pop("TREEMERGE_FAILPOINT", None)
    if failpoint:
        env["TREEMERGE_FAILPOINT"] = failpoint
    return subprocess.run(
        [sys.executable, "-m", "treemerge", "cron", *args],
        cwd=fixture.dest,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def pulls(fixture: Fixture, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    result = run_cli(capsys, "-C", str(fixture.dest), "prs", "--json")
    found: list[dict[str, object]] = json.loads(result.out)["pulls"]
    return found


def test_a_cycle_then_an_identical_quiet_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fixture = make_fixture(tmp_path)
    first = cron(fixture, "--quiet")
    assert first.returncode == 0, first.stderr
    assert first.stdout.count(": sent") == 3
    assert "vmware: sent" in first.stdout
    assert "1 foreign path(s)" in first.stdout
    assert sorted((p["subsystem"], p["state"]) for p in pulls(fixture, capsys)) == [
        ("ironic", "sent"),
        ("libvirt", "sent"),
        ("vmware", "sent"),
    ]
    second = cron(fixture, "--quiet")
    assert (second.returncode, second.stdout, second.stderr) == (0, "", "")
    assert len(pulls(fixture, capsys)) == 3
    log = [json.loads(line) for line in (fixture.dest / ".treemerge" / "cron.log").open()]
    # (no gc: a workspace this small never needs packing by git's rule)
    assert {entry["step"] for entry in log} == {"sync", "pull", "next", "status"}
    assert all({"time", "run", "step", "tree", "status", "detail"} <= set(e) for e in log)
    assert (fixture.dest / ".treemerge" / "next.html").is_file()


def test_a_second_run_waits_for_none_and_a_killed_run_blocks_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fixture = make_fixture(tmp_path)
    lock = fixture.dest / ".treemerge" / "cron.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        busy = cron(fixture)
    assert busy.returncode == 0
    assert "another treemerge cron is running" in busy.stderr
    assert not (fixture.dest / ".treemerge" / "cron.log").exists()
    killed = cron(fixture, failpoint="after-sync")
    assert killed.returncode == -signal.SIGKILL
    finished = cron(fixture)
    assert finished.returncode == 0, finished.stderr
    assert len(pulls(fixture, capsys)) == 3


@pytest.mark.slow  # a cron run killed at each of seven points
@pytest.mark.parametrize(
    "point",
    [
        "after-sync",
        "before-tag-push",
        "before-deliver",
        "after-deliver",
        "record-sent",
        "record-sending@2",
    ],
)
def test_killed_anywhere_then_run_to_the_end(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    serve: Callable[..., Server],
    point: str,
) -> None:
    server = serve()
    fixture = make_fixture(
        tmp_path,
        f"method = email\nsmtp-server = 127.0.0.1\nsmtp-port = "
        f"{server.port}\nfrom = Bot <bot@example.org>\n",
    )
    killed = cron(fixture, failpoint=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    finished = cron(fixture)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    records = pulls(fixture, capsys)
    assert sorted(str(p["subsystem"]) for p in records) == sorted(SCENARIOS)
    assert {p["state"] for p in records} == {"sent"}
    mails = [message_from_bytes(r.content, policy=default_policy) for r in server.handler.received]
    ids = {str(m["Message-ID"]) for m in mails}
    # Every pull arrived, each under exactly one Message-Id (a resend reuses it).
    assert ids == {str(p["message_id"]) for p in records}
    assert len(ids) == len(SCENARIOS)
    for name in os.listdir(fixture.dest / ".treemerge"):
        assert not name.endswith(".tmp")
    assert cron(fixture, "--quiet").stdout == ""


@pytest.mark.slow  # whole cron cycles over real servers
def test_smtp_down_and_an_unreachable_tree_leave_the_others_done(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    fixture = make_fixture(
        tmp_path,
        f"method = email\nsmtp-server = 127.0.0.1\n"
        f"smtp-port = {port}\nfrom = Bot <bot@example.org>\n",
    )
    (fixture.dest / "trees" / "ironic.git").rename(fixture.dest / "trees" / "ironic.away")
    down = cron(fixture, "--quiet")
    assert down.returncode == 3
    assert "sync ironic: failed" in down.stdout
    assert down.stdout.count(": failed") == 3  # ironic's sync, libvirt's and vmware's sends
    states = {p["subsystem"]: p["state"] for p in pulls(fixture, capsys)}
    assert states == {"libvirt": "failed", "vmware": "failed"}
    again = cron(fixture, "--quiet")
    assert (again.returncode, again.stdout) == (3, "")  # the same news is not repeated
    with smtp_on(port) as handler:
        (fixture.dest / "trees" / "ironic.away").rename(fixture.dest / "trees" / "ironic.git")
        up = cron(fixture, "--quiet")
    assert up.returncode == 0, up.stdout + up.stderr
    assert len(handler.received) == 3
    assert {p["state"] for p in pulls(fixture, capsys)} == {"sent"}


@pytest.mark.slow  # whole cron cycles over real servers
def test_forge_errors_are_retried_on_the_next_run(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    forge_server: FakeForge,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TREEMERGE_TOKEN", TOKEN)
    fixture = make_fixture(
        tmp_path,
        f"method = github\napi-url = {forge_server.github_url}\nrepo = nova/nova\nattempts = 1\n",
    )
    # Each team's branch lives in its own fork on the forge.
    text = fixture.config.read_text()
    for tree in SCENARIOS:
        header = f'[subsystem "{tree}"]\n'
        text = text.replace(header, f"{header}forge-fork = {tree}-team\n")
    fixture.config.write_text(text)
    forge_server.fail(502, times=1000, method="POST")
    failing = cron(fixture)
    assert failing.returncode == 3
    assert TOKEN not in failing.stdout + failing.stderr
    assert {p["state"] for p in pulls(fixture, capsys)} == {"failed"}
    with forge_server._lock:  # the outage is over
        forge_server._failures.clear()
    healed = cron(fixture)
    assert healed.returncode == 0, healed.stdout + healed.stderr
    assert len(forge_server.pulls("github")) == 3
    assert {p["state"] for p in pulls(fixture, capsys)} == {"sent"}


def test_a_corrupt_records_file_is_named_and_never_reset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fixture = make_fixture(tmp_path)
    records = fixture.dest / ".treemerge" / "records.db"
    records.parent.mkdir(parents=True, exist_ok=True)
    records.write_bytes(b"this is not a database\n" * 100)
    result = cron(fixture)
    assert result.returncode == 2
    assert f"{records}: not a treemerge records file" in result.stderr
    assert "Traceback" not in result.stderr
    assert records.read_bytes() == b"this is not a database\n" * 100
    prs = run_cli(capsys, "-C", str(fixture.dest), "prs")
    assert prs.code == 2
    assert str(records) in prs.err


def test_the_crontab_wrapper_logs_and_passes_the_exit_code_through(tmp_path: Path) -> None:
    fixture = make_fixture(tmp_path)
    (fixture.dest / "trees" / "vmware.git").rename(fixture.dest / "trees" / "vmware.away")
    wrapper = ROOT / "scripts" / "treemerge-cron"
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ["HOME"]}  # as bare as cron's
    done = subprocess.run(
        [str(wrapper), str(fixture.dest)], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 3, done.stderr
    assert "sync vmware: failed" in done.stdout
    log = (fixture.dest / ".treemerge" / "cron-output.log").read_text()
    assert "sync vmware: failed" in log
    assert log.rstrip().endswith("== exit 3")
    missing = subprocess.run(
        [str(wrapper), str(tmp_path / "nowhere")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert missing.returncode == 2
    assert missing.stderr == f"treemerge-cron: no such directory: {tmp_path / 'nowhere'}\n"


@pytest.mark.slow  # whole cron cycles over real servers
def test_a_cycle_over_git_daemon(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every tree reached over git:// (tags pushed the same way), as on a real server."""
    fixture = make_fixture(tmp_path)
    with serving_git(fixture.dest, push=True) as url:
        text = fixture.config.read_text()
        text = text.replace("url = main.git", f"url = {url}/main.git")
        text = text.replace("tree = trees/", f"tree = {url}/trees/")
        fixture.config.write_text(text)
        done = cron(fixture, "--quiet")
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.count(": sent") == 3
        again = cron(fixture, "--quiet")
    assert (again.returncode, again.stdout) == (0, "")
    tags = subprocess.run(
        ["git", "tag", "-l", "vmware-for-main-*"],
        cwd=fixture.trees["vmware"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert len(tags) == 1


def test_a_log_past_its_limit_is_kept_as_the_one_before_and_a_new_one_started(
    tmp_path: Path,
) -> None:
    fixture = make_fixture(tmp_path)
    assert cron(fixture, "--quiet").returncode == 0
    log = fixture.dest / ".treemerge" / LOG_FILE
    first_run = log.read_text()
    os.truncate(log, LOG_LIMIT)  # (a sparse file: grown to the limit, nothing written)

    again = cron(fixture, "--quiet")
    assert (again.returncode, again.stdout) == (0, "")  # nothing new to say for it
    kept = fixture.dest / ".treemerge" / f"{LOG_FILE}.1"
    assert kept.stat().st_size == LOG_LIMIT
    assert kept.read_bytes().startswith(first_run.encode())
    runs = {json.loads(line)["run"] for line in log.open()}
    assert len(runs) == 1  # only this run's lines in the new log
    assert os.path.getsize(log) < 1024 * 1024


def test_a_log_that_cannot_be_moved_aside_is_said_and_the_cycle_goes_on(
    tmp_path: Path,
) -> None:
    fixture = make_fixture(tmp_path)
    log = fixture.dest / ".treemerge" / LOG_FILE
    (fixture.dest / ".treemerge" / f"{LOG_FILE}.1" / "in the way").mkdir(parents=True)
    assert cron(fixture).returncode == 0
    os.truncate(log, LOG_LIMIT)

    again = cron(fixture, "--quiet")
    assert again.returncode == 3  # a step failed: the log's
    assert "log: failed  cannot start a new cron.log" in " ".join(again.stdout.split("\n"))
    lines = log.read_text().replace("\0", "").splitlines()  # (the zeros it was grown by)
    steps = [json.loads(line) for line in lines if line]
    assert [s["step"] for s in steps if s["status"] == "failed"] == ["log"]
    assert {s["step"] for s in steps} >= {"sync", "pull", "next", "status"}  # all went on
