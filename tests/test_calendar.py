"""Unit tests for ROC dates, academic years, semesters, filing windows, working days."""
from __future__ import annotations

import datetime as dt

import pytest

from cgs_portal import calendar as cal
from cgs_portal.clock import TAIPEI, Clock, parse_when


def test_roc_conversions():
    assert cal.roc_year(2024) == 113
    assert cal.ad_year(113) == 2024
    assert cal.roc_date(dt.date(2024, 9, 2)) == "113/09/02"
    assert cal.roc_date(None) == ""
    assert cal.roc_month_label(2024, 9) == "113年9月"


@pytest.mark.parametrize(
    "day, ay",
    [(dt.date(2024, 8, 1), 113), (dt.date(2024, 7, 31), 112), (dt.date(2025, 1, 15), 113),
     (dt.date(2025, 7, 31), 113), (dt.date(2025, 8, 1), 114)],
)
def test_academic_year_of(day, ay):
    assert cal.academic_year_of(day) == ay


def test_academic_year_months_run_august_to_july():
    months = cal.academic_year_months(113)
    assert months[0] == (2024, 8) and months[-1] == (2025, 7) and len(months) == 12


@pytest.mark.parametrize(
    "ym, expected",
    [((2024, 8), (113, 1)), ((2025, 1), (113, 1)), ((2025, 2), (113, 2)), ((2025, 7), (113, 2))],
)
def test_semesters(ym, expected):
    assert cal.semester_of(*ym) == expected
    assert cal.semester_label(113, 1) == "113學年度上學期"


def test_filing_window():
    window = cal.FilingWindow(2024, 9)
    assert window.opens == dt.date(2024, 9, 11)
    assert window.due == dt.date(2024, 10, 10)
    assert not window.is_open(dt.date(2024, 9, 10))
    assert window.is_open(dt.date(2024, 9, 11))
    assert window.is_open(dt.date(2024, 10, 10))
    assert window.is_overdue(dt.date(2024, 10, 11))
    december = cal.FilingWindow(2024, 12)
    assert december.due == dt.date(2025, 1, 10)


@pytest.mark.parametrize(
    "today, due",
    [(dt.date(2024, 10, 1), (2024, 9)), (dt.date(2024, 10, 10), (2024, 9)),
     (dt.date(2024, 10, 11), (2024, 10)), (dt.date(2025, 1, 5), (2024, 12))],
)
def test_current_filing_month(today, due):
    assert cal.current_filing_month(today) == due


def test_working_days_follow_the_government_calendar():
    assert cal.is_working_day(dt.date(2024, 2, 17))  # Saturday make-up working day
    assert not cal.is_working_day(dt.date(2024, 2, 8))  # Lunar New Year holiday
    assert not cal.is_working_day(dt.date(2024, 10, 10))  # National Day
    assert cal.next_working_day(dt.date(2024, 2, 10)) == dt.date(2024, 2, 15)
    closure = frozenset({dt.date(2024, 9, 11)})
    assert cal.next_working_day(dt.date(2024, 9, 11), closure) == dt.date(2024, 9, 12)


def test_clock_can_be_pinned_and_moved():
    clock = Clock(parse_when("2024-10-03T09:00:00"))
    assert clock.now() == dt.datetime(2024, 10, 3, 9, 0, tzinfo=TAIPEI)
    clock.advance(dt.timedelta(days=8))
    assert clock.today() == dt.date(2024, 10, 11)
    clock.set_now(dt.date(2025, 1, 2))
    assert clock.today() == dt.date(2025, 1, 2)
    clock.set_now(None)
    assert clock.now().tzinfo is not None


def test_no_scattered_datetime_now():
    """Only clock.py may read the system clock."""
    from pathlib import Path

    import cgs_portal

    offenders = []
    for path in Path(cgs_portal.__file__).parent.rglob("*.py"):
        if path.name == "clock.py":
            continue
        text = path.read_text("utf-8")
        for needle in ("datetime.now(", "date.today(", "dt.datetime.now(", "dt.date.today(", "time.time("):
            if needle in text:
                offenders.append(f"{path.name}: {needle}")
    assert not offenders, offenders


def test_academic_year_of_a_month_and_of_the_month_now_due():
    assert cal.academic_year_of_month(2024, 8) == 113 and cal.academic_year_of_month(2025, 7) == 113
    assert cal.current_academic_year(dt.date(2025, 8, 10)) == 113  # July is still due
    assert cal.current_academic_year(dt.date(2025, 8, 11)) == 114
    assert cal.current_semester(dt.date(2025, 2, 10)) == (113, 1)
    assert cal.current_semester(dt.date(2025, 2, 11)) == (113, 2)


@pytest.mark.parametrize("text, expected", [("2024-09", (2024, 9)), ("2024-9", (2024, 9)), ("2024-13", None),
                                            ("garbage", None), ("", None), (None, None), ("1999-01", None)])
def test_parse_month(text, expected):
    assert cal.parse_month(text) == expected
