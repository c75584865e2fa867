"""A unit's year of filing states, one monthly report, its stored rows and its files."""
from __future__ import annotations

import os

from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.response import FileResponse
from pyramid.view import view_config

from ... import calendar
from ...resources import AcademicYear, MonthlyReport, Unit, unit_of
from ...security import Perm
from .. import intake, months, workflow
from ..schemas import MonthQuery, YearQuery, read
from . import XLSX, attachment, month_url, tabs, xlsx_response


@view_config(context=Unit, name="year", renderer="cgs_portal:templates/reporting/year.pt",
             permission=Perm.UNIT_STATUS)
def year_view(request):
    unit = request.context
    today = request.clock.today()
    ay = read(YearQuery(), request.params)["ay"]
    ay = max(100, min(calendar.current_academic_year(today) if ay is None else ay, 200))
    own = request.has_permission(Perm.REPORT_FILE, unit)
    return {
        "page_title": f"{unit.name} {ay}學年度填報狀況",
        "tabs": tabs(request, unit if own else None, "year"),
        "unit": unit,
        "ay": ay,
        "rows": months.year_rows(unit, ay, today),
        "prev_url": request.resource_url(unit, "year", query={"ay": ay - 1}),
        "next_url": request.resource_url(unit, "year", query={"ay": ay + 1}),
        "report_url": lambda row: request.resource_url(row.report) if row.report is not None else None,
        "can_file": own,
        "file_url": lambda row: month_url(request, unit, (row.year, row.month)),
        "roc_date": calendar.roc_date,
        "roc_datetime": calendar.roc_datetime,
    }


@view_config(context=Unit, permission=Perm.UNIT_STATUS)
def unit_home(request):
    """A unit's own address shows its year of filing states; officials (county, national) see
    the unit's page of the back office (admin.views.units)."""
    account = request.identity
    if account is not None and account.role != "unit":
        from ...admin.views.units import unit_page

        return unit_page(request)
    return HTTPFound(location=request.resource_url(request.context, "year"))


@view_config(context=AcademicYear, permission=Perm.UNIT_STATUS)
def academic_year(request):
    unit = request.context.__parent__
    return HTTPFound(location=request.resource_url(unit, "year", query={"ay": request.context.year}))


@view_config(context=MonthlyReport, renderer="cgs_portal:templates/reporting/report.pt",
             permission=Perm.REPORT_STATUS)
def report_view(request):
    report = request.context
    unit = unit_of(report)
    can_view_rows = request.has_permission(Perm.REPORT_VIEW, report)
    filing = report.filing
    return {
        "page_title": f"{unit.name} {report.title}",
        "unit": unit,
        "report": report,
        "state_label": workflow.STATE_LABELS[report.state_on(request.clock.today())],
        "filing": filing,
        "tables": intake.summary_tables(filing.aggregates if filing is not None else None),
        "history": list(report.history),
        "uploads": list(report.uploads or ()) if can_view_rows else [],
        "can_view_rows": can_view_rows,
        "rows_url": request.resource_url(report, "rows"),
        "year_url": request.resource_url(unit, "year", query={"ay": report.__parent__.year}),
        "upload_url": lambda u, name: request.resource_url(report, name, query={"upload": u.number}),
        "roc_datetime": calendar.roc_datetime,
        "state_labels": workflow.STATE_LABELS,
    }


@view_config(context=MonthlyReport, name="rows", renderer="cgs_portal:templates/reporting/rows.pt",
             permission=Perm.REPORT_VIEW)
def rows_view(request):
    report = request.context
    unit = unit_of(report)
    filing = report.filing
    sheets = []
    if filing is not None and filing.rows is not None:
        sheets = [stored_sheet(filing, key) for key in ("cases", "services")]
    return {"page_title": f"{unit.name} {report.title} 填報資料", "unit": unit, "report": report,
            "filing": filing, "sheets": sheets, "report_url": request.resource_url(report),
            "roc_datetime": calendar.roc_datetime}


def stored_sheet(filing, key) -> dict:
    cols = intake.columns(filing.version, key)
    return {"title": intake.sheet_title(filing.version, key), "columns": cols,
            "rows": [[_cell(r.get(k)) for k, _h, _l in cols] for r in filing.rows.get(key)], "key": key}


def _cell(value):
    if isinstance(value, (tuple, list)):
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value)


def _upload_of(request):
    number = read(MonthQuery(), request.params)["upload"]
    stored = request.context.upload(number) if number is not None else None
    if stored is None:
        raise HTTPNotFound()
    return stored


@view_config(context=MonthlyReport, name="annotated", permission=Perm.REPORT_VIEW)
def annotated(request):
    stored = _upload_of(request)
    if not stored.has_annotated_copy:
        raise HTTPNotFound()
    with stored.blob.open("r") as handle:
        data = handle.read()
    marked = intake.annotate(data, stored.problems)
    base = os.path.splitext(stored.filename)[0] or "workbook"
    return xlsx_response(marked, f"{base}_檢核結果.xlsx")


@view_config(context=MonthlyReport, name="original", permission=Perm.REPORT_VIEW)
def original(request):
    stored = _upload_of(request)
    response = FileResponse(stored.blob.committed(), request=request, content_type=XLSX)
    return attachment(response, stored.filename or "workbook.xlsx")
