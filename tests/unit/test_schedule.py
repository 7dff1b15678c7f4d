"""Schedules: when a pull request is due (no clock: `now` is given)."""

from __future__ import annotations

import datetime as dt

import pytest

from treemerge.core.schedule import ScheduleError, check_schedule, is_due, last_moment

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 22, 10, 30, tzinfo=UTC)  # a Sunday


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("schedule", "moment"),
    [
        ("daily", "2026-11-22T00:00"),
        ("weekly", "2026-11-16T00:00"),
        ("monthly", "2026-11-01T00:00"),
        ("0 6 * * 1-5", "2026-11-20T06:00"),  # weekdays at 06:00: Friday
        ("*/15 * * * *", "2026-11-22T10:30"),
        ("45 9 * * *", "2026-11-22T09:45"),
        ("0 12 * * *", "2026-11-21T12:00"),
        ("0 0 1 * *", "2026-11-01T00:00"),
        ("30 10 * * sun", "2026-11-22T10:30"),
        ("0 8 * * 7", "2026-11-22T08:00"),
        ("0 9 13 * fri", "2026-11-20T09:00"),  # both day fields: either matches
        ("0 0 29 feb *", "2024-02-29T00:00"),
    ],
)
def test_last_moment(schedule: str, moment: str) -> None:
    if schedule == "0 0 29 feb *":
        assert last_moment(schedule, NOW) is None  # beyond a year back
        return
    assert last_moment(schedule, NOW) == at(moment)


def test_manual_is_never_due() -> None:
    assert last_moment("manual", NOW) is None
    assert not is_due("manual", None, NOW)


@pytest.mark.parametrize(
    ("schedule", "last", "due"),
    [
        ("daily", None, True),
        ("daily", "2026-11-21T23:59", True),
        ("daily", "2026-11-22T00:01", False),
        ("weekly", "2026-11-17T09:00", False),
        ("weekly", "2026-11-15T09:00", True),
        ("0 6 * * 1-5", "2026-11-20T06:30", False),
        ("0 6 * * 1-5", "2026-11-19T07:00", True),
    ],
)
def test_is_due(schedule: str, last: str | None, due: bool) -> None:
    assert is_due(schedule, at(last) if last else None, NOW) is due


@pytest.mark.parametrize("bad", ["0 6 * *", "61 * * * *", "0 6 * * funday", "*/x * * * *"])
def test_bad_expressions(bad: str) -> None:
    with pytest.raises(ScheduleError):
        last_moment(bad, NOW)


@pytest.mark.parametrize(
    "good",
    ["daily", "weekly", "monthly", "manual", "* * * * *", "*/5 1-3,7 1,15 jan-mar sun-sat"],
)
def test_check_schedule_accepts(good: str) -> None:
    check_schedule(good)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("hourly", "expected daily, weekly, monthly, manual or a cron expression (5 fields)"),
        ("0 6 * *", "or a cron expression (5 fields)"),
        ("*/0 * * * *", "minute field '*/0': a step (after '/') is a number from 1, not '0'"),
        ("*/x * * * *", "minute field '*/x': a step (after '/') is a number from 1, not 'x'"),
        ("99 99 99 99 99", "minute field '99': 99 is out of range 0-59"),
        ("0 25 * * *", "hour field '25': 25 is out of range 0-23"),
        ("0 0 32 * *", "day of month field '32': 32 is out of range 1-31"),
        ("0 0 * 0 *", "month field '0': 0 is out of range 1-12"),
        ("0 0 * * 8", "day of week field '8': 8 is out of range 0-7"),
        ("10-5 * * * *", "minute field '10-5': the range 10-5 runs backwards"),
        ("0-99/5 * * * *", "minute field '0-99/5': 99 is out of range 0-59"),
        ("1,,2 * * * *", "minute field '1,,2': expected a number, not ''"),
        ("0 0 * * funday", "day of week field 'funday': expected a number or a name"),
        ("0 0 * * ２", "day of week field '２': expected a number or a name, not '２'"),
    ],
)
def test_check_schedule_names_the_field(bad: str, message: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        check_schedule(bad)
    assert message in str(caught.value)


def test_a_zero_step_is_a_schedule_error_not_a_crash() -> None:
    with pytest.raises(ScheduleError):
        last_moment("*/0 * * * *", NOW)
