"""檢查檔案: the full check of a workbook for any month of this or last academic year, stored nowhere."""
from __future__ import annotations

from pyramid.view import view_config

from ... import calendar
from ...reporting.rules import Refused
from ...reporting.views.filing import shown_order
from ...resources import Unit
from ...security import Perm
from .. import service
from ..schemas import CheckPost, MonthQuery, read
from . import back, helper_unit, month_choices, posted_files, safe_name, tools, xlsx_response

TEMPLATE = "cgs_portal:templates/helper/check.pt"


def page(request, unit, ym, result=None, filename=""):
    offered = service.check_months(request.clock.today())
    return {"page_title": "填報幫手 — 檢查檔案", "unit": unit, "tools": tools(request, unit, "helper-check"),
            "months": month_choices(offered, ym), "label": calendar.roc_month_label(*ym),
            "result": result, "filename": filename, "max_mb": service.intake.MAX_BYTES // (1024 * 1024)}


@view_config(context=Unit, name="helper-check", renderer=TEMPLATE, permission=Perm.REPORT_FILE)
def check_form(request):
    unit = helper_unit(request)
    offered = service.check_months(request.clock.today())
    ym = read(MonthQuery(), request.params)["m"]
    return page(request, unit, ym if ym in offered else calendar.current_filing_month(request.clock.today()))


@view_config(context=Unit, name="helper-check", request_method="POST", renderer=TEMPLATE,
             permission=Perm.REPORT_FILE)
def check_post(request):
    unit = helper_unit(request)
    values = read(CheckPost(), request.POST)
    try:
        ym = service.chosen(values["m"], service.check_months(request.clock.today()), "檢查檔案")
        field = posted_files(request, "workbook", service.intake.MAX_BYTES)[0]
        result = service.check_file(unit, ym, field, request.registry.settings["cgs.spool_dir"], shown_order)
    except Refused as refused:
        return back(request, unit, "helper-check", refused)
    if values["action"] == "annotated" and result.get("annotated"):
        return xlsx_response(result["annotated"], f"檢查結果_{safe_name(field.filename)}")
    return page(request, unit, ym, result, safe_name(field.filename))
