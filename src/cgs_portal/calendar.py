"""ROC (民國) dates, academic years, semesters, filing windows and working days.

Pure functions over dates; nothing here reads the clock.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

ROC_OFFSET = 1911
FILING_LAST_DAY = 10  # month M is filed from the 1st to the 10th of M+1
EARLY_FROM_DAY = 11  # ... and may be filed early from the 11th of M


def roc_year(year: int) -> int:
    return year - ROC_OFFSET


def ad_year(roc: int) -> int:
    return roc + ROC_OFFSET


def roc_date(day: dt.date | dt.datetime | None) -> str:
    """``113/09/02`` for 2024-09-02; empty for None."""
    if day is None:
        return ""
    return f"{roc_year(day.year)}/{day.month:02d}/{day.day:02d}"


def roc_datetime(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    return f"{roc_date(moment)} {moment:%H:%M}"


def roc_month_label(year: int, month: int) -> str:
    """``113年9月`` for (2024, 9)."""
    return f"{roc_year(year)}年{month}月"


def academic_year_of(day: dt.date) -> int:
    """The ROC academic year (學年度) a date belongs to: Aug–Jul."""
    return roc_year(day.year) if day.month >= 8 else roc_year(day.year) - 1


def academic_year_months(ay: int) -> list[tuple[int, int]]:
    """The twelve (year, month) pairs of academic year ``ay``, Aug to Jul."""
    start = ad_year(ay)
    return [(start, m) for m in range(8, 13)] + [(start + 1, m) for m in range(1, 8)]


def academic_year_of_month(year: int, month: int) -> int:
    """The ROC academic year (學年度) month (year, month) belongs to."""
    return academic_year_of(dt.date(year, month, 1))


def semester_of(year: int, month: int) -> tuple[int, int]:
    """(academic year, 1 for 上學期 Aug–Jan or 2 for 下學期 Feb–Jul)."""
    return academic_year_of_month(year, month), (1 if month >= 8 or month == 1 else 2)


def semester_label(ay: int, term: int) -> str:
    return f"{ay}學年度{'上' if term == 1 else '下'}學期"


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


@dataclass(frozen=True)
class FilingWindow:
    """When month (year, month) may be filed on time."""

    year: int
    month: int

    @property
    def opens(self) -> dt.date:  # early filing from the 11th of the month itself
        return dt.date(self.year, self.month, EARLY_FROM_DAY)

    @property
    def due(self) -> dt.date:  # last on-time day: the 10th of the next month
        y, m = next_month(self.year, self.month)
        return dt.date(y, m, FILING_LAST_DAY)

    def is_open(self, today: dt.date) -> bool:
        return self.opens <= today <= self.due

    def is_overdue(self, today: dt.date) -> bool:
        return today > self.due


def current_filing_month(today: dt.date) -> tuple[int, int]:
    """The month now due (當期): the previous month up to the 10th, then this month."""
    if today.day <= FILING_LAST_DAY:
        return previous_month(today.year, today.month)
    return today.year, today.month


def current_academic_year(today: dt.date) -> int:
    """The academic year of the month now due (on 1–10 Aug that is still last year's July)."""
    return academic_year_of_month(*current_filing_month(today))


def current_semester(today: dt.date) -> tuple[int, int]:
    """(academic year, term) of the month now due."""
    return semester_of(*current_filing_month(today))


def parse_month(value) -> tuple[int, int] | None:
    """``2024-09`` → (2024, 9); None for anything else."""
    try:
        year, month = str(value or "").split("-")
        year, month = int(year), int(month)
    except (TypeError, ValueError):
        return None
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        return None
    return year, month


@lru_cache(maxsize=32)
def _tw_calendar(year: int):
    import holidays

    # public + government closures; ``is_working_day`` knows the make-up Saturdays (補行上班).
    return holidays.country_holidays("TW", years=year, categories=("public", "government"))


def is_working_day(day: dt.date, closures: frozenset[dt.date] = frozenset(),
                   extra_working: frozenset[dt.date] = frozenset()) -> bool:
    """Taiwan's government office calendar (incl. make-up working days) minus admin closures.

    ``closures`` (typhoon days 停班停課 and other extra closures) win over everything;
    ``extra_working`` makes a day the calendar closes a working day (an announced 補行上班
    the ``holidays`` release does not know yet).
    """
    if day in closures:
        return False
    if day in extra_working:
        return True
    return bool(_tw_calendar(day.year).is_working_day(day))


def next_working_day(day: dt.date, closures: frozenset[dt.date] = frozenset(),
                     extra_working: frozenset[dt.date] = frozenset()) -> dt.date:
    """``day`` itself when it is a working day, else the next one."""
    while not is_working_day(day, closures, extra_working):
        day += dt.timedelta(days=1)
    return day


def first_working_day_after(day: dt.date, closures: frozenset[dt.date] = frozenset(),
                            extra_working: frozenset[dt.date] = frozenset()) -> dt.date:
    """The first working day strictly after ``day``."""
    return next_working_day(day + dt.timedelta(days=1), closures, extra_working)


def month_last_day(year: int, month: int) -> dt.date:
    ny, nm = next_month(year, month)
    return dt.date(ny, nm, 1) - dt.timedelta(days=1)
