"""When a subsystem's pull request is due: daily, weekly, monthly, manual, or cron.

A pull is due when a scheduled moment has passed since the subsystem's last pull:
the start of a day, of an ISO week (Monday), of a month, or a minute a 5-field cron
expression names (minute hour day-of-month month day-of-week, as crontab reads them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

SCHEDULES = ("daily", "weekly", "monthly", "manual")
# How far back a cron expression is searched for its latest moment.
SEARCH_DAYS = 366
RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
FIELD_NAMES = ("minute", "hour", "day of month", "month", "day of week")
NAMES = {
    3: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
    4: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
}


class ScheduleError(ValueError):
    """A schedule that cannot be read."""


def last_moment(schedule: str, now: dt.datetime) -> dt.datetime | None:
    """The latest scheduled moment at or before `now` (None for `manual`)."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if schedule == "manual":
        return None
    if schedule == "daily":
        return day
    if schedule == "weekly":
        return day - dt.timedelta(days=day.weekday())
    if schedule == "monthly":
        return day.replace(day=1)
    return _cron_last(schedule, now)


def is_due(schedule: str, last_pull: dt.datetime | None, now: dt.datetime) -> bool:
    """A scheduled moment has passed since `last_pull` (any moment, if there was none)."""
    moment = last_moment(schedule, now)
    if moment is None:
        return False
    return last_pull is None or last_pull < moment


def _cron_last(expression: str, now: dt.datetime) -> dt.datetime | None:
    fields = expression.split()
    if len(fields) != 5:
        raise ScheduleError(f"{expression!r}: a cron expression has 5 fields")
    minute, hour, dom, month, dow = (_field(f, i) for i, f in enumerate(fields))
    # crontab: when both day fields are restricted, either may match.
    either = fields[2] != "*" and fields[4] != "*"
    start = now.replace(second=0, microsecond=0)
    for back in range(SEARCH_DAYS + 1):
        day = (start - dt.timedelta(days=back)).date()
        weekday = (day.weekday() + 1) % 7  # crontab counts from Sunday = 0 (and 7)
        day_ok = (dom(day.day) or dow(weekday)) if either else (dom(day.day) and dow(weekday))
        if not (month(day.month) and day_ok):
            continue
        last_hour = start.hour if back == 0 else 23
        for h in range(last_hour, -1, -1):
            if not hour(h):
                continue
            last_minute = start.minute if back == 0 and h == start.hour else 59
            for m in range(last_minute, -1, -1):
                if minute(m):
                    return dt.datetime.combine(day, dt.time(h, m), tzinfo=now.tzinfo)
    return None


def check_schedule(schedule: str) -> None:
    """Raises ScheduleError unless `schedule` is a schedule name or a cron expression
    every field of which is within its range (with steps of 1 or more)."""
    if schedule in SCHEDULES:
        return
    fields = schedule.split()
    if len(fields) != 5:
        raise ScheduleError(f"expected {', '.join(SCHEDULES)} or a cron expression (5 fields)")
    for index, text in enumerate(fields):
        _field(text, index)


def _field(text: str, index: int) -> Callable[[int], bool]:
    """The values a cron field allows; ScheduleError names the field and the mistake."""
    try:
        allowed = _values(text, index)
    except ScheduleError as exc:
        raise ScheduleError(f"{FIELD_NAMES[index]} field {text!r}: {exc}") from None
    return allowed.__contains__


def _values(text: str, index: int) -> set[int]:
    low, high = RANGES[index]
    allowed: set[int] = set()
    for part in text.lower().split(","):
        body, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if not (step_text.isascii() and step_text.isdigit()) or int(step_text) < 1:
                raise ScheduleError(f"a step (after '/') is a number from 1, not {step_text!r}")
            step = int(step_text)
        if body == "*":
            first, last = low, high
        else:
            first_text, dash, last_text = body.partition("-")
            first = _value(first_text, index)
            last = _value(last_text, index) if dash else (high if slash else first)
        for value in (first, last):
            if not low <= value <= high:
                raise ScheduleError(f"{value} is out of range {low}-{high}")
        if first > last:
            raise ScheduleError(f"the range {first}-{last} runs backwards")
        allowed.update(range(first, last + 1, step))
    if index == 4 and 7 in allowed:
        allowed.add(0)
    return allowed


def _value(text: str, index: int) -> int:
    if text.isascii() and text.isdigit():
        return int(text)
    names = NAMES.get(index, [])
    if text in names:
        return names.index(text) + (1 if index == 3 else 0)
    what = "a number or a name" if names else "a number"
    raise ScheduleError(f"expected {what}, not {text!r}")
