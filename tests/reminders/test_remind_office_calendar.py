"""The government's own office calendars (transcribed) against ``calendar.is_working_day``.

A future ``holidays`` release that disagrees with the published calendar fails here, day by day.
"""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from cgs_portal import calendar

FOLDER = Path(__file__).resolve().parents[1] / "data" / "office_calendars"
WEEKDAYS = "一二三四五六日"


def rows(year):
    with open(FOLDER / f"{year}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_every_day_of_the_year_is_listed_once_with_its_weekday(year):
    days = [dt.datetime.strptime(row["西元日期"], "%Y%m%d").date() for row in rows(year)]
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    assert days == [first + dt.timedelta(n) for n in range((last - first).days + 1)]
    for row, day in zip(rows(year), days, strict=True):
        assert row["星期"] == WEEKDAYS[day.weekday()]
        assert row["是否放假"] in ("0", "2")


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_is_working_day_agrees_with_the_office_calendar_day_by_day(year):
    wrong = []
    for row in rows(year):
        day = dt.datetime.strptime(row["西元日期"], "%Y%m%d").date()
        if calendar.is_working_day(day) != (row["是否放假"] == "0"):
            wrong.append((day.isoformat(), row["是否放假"], row["備註"]))
    assert not wrong


@pytest.mark.parametrize("day, working", [
    (dt.date(2024, 2, 8), False),  # 調整放假
    (dt.date(2024, 2, 17), True),  # 補行上班 (Saturday)
    (dt.date(2025, 1, 27), False),  # 調整放假
    (dt.date(2025, 2, 8), True),  # 補行上班 (Saturday)
    (dt.date(2025, 5, 1), True),  # 勞動節: not yet a holiday of government offices in 2025
    (dt.date(2025, 9, 29), False),  # 教師節補假 (the 2025 amendment of the holidays act)
    (dt.date(2025, 12, 25), False),  # 行憲紀念日
    (dt.date(2026, 2, 14), False), (dt.date(2026, 2, 20), False), (dt.date(2026, 2, 22), False),
    (dt.date(2026, 2, 23), True),  # 春節 2026-02-14..22, back on Monday
    (dt.date(2026, 5, 1), False),  # 勞動節
])
def test_the_days_that_matter(day, working):
    assert calendar.is_working_day(day) is working


def test_the_2026_calendar_has_no_make_up_saturday():
    assert not [row for row in rows(2026) if row["是否放假"] == "0"
                and dt.datetime.strptime(row["西元日期"], "%Y%m%d").weekday() >= 5]


def test_closures_and_extra_working_days():
    typhoon = frozenset({dt.date(2025, 11, 11)})
    assert not calendar.is_working_day(dt.date(2025, 11, 11), typhoon)
    assert calendar.next_working_day(dt.date(2025, 11, 11), typhoon) == dt.date(2025, 11, 12)
    saturday = dt.date(2025, 11, 15)
    assert calendar.is_working_day(saturday, extra_working=frozenset({saturday}))
    assert not calendar.is_working_day(saturday, frozenset({saturday}), frozenset({saturday}))  # closure wins
    assert calendar.first_working_day_after(dt.date(2026, 2, 13)) == dt.date(2026, 2, 23)
    assert calendar.month_last_day(2026, 2) == dt.date(2026, 2, 28)
