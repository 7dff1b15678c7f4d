"""When a subsystem's pull request is due: daily, weekly, monthly, manual, or cron.

A pull is due when a scheduled moment has passed since the subsystem's last pull:
the start of a day, of an ISO week (Monday), of a month, or a minute a 5-field cron
expression names (minute hour day-of-month month day-of-week, as crontab reads them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

# How far back a cron expression is searched for its latest moment.
SEARCH_DAYS = 366
RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
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


def _field(text: str, index: int) -> Callable[[int], bool]:
    low, high = RANGES[index]
    allowed: set[int] = set()
    for part in text.lower().split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() else 1
        if step_text and not step_text.isdigit():
            raise ScheduleError(f"bad step in {text!r}")
        if body == "*":
            first, last = low, high
        else:
            first_text, _, last_text = body.partition("-")
            first = _value(first_text, index)
            last = _value(last_text, index) if last_text else (high if step_text else first)
        if not (low <= first <= high and low <= last <= high):
            raise ScheduleError(f"{text!r} is out of range {low}-{high}")
        allowed.update(range(first, last + 1, step))
    if index == 4 and 7 in allowed:
        allowed.add(0)
    return allowed.__contains__


def _value(text: str, index: int) -> int:
    if text.isdigit():
        return int(text)
    names = NAMES.get(index, [])
    if text in names:
        return names.index(text) + (1 if index == 3 else 0)
    raise ScheduleError(f"{text!r} is not a number{' or a name' if names else ''}")
