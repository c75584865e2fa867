"""The back office's pages: ``rates`` (national and county dashboards, their .xlsx), ``units``
(a unit's page for officials, the 設定狀態 form) and ``desk`` (the workflow desk, bulk actions)."""
from __future__ import annotations

from ... import calendar
from ...reporting.schemas import read
from .. import dashboard
from ..schemas import RatesQuery


def asked_period(request):
    """(ay, ym, table) from the query string; bad values fall back to the defaults."""
    query = read(RatesQuery(), request.params)
    ay, ym = dashboard.period(query["ay"], query["m"], request.clock.today())
    return ay, ym, query["table"]


def period_links(request, context, ay, ym) -> dict:
    """Links and choices the rate pages share (the month form, the year arrows, downloads)."""
    key = f"{ym[0]:04d}-{ym[1]:02d}"
    return {
        "months": dashboard.month_choices(ay, request.clock.today()),
        "m_key": key,
        "prev_url": request.resource_url(context, query={"ay": ay - 1}),
        "next_url": request.resource_url(context, query={"ay": ay + 1}),
        "xlsx": lambda table: request.resource_url(context, "rates.xlsx",
                                                   query={"ay": ay, "m": key, "table": table}),
        "roc_month_label": calendar.roc_month_label,
        "columns": dashboard.COLUMNS,
        "scripts": [request.static_url("cgs_portal:static/vendor/chartjs/chart.umd.min.js"),
                    request.static_url("cgs_portal:static/admin-charts.js")],
    }
