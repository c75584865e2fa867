"""A unit's months as the filing pages list them: state, report and whether it was expected."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .. import calendar
from ..resources import report_key
from . import workflow


@dataclass
class MonthRow:
    """One month of a unit's year view."""

    year: int
    month: int
    state: str
    report: object
    expected: bool
    due: dt.date  # Unit.filing_deadline: the amendment's end for a reopened month

    @property
    def key(self):
        return report_key(self.year, self.month)

    @property
    def label(self):
        return calendar.roc_month_label(self.year, self.month)

    @property
    def state_label(self):
        if not self.expected:
            return "不需填報"
        return workflow.STATE_LABELS[self.state]

    @property
    def filing(self):
        return getattr(self.report, "filing", None)


def year_rows(unit, ay: int, today: dt.date) -> list[MonthRow]:
    expected = set(unit.expected_months(ay))
    return [MonthRow(year, month, unit.month_state(year, month, today), unit.report(year, month),
                     (year, month) in expected, unit.filing_deadline(year, month, today))
            for year, month in calendar.academic_year_months(ay)]


def overdue_months(unit, today: dt.date) -> list[MonthRow]:
    """Past months of the current academic year that are not filed (and amendments open)."""
    return [row for row in year_rows(unit, calendar.current_academic_year(today), today)
            if row.expected and row.state in (workflow.OVERDUE, workflow.AMENDMENT_OPEN)]


def missing_months(unit, today: dt.date) -> list[MonthRow]:
    """The overdue (never filed) months only: the after-login banner."""
    return [row for row in overdue_months(unit, today) if row.state == workflow.OVERDUE]
