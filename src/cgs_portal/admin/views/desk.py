"""填報狀態管理 (the workflow desk): bulk actions with a preview, and the deadline extensions."""
from __future__ import annotations

import colander
from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config

from ... import calendar
from ...accounts import audit
from ...counties import COUNTIES
from ...resources import PortalRoot
from ...resources.root import get_app_root
from ...security import Perm
from .. import desk, extensions, schemas
from ..schemas import BulkPost

PREVIEW = "cgs_portal:templates/admin/preview.pt"
SHOWN_ITEMS = 300


@view_config(context=PortalRoot, name="desk", renderer="cgs_portal:templates/admin/desk.pt",
             permission=Perm.REPORT_ADMIN)
def desk_page(request):
    today = request.clock.today()
    return {"page_title": "填報狀態管理", "counties": sorted(COUNTIES.items()),
            "current": extensions.month_key(*calendar.current_filing_month(today)),
            "extensions": extensions.listing(get_app_root(request)), "county_names": COUNTIES,
            "nation": extensions.NATION, "roc_date": calendar.roc_date,
            "roc_month_label": calendar.roc_month_label, "roc_datetime": calendar.roc_datetime}


@view_config(context=PortalRoot, name="desk", request_method="POST", renderer=PREVIEW,
             permission=Perm.REPORT_ADMIN)
def desk_post(request):
    """Without ``confirm``: the preview. With it and the digest of the plan as it is now: apply."""
    back = HTTPFound(location=request.resource_url(request.root, "desk"))
    try:
        data = BulkPost().deserialize(dict(request.POST))
    except colander.Invalid as invalid:
        request.session.flash(schemas.message(invalid), "error")
        return back
    counties = get_app_root(request)["counties"]
    plan = desk.plan(counties, data, request.clock.today())
    if plan.problem:
        request.session.flash(plan.problem, "error")
        return back
    if data["confirm"] == "yes" and plan.empty:
        request.session.flash("沒有需要變更的項目（可能已經套用過）。", "info")
        return back
    if data["confirm"] == "yes" and data["digest"] == plan.digest:
        done = desk.apply(counties, plan, request.identity.login, request.clock.now())
        audit.record(request, "desk.bulk", request.identity.login, desk.audit_detail(plan, done))
        request.session.flash(desk.summary(plan, done), "info")
        return back
    return preview(plan, data, changed=data["confirm"] == "yes")


def preview(plan, data, changed: bool) -> dict:
    return {"page_title": f"確認：{plan.label}", "plan": plan, "data": data, "changed": changed,
            "items": plan.items[:SHOWN_ITEMS], "hidden": len(plan.items) > SHOWN_ITEMS,
            "outcomes": desk.OUTCOME_LABELS, "scope_name": COUNTIES.get(plan.scope, "全國"),
            "month_label": calendar.roc_month_label(*plan.ym), "roc_date": calendar.roc_date,
            "m_key": extensions.month_key(*plan.ym)}
