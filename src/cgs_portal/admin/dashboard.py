"""What the rate pages show: the period asked for and the tables of the nation, a county, a unit.

Plain functions over ``admin.rates`` (no HTTP): the views pass the query they parsed and a
``link(resource)`` for the drill-down, and render what comes back; the .xlsx downloads
(``admin.sheets``) write the very same tables.
"""
from __future__ import annotations

import datetime as dt
import json

from .. import calendar
from ..reporting import workflow
from ..workbook.levels import LEVELS
from . import extensions, rates

COLUMNS = [  # (Tally field, heading)
    ("expected", "應填"), ("on_time", "準時填報"), ("late", "逾期填報"), ("no_cases", "無個案及服務"),
    ("not_filed", "未填報"), ("amendment", "修改中"), ("exempt", "無需填報"), ("outside", "設立期間外填報"),
]
TABLES = ("counties", "levels", "units", "months")


def period(ay: int | None, ym: tuple | None, today: dt.date) -> tuple[int, tuple[int, int]]:
    """(academic year, month) asked for; default the month being filed now and its year."""
    current = calendar.current_filing_month(today)
    if ay is None:
        ay = calendar.academic_year_of_month(*ym) if ym else calendar.academic_year_of_month(*current)
    ay = max(100, min(ay, 200))
    months = calendar.academic_year_months(ay)
    if ym not in months:
        ym = current if current in months else (months[-1] if months[-1] < current else months[0])
    return ay, ym


def row(label: str, tally: rates.Tally, url: str | None = None, **extra) -> dict:
    return {"label": label, "url": url, "tally": tally, **extra}


def month_grid(years: list[rates.CountyYear], link) -> dict:
    """Rows counties, columns the months of the year, cells the on-time rate (shade + counts)."""
    months = years[0].months() if years else []
    grid = []
    for year in years:
        cells = [cell(year.total(ym)) for ym in months]
        grid.append({"label": year.name, "url": link(year.code), "cells": cells})
    return {"months": [(ym, calendar.roc_month_label(*ym)) for ym in months], "rows": grid}


def cell(tally: rates.Tally) -> dict:
    share = tally.rate()
    return {"tally": tally, "shade": rates.shade(share),
            "text": "—" if share is None else f"{share * 100:.1f} %",
            "title": f"準時 {tally.shown()}；逾期 {tally.late}；未填 {tally.not_filed}"}


def trend(labels, tallies) -> str:
    """The chart's data (JSON for a ``<script type="application/json">`` block)."""
    data = {"labels": labels,
            "on_time": [None if t.rate() is None else round(t.rate() * 100, 1) for t in tallies],
            "filed": [None if t.rate("filed") is None else round(t.rate("filed") * 100, 1) for t in tallies]}
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")


def _levels(tallies: dict) -> list[dict]:
    return [row(level, tallies[level]) for level in LEVELS if level in tallies]


def national(counties, ay: int, ym, today: dt.date, link) -> dict:
    years = rates.CACHE.nation(counties, ay, today)
    months = calendar.academic_year_months(ay)
    totals = [rates.national_total(years, m) for m in months]
    return {
        "ay": ay, "ym": ym, "month_label": calendar.roc_month_label(*ym),
        "total": rates.national_total(years, ym),
        "year_total": rates.national_total(years),
        "counties": [row(y.name, y.total(ym), link(y.code), code=y.code) for y in years],
        "levels": _levels(rates.national_levels(years, ym)),
        "grid": month_grid(years, link),
        "chart": trend([calendar.roc_month_label(*m) for m in months], totals),
        "deadline": calendar.roc_date(extensions.deadline(counties, None, *ym)),
    }


def county(county_obj, ay: int, ym, today: dt.date, link) -> dict:
    year = rates.CACHE.county(county_obj, ay, today)
    months = year.months()
    units = [row(u.name, year.unit_tally(u, ym), link(u.code), code=u.code, level=u.level,
                 state=workflow.STATE_LABELS.get(u.cells[ym].state, u.cells[ym].state),
                 category=u.cells[ym].category, year_tally=year.unit_tally(u))
             for u in year.units]
    return {
        "ay": ay, "ym": ym, "month_label": calendar.roc_month_label(*ym),
        "total": year.total(ym), "year_total": year.total(),
        "levels": _levels(year.levels(ym)),
        "units": units,
        "grid": {"months": [(m, calendar.roc_month_label(*m)) for m in months],
                 "rows": [{"label": year.name, "url": None, "cells": [cell(year.total(m)) for m in months]}]},
        "chart": trend([calendar.roc_month_label(*m) for m in months], [year.total(m) for m in months]),
        "deadline": calendar.roc_date(extensions.deadline(county_obj, county_obj.code, *ym)),
    }


def month_choices(ay: int, today: dt.date) -> list[tuple[str, str]]:
    return [(f"{y:04d}-{m:02d}", calendar.roc_month_label(y, m)) for y, m in calendar.academic_year_months(ay)]


def unit_months(unit, today: dt.date, ay: int) -> list[dict]:
    """The twelve months of a unit's academic year: state, deadline, filing, history."""
    out = []
    for ym in calendar.academic_year_months(ay):
        report = unit.report(*ym)
        state = unit.month_state(*ym, today)
        out.append({
            "ym": ym, "key": f"{ym[0]:04d}-{ym[1]:02d}", "label": calendar.roc_month_label(*ym),
            "open": unit.is_open_in(*ym), "state": state,
            "state_label": workflow.STATE_LABELS.get(state, state),
            "deadline": unit.filing_deadline(*ym, today),
            "report": report, "filing": report.filing if report is not None else None,
            "history": list(report.history) if report is not None else [],
            "uploads": list(report.uploads or ()) if report is not None else [],
        })
    return out
