"""工作填報 pages, one module per page family: ``filing`` (當期填報 / 逾期補填),
``amendments`` (申請修改 and its queue), ``reports`` (year view, one report), ``templates``
(填報說明 and downloads), and ``banner`` (what the home page shows a unit).

Views only translate HTTP into calls on the resources (``Unit``, ``MonthlyReport``)
and ``reporting.service``; the helpers here are what every family shares.
"""
from __future__ import annotations

from urllib.parse import quote

from pyramid.httpexceptions import HTTPFound
from pyramid.response import Response

from ...resources import report_key
from ...resources.root import get_app_root

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def own_unit(request):
    """The unit of the logged-in unit account, or None."""
    account = request.identity
    if account is None or account.role != "unit":
        return None
    return get_app_root(request)["counties"].find_unit(account.unit_code)


def who(request) -> str:
    account = request.identity
    return account.login if account is not None else "system"


def attachment(response: Response, filename: str) -> Response:
    response.content_disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def xlsx_response(data: bytes, filename: str) -> Response:
    return attachment(Response(body=data, content_type=XLSX), filename)


def month_url(request, unit, ym, **query) -> str:
    return request.resource_url(unit, "month", query={"m": report_key(*ym), **query})


def back_to_month(request, unit, ym, **query) -> HTTPFound:
    return HTTPFound(location=month_url(request, unit, ym, **query))


def tabs(request, unit, active):
    root = request.root
    items = [("filing", "填報說明", request.resource_url(root, "filing"))]
    if unit is not None:
        items += [
            ("current", "當期填報", request.resource_url(unit, "current")),
            ("overdue", "逾期補填", request.resource_url(unit, "overdue")),
            ("amend", "申請修改", request.resource_url(unit, "amend")),
            ("year", "年度填報狀況", request.resource_url(unit, "year")),
        ]
    return [(name, label, url, name == active) for name, label, url in items]
