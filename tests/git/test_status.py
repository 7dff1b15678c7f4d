"""`status` on a real project: the trees that need attention first, each with why, the
rest summed up in one line; `--all` lists every tree; `--json` is the whole list."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.git.project import Project
from tests.helpers import git
from treemerge.app.cron import CronReport, Logger, Step
from treemerge.store.cronlog import LOG_FILE
from treemerge.store.records import Records

MORE = """
[subsystem "usb"]
title = USB
files = drivers/
tree = trees/usb.git
branch = for-main

[subsystem "docs"]
title = DOCUMENTATION
tree = trees/docs.git
branch = for-main
schedule = daily

[subsystem "sound"]
title = SOUND
files = sound/
tree = trees/sound.git
branch = for-main

[subsystem "fs"]
title = FILE SYSTEMS
files = fs/
tree = trees/fs.git
branch = for-main
"""
# --json's keys, as SPEC.md names them.
KEYS = {"tree", "upstream", "head", "ahead", "behind", "oldest_pending", "oldest_pending_days",
        "backmerges", "violations", "last_pull_request", "error", "stale", "stale_why"}  # fmt: skip
NEEDS = ["net", "wireless", "usb", "docs", "sound", "fs"]  # in maintainers.cfg's order
FINE = ["main", "drivers"]


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    """Every reason a tree needs attention, one tree each, and two trees that need none.

    net has a foreign path; wireless was never created; usb conflicts with drivers, so
    `next` leaves it out; docs (daily) has work from 2023 that no pull covers; cron
    refused sound's last pull; fs's last pull failed to send. drivers has pending work
    on no schedule, main is main. (The tests' commits are all dated 2023.)
    """
    proj = Project(tmp_path, capsys)
    with (proj.root / "maintainers.cfg").open("a") as config:
        config.write(MORE)
    proj.with_trees("net", "drivers", "usb", "docs", "sound", "fs")
    proj.commit("net", {"drivers/char.c": "net's\n"}, "net: touch a driver")
    proj.commit("drivers", {"drivers/block.c": "drivers'\n"}, "drivers: block")
    proj.commit("usb", {"drivers/block.c": "usb's\n"}, "usb: block")
    proj.commit("docs", {"Documentation/net.txt": "more\n"}, "docs: more")
    assert proj.run("sync").code == 3  # wireless cannot be fetched
    assert proj.run("next").code == 1  # usb (and wireless) left out
    workspace = proj.root / ".treemerge"
    log = Logger(workspace / LOG_FILE, CronReport("2026-01-01T00:00:00+00:00"))
    log(Step("pull", "sound", "refused", "sound-for-main-2026-01-01: empty", notable=True))
    records = Records(workspace / "records.db")
    head = git(proj.root / "trees" / "fs.git", "rev-parse", "for-main").strip()
    tag, message_id = "fs-for-main-2026-01-01", "<fs@example.org>"
    record = records.prepare(
        subsystem="fs", upstream="main", base=head, head=head, tag=tag, message_id=message_id
    )
    records.update(record.id, "failed", error="SMTP refused")
    records.close()
    return proj


def listed(out: str) -> list[str]:
    """The trees of status's table, in order (the first word of each row)."""
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["tree", "upstream"]
    return [line.split()[0] for line in lines[1:] if line.strip() and not line[0].isspace()]


def test_the_trees_that_need_attention_come_first_the_rest_in_one_line(project: Project) -> None:
    result = project.run("status")
    assert result.code == 0, result.err

    *table, summary = result.out.rstrip("\n").splitlines()
    assert listed("\n".join(table)) == NEEDS
    said = {line.split()[0]: " ".join(line.split()) for line in table[1:]}
    assert said["net"].endswith("1 ownership violation(s) pending")
    assert said["wireless"].endswith("not synced yet")
    assert said["usb"].endswith("left out of next")
    assert "pending work" in said["docs"]
    assert "no pull request for it (daily)" in said["docs"]
    assert said["sound"].endswith("last pull refused: sound-for-main-2026-01-01: empty")
    assert said["fs"].endswith("last pull request fs-for-main-2026-01-01 failed to send")
    assert summary == (
        "2 trees need no attention: 1 up to date, 1 with pending work; "
        "`treemerge status --all` lists every tree"
    )


def test_all_quiet_and_named_trees(project: Project) -> None:
    every = project.run("status", "--all")
    assert every.code == 0, every.err
    assert listed(every.out) == NEEDS + FINE  # those that need attention first
    assert "--all" not in every.out  # no summary: every tree is there
    assert listed(project.run("status", "-q").out) == NEEDS  # and nothing else
    # Trees named are listed whatever their state.
    assert listed(project.run("status", "drivers", "usb").out) == ["usb", "drivers"]


def test_json_is_still_every_tree_in_order_with_the_same_keys(project: Project) -> None:
    document = project.json("status")

    assert [row["tree"] for row in document["trees"]] == [
        "main", "net", "drivers", "wireless", "usb", "docs", "sound", "fs",
    ]  # fmt: skip
    assert all(set(row) == KEYS for row in document["trees"])


def test_an_unreadable_next_json_is_a_warning_and_every_tree_is_still_judged(
    project: Project,
) -> None:
    state = project.root / ".treemerge" / "next.json"
    state.write_text('{"left_out": ["usb"]')  # cut short: damaged, or edited by hand

    result = project.run("status", "-q")
    assert result.code == 0, result.err
    assert f"warning: {state}: unreadable" in " ".join(result.err.split())
    # Without what next remembered, usb is no longer known to be left out; the rest stand.
    assert listed(result.out) == [tree for tree in NEEDS if tree != "usb"]
    document = project.json("status")
    assert [row["tree"] for row in document["trees"]][:3] == ["main", "net", "drivers"]
    assert state.read_text() == '{"left_out": ["usb"]'  # nothing moved or rewritten


def test_a_refusal_in_the_log_before_the_current_one_is_still_seen(project: Project) -> None:
    workspace = project.root / ".treemerge"
    (workspace / LOG_FILE).rename(workspace / f"{LOG_FILE}.1")  # as a run past the limit does
    log = Logger(workspace / LOG_FILE, CronReport("2026-01-02T00:00:00+00:00"))
    log(Step("pull", "docs", "skipped", "not due (daily)"))

    said = {
        line.split()[0]: " ".join(line.split()) for line in project.run("status").out.splitlines()
    }
    assert said["sound"].endswith("last pull refused: sound-for-main-2026-01-01: empty")


def test_a_refusal_that_quotes_a_skipped_step_is_still_seen(project: Project) -> None:
    workspace = project.root / ".treemerge"
    log = Logger(workspace / LOG_FILE, CronReport("2026-01-02T00:00:00+00:00"))
    log(Step("pull", "sound", "skipped", "not due (daily)"))  # skipped: not an attempt
    log(Step("pull", "sound", "refused", 'lint: "status": "skipped" in the summary'))
    said = {
        line.split()[0]: " ".join(line.split()) for line in project.run("status").out.splitlines()
    }
    assert said["sound"].endswith('last pull refused: lint: "status": "skipped" in the summary')
