"""預填下月檔: the months a file can be prepared for, and the download."""
from __future__ import annotations

from pyramid.view import view_config

from ...reporting.rules import Refused
from ...resources import Unit
from ...security import Perm
from ...workbook.codes import GRADES
from .. import service
from ..schemas import MonthQuery, read
from . import back, helper_unit, tools, xlsx_response


@view_config(context=Unit, name="helper-carry", renderer="cgs_portal:templates/helper/carry.pt",
             permission=Perm.REPORT_FILE)
def carry_page(request):
    unit = helper_unit(request)
    offered = service.filing_months(unit, request.clock.today())
    return {"page_title": "填報幫手 — 預填下月檔", "unit": unit, "tools": tools(request, unit, "helper-carry"),
            "plans": [service.carry_plan(unit, ym) for ym in offered],
            "grades": [label for g, label in GRADES if g in unit.grades],
            "download": lambda plan: request.resource_url(unit, "helper-carry.xlsx", query={"m": plan["key"]})}


@view_config(context=Unit, name="helper-carry.xlsx", permission=Perm.REPORT_FILE)
def carry_download(request):
    unit = helper_unit(request)
    offered = service.filing_months(unit, request.clock.today())
    try:
        ym = service.chosen(read(MonthQuery(), request.params)["m"], offered, "預填下月檔")
    except Refused as refused:
        return back(request, unit, "helper-carry", refused)
    data, plan = service.carry_workbook(unit, ym)
    source = f"_自{plan['source'].ym[0]}-{plan['source'].ym[1]:02d}預填{plan['carried']}筆" if plan["carried"] else ""
    return xlsx_response(data, f"{unit.code}_{ym[0]}-{ym[1]:02d}_填報表格{source}.xlsx")

