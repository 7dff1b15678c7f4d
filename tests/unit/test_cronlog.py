"""The cron log kept to a bounded size (store/cronlog.py): rotated past its limit, and
its latest lines read across the log and the one before it."""

from __future__ import annotations

from pathlib import Path

from treemerge.store.cronlog import previous, rotate, tail


def write(path: Path, *lines: str) -> None:
    path.write_text("".join(f"{line}\n" for line in lines))


def test_a_log_under_its_limit_stays_and_one_past_it_becomes_the_previous(
    tmp_path: Path,
) -> None:
    log = tmp_path / "cron.log"
    assert rotate(log, 10) is None  # no log yet: nothing to do
    write(log, "one")
    assert rotate(log, 10) is None
    assert log.read_text() == "one\n"
    write(log, "one", "two", "three")
    write(previous(log), "older")
    assert rotate(log, 10) is None
    assert not log.exists()
    assert previous(log).read_text() == "one\ntwo\nthree\n"  # the older one is dropped


def test_the_tail_reads_across_the_log_and_the_one_before_it(tmp_path: Path) -> None:
    log = tmp_path / "cron.log"
    write(previous(log), "aaaa", "bbbb", "cccc")
    write(log, "dddd", "eeee")
    assert tail(log, 1000) == ["aaaa", "bbbb", "cccc", "dddd", "eeee"]
    # 10 bytes from the log, 3 more from the end of the one before: "cc\n" is a line
    # cut by where the reading starts, so it is left out.
    assert tail(log, 13) == ["dddd", "eeee"]
    assert tail(log, 16) == ["cccc", "dddd", "eeee"]
    assert tail(log, 7) == ["eeee"]  # cut within the log itself
    previous(log).unlink()
    assert tail(log, 1000) == ["dddd", "eeee"]
    log.unlink()
    assert tail(log, 1000) == []


def test_a_log_that_cannot_be_moved_aside_is_left_to_grow_and_says_why(tmp_path: Path) -> None:
    log = tmp_path / "cron.log"
    write(log, "one", "two", "three")
    (previous(log) / "in the way").mkdir(parents=True)  # a directory where the old log goes
    said = rotate(log, 10)
    assert said is not None
    assert said.startswith(f"cannot start a new cron.log ({previous(log)}: ")
    assert log.read_text() == "one\ntwo\nthree\n"  # nothing lost
    assert tail(log, 1000) == ["one", "two", "three"]  # and what is there is read
