"""The 稽催 calendar: which step is due for which month, on which date (pure functions).

For filing month M (filed from the 1st to the 10th of M+1):

- ``day1``  — the 1st of M+1, whatever day it is (the guide does not shift it);
- ``day11`` — the 11th of M+1, or the first working day after a unit's later deadline
  (an admin extension, an approved amendment), moved to the next working day of the
  unit's county (若遇假日則順延; a typhoon closure in one county moves that county only);
- ``day16`` — the 16th of M+1, moved to the next working day of the national calendar.

A step missed (cron did not run that day) is caught up on a later day, once: day 1 until
the 10th, day 11 and day 16 until the end of the month they fall in.
"""
from __future__ import annotations

import datetime as dt

from .. import calendar
from ..calendar import FILING_LAST_DAY

DAY1, DAY11, DAY16 = "day1", "day11", "day16"
STEPS = (DAY1, DAY11, DAY16)
STEP_LABELS = {DAY1: "每月1日 填報提醒", DAY11: "每月11日 未填報提醒", DAY16: "每月16日 彙整未完成名單"}
DAY11_DAY, DAY16_DAY = 11, 16


def day1_date(year: int, month: int) -> dt.date:
    y, m = calendar.next_month(year, month)
    return dt.date(y, m, 1)


def day11_date(year: int, month: int, work, deadline: dt.date | None = None) -> dt.date:
    """When month (year, month)'s day-11 step falls for a unit with ``deadline`` (default 10th)."""
    y, m = calendar.next_month(year, month)
    standard = dt.date(y, m, DAY11_DAY)
    if deadline is not None and deadline >= standard:
        return work.first_working_day_after(deadline)
    return work.next_working_day(standard)


def day16_date(year: int, month: int, work) -> dt.date:
    y, m = calendar.next_month(year, month)
    return work.next_working_day(dt.date(y, m, DAY16_DAY))


def catch_up_until(step: str, scheduled: dt.date) -> dt.date:
    """The last day a missed step is still sent."""
    if step == DAY1:
        return scheduled.replace(day=FILING_LAST_DAY)
    return calendar.month_last_day(scheduled.year, scheduled.month)


def scheduled(step: str, year: int, month: int, work, deadline: dt.date | None = None) -> dt.date:
    if step == DAY1:
        return day1_date(year, month)
    if step == DAY11:
        return day11_date(year, month, work, deadline)
    return day16_date(year, month, work)


def is_due(step: str, year: int, month: int, today: dt.date, work, deadline: dt.date | None = None) -> bool:
    """True when ``today`` is the step's date for that month, or a catch-up day after it."""
    when = scheduled(step, year, month, work, deadline)
    return when <= today <= catch_up_until(step, when)


def candidate_months(today: dt.date) -> list[tuple[int, int]]:
    """The filing months whose steps may be due today: last month, and the one before
    (a unit whose deadline was extended past the end of the month)."""
    last = calendar.previous_month(today.year, today.month)
    return [last, calendar.previous_month(*last)]


def due_months(step: str, today: dt.date, work) -> list[tuple[int, int]]:
    """The months whose standard ``step`` (no extended deadline) is due today."""
    return [ym for ym in candidate_months(today) if is_due(step, *ym, today, work)]


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"
