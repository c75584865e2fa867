"""A unit's page for officials (its address, for county officials and administrators): contacts,
the twelve months with their states and histories, uploaded files (administrators only), and
the administrators' 設定狀態 form (``set-state``)."""
from __future__ import annotations

import colander
from pyramid.httpexceptions import HTTPFound
from pyramid.renderers import render_to_response
from pyramid.view import view_config

from ... import calendar
from ...accounts import audit
from ...accounts.models import ACTIVE, DISABLED, PENDING
from ...reporting import rules, workflow
from ...reporting.schemas import YearQuery, read
from ...resources import Unit
from ...resources.root import get_app_root
from ...security import Perm
from .. import dashboard, desk, schemas
from ..schemas import ACTIONS, StatePost

ACCOUNT_STATES = {ACTIVE: "使用中", PENDING: "待開通", DISABLED: "已停用"}


def unit_page(request):
    """The page (reporting.views.reports.unit_home hands officials here)."""
    unit, today = request.context, request.clock.today()
    ay = read(YearQuery(), request.params)["ay"]
    ay = max(100, min(calendar.current_academic_year(today) if ay is None else ay, 200))
    admin = request.has_permission(Perm.REPORT_ADMIN, unit)
    values = {
        "page_title": f"{unit.name}（{unit.code}）", "unit": unit, "ay": ay, "admin": admin,
        "county_url": request.resource_url(unit.__parent__),
        "contacts": get_app_root(request)["accounts"].for_unit(unit.code),
        "account_states": ACCOUNT_STATES, "months": dashboard.unit_months(unit, today, ay),
        "prev_url": request.resource_url(unit, query={"ay": ay - 1}),
        "next_url": request.resource_url(unit, query={"ay": ay + 1}),
        "report_url": lambda r: request.resource_url(r),
        "upload_url": lambda r, u: request.resource_url(r, "original", query={"upload": u.number}),
        "actions": [(a, desk.ACTION_LABELS[a]) for a in ACTIONS],
        "state_labels": workflow.STATE_LABELS, "roc_date": calendar.roc_date,
        "roc_datetime": calendar.roc_datetime, "today": today,
    }
    return render_to_response("cgs_portal:templates/admin/unit.pt", values, request=request)


@view_config(context=Unit, name="set-state", request_method="POST", permission=Perm.REPORT_ADMIN)
def set_state(request):
    unit = request.context
    try:
        data = StatePost().deserialize(dict(request.POST))
        done = desk.set_state(unit, data["m"], data["action"], data["reason"], data["until"],
                              request.identity.login, request.clock.now())
    except colander.Invalid as invalid:
        request.session.flash(schemas.message(invalid), "error")
    except rules.Refused as refused:
        request.session.flash(refused.message, "error")
    else:
        audit.record(request, "desk.state", request.identity.login,
                     f"{unit.code} {data['m'][0]:04d}-{data['m'][1]:02d} {data['action']} {data['reason']}")
        request.session.flash(done, "info")
    return HTTPFound(location=request.resource_url(unit, query={"ay": _ay(request)}))


def _ay(request):
    month = calendar.parse_month(request.POST.get("m"))
    return calendar.academic_year_of_month(*month) if month else calendar.current_academic_year(
        request.clock.today())
