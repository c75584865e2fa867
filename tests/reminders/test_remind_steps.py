"""The pure step calendar: which step falls on which date, 順延, catch-up."""
from __future__ import annotations

import datetime as dt

import pytest

from cgs_portal.reminders import steps
from cgs_portal.reminders.models import WorkCalendar

D = dt.date
NATIONAL = WorkCalendar()


def test_day1_is_never_shifted():
    assert steps.day1_date(2025, 9) == D(2025, 10, 1)  # 國慶連假 week, Wednesday
    assert steps.day1_date(2025, 12) == D(2026, 1, 1)  # 開國紀念日 itself
    assert steps.day1_date(2026, 1) == D(2026, 2, 1)  # a Sunday


@pytest.mark.parametrize("ym, expected", [
    ((2025, 8), D(2025, 9, 11)),
    ((2025, 9), D(2025, 10, 13)),  # the 11th is a Saturday
    ((2025, 12), D(2026, 1, 12)),  # a Sunday
    ((2026, 1), D(2026, 2, 11)),
    ((2026, 3), D(2026, 4, 13)),  # a Saturday
    ((2026, 6), D(2026, 7, 13)),  # a Saturday
])
def test_day11_moves_to_the_next_working_day(ym, expected):
    assert steps.day11_date(*ym, NATIONAL) == expected


@pytest.mark.parametrize("ym, expected", [
    ((2025, 10), D(2025, 11, 17)),  # a Sunday
    ((2026, 1), D(2026, 2, 23)),  # inside 春節 2026-02-14..22
    ((2026, 4), D(2026, 5, 18)),  # a Saturday
    ((2026, 7), D(2026, 8, 17)),
])
def test_day16_moves_to_the_next_working_day(ym, expected):
    assert steps.day16_date(*ym, NATIONAL) == expected


def test_a_closure_in_one_county_moves_that_county_only():
    typhoon = WorkCalendar(closed={D(2025, 11, 11)})
    assert steps.day11_date(2025, 10, typhoon) == D(2025, 11, 12)
    assert steps.day11_date(2025, 10, NATIONAL) == D(2025, 11, 11)


def test_an_extra_working_day_is_used():
    saturday = WorkCalendar(working={D(2025, 10, 11)})
    assert steps.day11_date(2025, 9, saturday) == D(2025, 10, 11)


def test_a_later_deadline_moves_day11_after_it():
    # an extension to the 20th (a Monday 2025-10-20): day 11 is the next working day after it
    assert steps.day11_date(2025, 9, NATIONAL, deadline=D(2025, 10, 20)) == D(2025, 10, 21)
    assert steps.day11_date(2025, 9, NATIONAL, deadline=D(2025, 10, 24)) == D(2025, 10, 27)
    assert steps.day11_date(2025, 9, NATIONAL, deadline=D(2025, 10, 10)) == D(2025, 10, 13)


def test_a_missed_step_is_caught_up_then_stops():
    assert steps.is_due(steps.DAY1, 2025, 9, D(2025, 10, 1), NATIONAL)
    assert steps.is_due(steps.DAY1, 2025, 9, D(2025, 10, 10), NATIONAL)
    assert not steps.is_due(steps.DAY1, 2025, 9, D(2025, 10, 11), NATIONAL)
    assert not steps.is_due(steps.DAY11, 2025, 9, D(2025, 10, 12), NATIONAL)
    assert steps.is_due(steps.DAY11, 2025, 9, D(2025, 10, 13), NATIONAL)
    assert steps.is_due(steps.DAY11, 2025, 9, D(2025, 10, 31), NATIONAL)
    assert not steps.is_due(steps.DAY11, 2025, 9, D(2025, 11, 1), NATIONAL)
    assert steps.due_months(steps.DAY16, D(2026, 2, 20), NATIONAL) == []
    assert steps.due_months(steps.DAY16, D(2026, 2, 23), NATIONAL) == [(2026, 1)]
    assert steps.due_months(steps.DAY16, D(2026, 2, 24), NATIONAL) == [(2026, 1)]


def test_candidate_months_cover_a_deadline_extended_past_the_month():
    assert steps.candidate_months(D(2026, 1, 5)) == [(2025, 12), (2025, 11)]
