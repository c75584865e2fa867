"""合併檔案: the teachers' workbooks of one month merged, then downloaded or filed in one click."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config

from ... import calendar
from ...reporting.rules import Refused
from ...reporting.views import month_url, who
from ...resources import Unit
from ...security import Perm
from ...site.transactions import begin_again
from ...workbook.merge import MAX_FILES, MIN_FILES
from .. import service
from ..schemas import CheckPost, MergedPost, MonthQuery, read
from . import back, body_limit, helper_unit, month_choices, posted_files, tools, xlsx_response

TEMPLATE = "cgs_portal:templates/helper/merge.pt"


def page(request, unit, ym, outcome=None):
    offered = service.filing_months(unit, request.clock.today())
    report = unit.report(*ym)
    packed = None
    if outcome and outcome["merged"] is not None and len(outcome["merged"].data) <= service.MERGED_LIMIT:
        packed = service.pack(request.registry.settings["cgs.session_secret"], unit, ym, outcome["merged"].data)
    return {"page_title": "填報幫手 — 合併檔案", "unit": unit, "tools": tools(request, unit, "helper-merge"),
            "months": month_choices(offered, ym), "key": f"{ym[0]:04d}-{ym[1]:02d}",
            "label": calendar.roc_month_label(*ym), "outcome": outcome, "packed": packed,
            "serial": getattr(report, "serial", 0) if report is not None else 0,
            "min_files": MIN_FILES, "max_files": MAX_FILES, "file_mb": service.intake.MAX_BYTES >> 20,
            "body_mb": body_limit(request) >> 20}


@view_config(context=Unit, name="helper-merge", renderer=TEMPLATE, permission=Perm.REPORT_FILE)
def merge_form(request):
    unit = helper_unit(request)
    offered = service.filing_months(unit, request.clock.today())
    ym = read(MonthQuery(), request.params)["m"]
    return page(request, unit, ym if ym in offered else offered[0])


@view_config(context=Unit, name="helper-merge", request_method="POST", renderer=TEMPLATE,
             permission=Perm.REPORT_FILE)
def merge_post(request):
    unit = helper_unit(request)
    try:
        ym = service.chosen(read(CheckPost(), request.POST)["m"],
                            service.filing_months(unit, request.clock.today()), "合併檔案")
        fields = posted_files(request, "workbooks", body_limit(request))
        service.check_count(fields)
        outcome = service.merge_files(unit, ym, fields, request.registry.settings["cgs.spool_dir"])
    except Refused as refused:
        return back(request, unit, "helper-merge", refused)
    return page(request, unit, ym, outcome)


def merged_copy(request, unit):
    """(month, bytes) of the merged copy posted back by the result page, or ``Refused``."""
    values = read(MergedPost(), request.POST)
    ym = service.chosen(values["m"], service.filing_months(unit, request.clock.today()), "合併檔案")
    data = service.unpack(request.registry.settings["cgs.session_secret"], unit, ym, values["merged"], values["sig"])
    return ym, data, values["serial"]


@view_config(context=Unit, name="helper-merge-download", request_method="POST", permission=Perm.REPORT_FILE)
def merge_download(request):
    unit = helper_unit(request)
    try:
        ym, data, _serial = merged_copy(request, unit)
    except Refused as refused:
        return back(request, unit, "helper-merge", refused)
    return xlsx_response(data, service.merged_name(unit, ym))


@view_config(context=Unit, name="helper-merge-file", request_method="POST", permission=Perm.REPORT_FILE)
def merge_file(request):
    """Upload the merged copy to 當期填報 (the month page shows the result, as after its own form)."""
    unit = helper_unit(request)
    try:
        ym, data, serial = merged_copy(request, unit)
        stored = service.file_merged(unit, ym, data, serial, who(request), request.clock.now(),
                                     request.clock.today(), request.registry.settings["cgs.spool_dir"],
                                     lambda: begin_again(request))
    except Refused as refused:
        return back(request, unit, "helper-merge", refused)
    return HTTPFound(location=month_url(request, unit, ym, upload=stored.number))
