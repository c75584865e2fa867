"""工作填報 pages: 填報說明, 當期填報, 逾期補填, 申請修改, the year view, the amendment queue.

Views are thin: they find the unit and month, call ``service`` and render.
"""
from __future__ import annotations

import os
from urllib.parse import quote

from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.response import FileResponse, Response
from pyramid.view import view_config

from .. import calendar
from ..mail import send_mail
from ..resources import AcademicYear, MonthlyReport, PortalRoot, Unit
from ..resources.root import get_app_root
from ..security import Perm
from . import engine, service, workflow

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_PROBLEMS_SHOWN = 300


def find_unit(request, code):
    if not code:
        return None
    for county in get_app_root(request)["counties"].values():
        unit = county.get(code)
        if unit is not None:
            return unit
    return None


def own_unit(request):
    account = request.identity
    if account is None or account.role != "unit":
        return None
    return find_unit(request, account.unit_code)


def who(request) -> str:
    account = request.identity
    return account.login if account is not None else "system"


def xlsx_response(request, data: bytes, filename: str) -> Response:
    response = Response(body=data, content_type=XLSX)
    response.content_disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


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


# -- 填報說明 and templates ------------------------------------------------------------------------

@view_config(context=PortalRoot, name="filing", renderer="cgs_portal:templates/reporting/instructions.pt",
             permission=Perm.MEMBER)
def instructions(request):
    today = request.clock.today()
    unit = own_unit(request)
    ay, term = service.current_semester(today)
    year, month = service.current_month(today)
    rows = []
    for version in engine.versions():
        in_force = engine.version_in_force(version.family, ay).id == version.id
        links = [(label, request.resource_url(request.root, template_view_name(version.id, kind)))
                 for kind, label in engine.TEMPLATE_KINDS.items()]
        rows.append({"label": version.label, "family": "輔諮中心" if version.family == "B" else "學校",
                     "in_force": in_force, "links": links,
                     "mine": unit is not None and unit.family == version.family})
    return {
        "page_title": "工作填報 — 填報說明",
        "tabs": tabs(request, unit, "filing"),
        "unit": unit,
        "versions": rows,
        "semester": calendar.semester_label(ay, term),
        "current_label": service.month_label(year, month),
        "window": calendar.FilingWindow(year, month),
        "is_admin": request.has_permission(Perm.REPORT_ADMIN, request.root),
    }


def template_view_name(version_id, kind):
    from . import template_view_name as name

    return name(version_id, kind)


def template_download(version_id, kind):
    def view(request):
        data = engine.template(version_id, kind)
        label = engine.TEMPLATE_KINDS[kind]
        return xlsx_response(request, data, f"輔導工作成果填報_{version_id}_{label}.xlsx")

    return view


def add_template_views(config):
    for version in engine.versions():
        for kind in engine.TEMPLATE_KINDS:
            config.add_view(template_download(version.id, kind), context=PortalRoot,
                            name=template_view_name(version.id, kind), permission=Perm.SITE_VIEW)


@view_config(context=Unit, name="unit-template.xlsx", permission=Perm.REPORT_FILE)
def unit_template(request):
    unit = request.context
    ym = service.parse_month(request.params.get("m")) or service.current_month(request.clock.today())
    version = engine.version_in_force(unit.family, calendar.semester_of(*ym)[0])
    data = engine.unit_template(version.id, unit, *ym)
    return xlsx_response(request, data, f"{unit.code}_{ym[0]}-{ym[1]:02d}_填報表格.xlsx")


# -- 當期填報 / 逾期補填: the month page -------------------------------------------------------------

@view_config(context=Unit, name="current", renderer="cgs_portal:templates/reporting/month.pt",
             permission=Perm.REPORT_FILE)
def current(request):
    return month_page(request, service.current_month(request.clock.today()), "current")


@view_config(context=Unit, name="month", renderer="cgs_portal:templates/reporting/month.pt",
             permission=Perm.REPORT_FILE)
def month(request):
    today = request.clock.today()
    ym = service.parse_month(request.params.get("m")) or service.current_month(today)
    active = "current" if ym == service.current_month(today) else "overdue"
    return month_page(request, ym, active)


def month_page(request, ym, active):
    unit = request.context
    today = request.clock.today()
    year, month_ = ym
    report = service.find_report(unit, year, month_)
    state = workflow.effective_state(report, year, month_, today)
    refusal = None
    try:
        service.check_fileable(unit, year, month_, today)
    except service.Refused as refused:
        refusal = refused
    upload = None
    number = request.params.get("upload")
    if report is not None and number and number.isdigit():
        upload = report.upload(int(number))
    result = upload_result(request, report, upload) if upload is not None else None
    window = calendar.FilingWindow(year, month_)
    replacing = report.filing if report is not None and state == workflow.AMENDMENT_OPEN else None
    return {
        "page_title": f"工作填報 — {'當期填報' if active == 'current' else '逾期補填'}",
        "heading": "當期填報" if active == "current" else "逾期補填",
        "tabs": tabs(request, unit, active),
        "unit": unit,
        "key": f"{year:04d}-{month_:02d}",
        "label": service.month_label(year, month_),
        "state": state,
        "state_label": workflow.STATE_LABELS[state],
        "report": report,
        "serial": getattr(report, "serial", 0) if report is not None else 0,
        "refusal": refusal,
        "window": window,
        "opens": calendar.roc_date(window.opens),
        "due": calendar.roc_date(window.due),
        "late": window.is_overdue(today),
        "replacing": replacing,
        "amendment": getattr(report, "amendment", None),
        "result": result,
        "version": engine.version_in_force(unit.family, calendar.semester_of(year, month_)[0]),
        "template_url": request.resource_url(unit, "unit-template.xlsx", query={"m": f"{year:04d}-{month_:02d}"}),
        "report_url": request.resource_url(report) if report is not None else None,
    }


def upload_result(request, report, upload):
    problems = list(upload.problems)
    errors = [p for p in problems if p["severity"] == "error"]
    warnings = [p for p in problems if p["severity"] == "warning"]
    filed = upload.status == "filed"
    pending = upload.status == "pending"
    return {
        "upload": upload,
        "fatal": upload.fatal,
        "errors": errors[:MAX_PROBLEMS_SHOWN],
        "error_count": len(errors),
        "warnings": warnings[:MAX_PROBLEMS_SHOWN],
        "filed": filed,
        "pending": pending,
        "superseded": upload.status == "superseded",
        "rows": upload.summary.get("rows", {}),
        "tables": engine.summary_tables(upload.aggregates),
        "replacement": service.replacement_summary(report, upload) if pending else None,
        "annotated_url": request.resource_url(report, "annotated", query={"upload": upload.number}),
        "rows_url": request.resource_url(report, "rows"),
        "sheet_names": {"cases": "當月個案", "services": "相關服務"},
    }


def back_to_month(request, unit, ym, **query):
    query = {"m": f"{ym[0]:04d}-{ym[1]:02d}", **query}
    return HTTPFound(location=request.resource_url(unit, "month", query=query))


def refuse(request, unit, ym, refused: service.Refused):
    request.session.flash(refused.message + (" " + refused.advice if refused.advice else ""), "error")
    return back_to_month(request, unit, ym)


def no_month_chosen(request, unit):
    request.session.flash("請選擇要填報的月份。", "error")
    return HTTPFound(location=request.resource_url(unit, "current"))


@view_config(context=Unit, name="upload", request_method="POST", permission=Perm.REPORT_FILE)
def upload(request):
    unit = request.context
    today, now = request.clock.today(), request.clock.now()
    ym = service.parse_month(request.POST.get("m"))
    if ym is None:
        return no_month_chosen(request, unit)
    report = service.find_report(unit, *ym)
    try:
        service.check_serial(report, request.POST.get("serial"))
        service.check_fileable(unit, *ym, today)
    except service.Refused as refused:
        return refuse(request, unit, ym, refused)
    if (request.content_length or 0) > engine.MAX_BYTES + 64 * 1024:
        return refuse(request, unit, ym, service.Refused(
            f"檔案超過 {engine.MAX_BYTES // (1024 * 1024)} MB 上限，未儲存。",
            "請確認檔案只有本月資料，刪除多餘的工作表、圖片或格式後再上傳。"))
    field = request.POST.get("workbook")
    if field is None or not hasattr(field, "file") or not getattr(field, "filename", ""):
        request.session.flash("請選擇要上傳的 Excel 檔（.xlsx）。", "error")
        return back_to_month(request, unit, ym)
    try:
        path, _size = service.spool(field.file)
    except service.Refused as refused:
        return refuse(request, unit, ym, refused)
    try:
        report = service.get_or_create_report(unit, *ym)
        workflow.settle(report, today, now)
        stored = service.store_upload(unit, report, path, os.path.basename(field.filename), who(request), now)
    finally:
        os.unlink(path)
    if stored.status == "pending" and not service.needs_confirmation(report, stored):
        service.file_month(unit, report, stored, who(request), now, today)
    return back_to_month(request, unit, ym, upload=stored.number)


@view_config(context=Unit, name="confirm", request_method="POST", permission=Perm.REPORT_FILE)
def confirm(request):
    unit = request.context
    today, now = request.clock.today(), request.clock.now()
    ym = service.parse_month(request.POST.get("m"))
    report = service.find_report(unit, *ym) if ym else None
    if report is None:
        request.session.flash("找不到要確認的上傳檔案，請重新上傳。", "error")
        return HTTPFound(location=request.resource_url(unit, "current"))
    number = request.POST.get("upload", "")
    stored = report.upload(int(number)) if number.isdigit() else None
    try:
        service.check_serial(report, request.POST.get("serial"))
        if stored is None or stored.status != "pending":
            raise service.Refused("此上傳檔案已不是待確認狀態（可能已填報或已被新的上傳取代）。",
                                  "請查看下方最新結果，必要時重新上傳。", code="not_pending")
        service.file_month(unit, report, stored, who(request), now, today)
    except service.Refused as refused:
        return refuse(request, unit, ym, refused)
    return back_to_month(request, unit, ym, upload=stored.number)


@view_config(context=Unit, name="no-cases", request_method="POST", permission=Perm.REPORT_FILE)
def no_cases(request):
    unit = request.context
    today, now = request.clock.today(), request.clock.now()
    ym = service.parse_month(request.POST.get("m"))
    if ym is None:
        return no_month_chosen(request, unit)
    report = service.find_report(unit, *ym)
    try:
        service.check_serial(report, request.POST.get("serial"))
        service.check_fileable(unit, *ym, today)
        if request.POST.get("confirm") != "yes":
            raise service.Refused("請勾選「確認本月無個案及服務」後再送出。", code="unconfirmed")
        report = service.get_or_create_report(unit, *ym)
        service.file_month(unit, report, None, who(request), now, today)
    except service.Refused as refused:
        return refuse(request, unit, ym, refused)
    request.session.flash(f"{service.month_label(*ym)}：已完成填報（當月無個案及服務）。", "info")
    return back_to_month(request, unit, ym)


@view_config(context=Unit, name="overdue", renderer="cgs_portal:templates/reporting/overdue.pt",
             permission=Perm.REPORT_FILE)
def overdue(request):
    unit = request.context
    today = request.clock.today()
    rows = service.overdue_months(unit, today)
    return {
        "page_title": "工作填報 — 逾期補填",
        "tabs": tabs(request, unit, "overdue"),
        "unit": unit,
        "rows": rows,
        "ay": service.current_academic_year(today),
        "month_url": lambda row: request.resource_url(unit, "month", query={"m": row.key}),
        "roc_date": calendar.roc_date,
    }


# -- 申請修改 --------------------------------------------------------------------------------------

@view_config(context=Unit, name="amend", renderer="cgs_portal:templates/reporting/amend.pt",
             permission=Perm.REPORT_AMEND)
def amend(request):
    unit = request.context
    today, now = request.clock.today(), request.clock.now()
    errors = {}
    refusal = None
    values = {"m": "", "reason": ""}
    if request.method == "POST":
        values = {"m": request.POST.get("m", ""), "reason": request.POST.get("reason", "").strip()}
        ym = service.parse_month(values["m"])
        if ym is None:
            errors["m"] = "請選擇要修改的月份。"
        if not values["reason"]:
            errors["reason"] = "請說明修改原因。"
        elif len(values["reason"]) > 500:
            errors["reason"] = "修改原因請在 500 字以內。"
        if not errors:
            try:
                service.request_amendment(unit, *ym, values["reason"], who(request), now, today)
            except service.Refused as refused:
                refusal = refused
            else:
                request.session.flash(
                    f"已送出 {service.month_label(*ym)} 的修改申請，核准後將以電子郵件通知，"
                    "屆時請至「逾期補填」重新上傳。", "info")
                return HTTPFound(location=request.resource_url(unit, "amend"))
    ay, term = service.current_semester(today)
    rows = service.year_rows(unit, service.current_academic_year(today), today)
    return {
        "page_title": "工作填報 — 申請修改",
        "tabs": tabs(request, unit, "amend"),
        "unit": unit,
        "choices": [row for row in rows if row.state in workflow.FILED],
        "requests": [row for row in rows if row.report is not None and row.report.amendment is not None],
        "semester": calendar.semester_label(ay, term),
        "errors": errors,
        "refusal": refusal,
        "values": values,
        "office_advice": service.office_advice(),
        "roc_date": calendar.roc_date,
        "roc_datetime": calendar.roc_datetime,
    }


@view_config(context=PortalRoot, name="amendments", renderer="cgs_portal:templates/reporting/queue.pt",
             permission=Perm.REPORT_ADMIN)
def amendment_queue(request):
    root = get_app_root(request)
    days = int(request.registry.settings.get("cgs.amendment_days", service.AMENDMENT_DAYS))
    if request.method == "POST":
        report = find_report_by_path(request, request.POST.get("report", ""))
        decision = request.POST.get("decision")
        if report is None or decision not in ("approve", "refuse"):
            request.session.flash("請選擇要處理的申請與核准或不核准。", "error")
        else:
            try:
                amendment = service.decide_amendment(report, decision == "approve",
                                                     request.POST.get("note", ""), who(request),
                                                     request.clock.now(), days)
            except service.Refused as refused:
                request.session.flash(refused.message, "error")
            else:
                notify_decision(request, report, amendment)
                request.session.flash(f"已{'核准' if amendment.decision == 'approved' else '不核准'}"
                                      f"{report.__parent__.__parent__.name} {report.title} 的修改申請。", "info")
        return HTTPFound(location=request.resource_url(request.root, "amendments"))
    pending = []
    for _key, report in service.queue(root).items():
        unit = report.__parent__.__parent__
        pending.append({"unit": unit, "report": report, "amendment": report.amendment,
                        "path": f"{unit.__parent__.code}/{unit.code}/{report.__name__}",
                        "filing": report.filing})
    return {"page_title": "申請修改審核", "pending": pending, "days": days,
            "roc_datetime": calendar.roc_datetime, "roc_date": calendar.roc_date}


@view_config(context=PortalRoot, name="amendments", request_method="POST", permission=Perm.REPORT_ADMIN)
def amendment_decide(request):
    return amendment_queue(request)


def find_report_by_path(request, path):
    parts = path.split("/")
    if len(parts) != 3:
        return None
    county = get_app_root(request)["counties"].get(parts[0])
    unit = county.get(parts[1]) if county is not None else None
    ym = service.parse_month(parts[2])
    if unit is None or ym is None:
        return None
    return service.find_report(unit, *ym)


def notify_decision(request, report, amendment):
    unit = report.__parent__.__parent__
    accounts = get_app_root(request)["accounts"]
    recipients = sorted({a.email for a in accounts.for_unit(unit.code) if a.status == "active" and a.email})
    if not recipients:
        return
    if amendment.decision == "approved":
        subject = f"【輔導工作成果填報】{report.title} 修改申請已核准"
        body = (f"{unit.name} 您好：\n\n您申請修改 {report.title} 的填報資料已核准，"
                f"請於 {calendar.roc_date(amendment.open_until)} 前至「工作填報 → 逾期補填」重新上傳。\n"
                "逾期未重新填報者，原填報資料維持有效。\n")
    else:
        subject = f"【輔導工作成果填報】{report.title} 修改申請未核准"
        body = (f"{unit.name} 您好：\n\n您申請修改 {report.title} 的填報資料未獲核准，原填報資料維持有效。\n"
                + (f"說明：{amendment.decision_note}\n" if amendment.decision_note else "")
                + f"如有疑問請洽承辦學校。\n{service.office_advice()}\n")
    body += f"\n申請原因：{amendment.reason}\n"
    send_mail(request, recipients, subject, body)


# -- the year view ---------------------------------------------------------------------------------

@view_config(context=Unit, name="year", renderer="cgs_portal:templates/reporting/year.pt",
             permission=Perm.UNIT_STATUS)
def year_view(request):
    unit = request.context
    today = request.clock.today()
    try:
        ay = int(request.params.get("ay", ""))
    except ValueError:
        ay = service.current_academic_year(today)
    ay = max(100, min(ay, 200))
    rows = service.year_rows(unit, ay, today)
    own = request.has_permission(Perm.REPORT_FILE, unit)
    return {
        "page_title": f"{unit.name} {ay}學年度填報狀況",
        "tabs": tabs(request, unit if own else None, "year"),
        "unit": unit,
        "ay": ay,
        "rows": rows,
        "prev_url": request.resource_url(unit, "year", query={"ay": ay - 1}),
        "next_url": request.resource_url(unit, "year", query={"ay": ay + 1}),
        "report_url": lambda row: request.resource_url(row.report) if row.report is not None else None,
        "can_file": own,
        "file_url": lambda row: request.resource_url(unit, "month", query={"m": row.key}),
        "roc_date": calendar.roc_date,
        "roc_datetime": calendar.roc_datetime,
    }


@view_config(context=Unit, permission=Perm.UNIT_STATUS)
def unit_home(request):
    """A unit's own address shows its year of filing states."""
    return HTTPFound(location=request.resource_url(request.context, "year"))


@view_config(context=AcademicYear, permission=Perm.UNIT_STATUS)
def academic_year(request):
    unit = request.context.__parent__
    return HTTPFound(location=request.resource_url(unit, "year", query={"ay": request.context.year}))


# -- one monthly report ----------------------------------------------------------------------------

@view_config(context=MonthlyReport, renderer="cgs_portal:templates/reporting/report.pt",
             permission=Perm.REPORT_STATUS)
def report_view(request):
    report = request.context
    unit = report.__parent__.__parent__
    today = request.clock.today()
    state = report.state_on(today)
    can_view_rows = request.has_permission(Perm.REPORT_VIEW, report)
    filing = report.filing
    return {
        "page_title": f"{unit.name} {report.title}",
        "unit": unit,
        "report": report,
        "state_label": workflow.STATE_LABELS[state],
        "filing": filing,
        "tables": engine.summary_tables(filing.aggregates if filing is not None else None),
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
    unit = report.__parent__.__parent__
    filing = report.filing
    sheets = []
    if filing is not None and filing.rows is not None:
        for key in ("cases", "services"):
            cols = engine.columns(filing.version, key)
            sheets.append({"title": engine.sheet_title(filing.version, key), "columns": cols,
                           "rows": [[_cell(r.get(k)) for k, _h, _l in cols] for r in filing.rows.get(key)],
                           "key": key})
    return {"page_title": f"{unit.name} {report.title} 填報資料", "unit": unit, "report": report,
            "filing": filing, "sheets": sheets, "report_url": request.resource_url(report),
            "roc_datetime": calendar.roc_datetime}


def _cell(value):
    if isinstance(value, (tuple, list)):
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value)


def _upload_of(request):
    number = request.params.get("upload", "")
    stored = request.context.upload(int(number)) if number.isdigit() else None
    if stored is None:
        raise HTTPNotFound()
    return stored


@view_config(context=MonthlyReport, name="annotated", permission=Perm.REPORT_VIEW)
def annotated(request):
    stored = _upload_of(request)
    with stored.blob.open("r") as handle:
        data = handle.read()
    marked = engine.annotate(data, [p for p in stored.problems if p["severity"] == "error"])
    base = os.path.splitext(stored.filename)[0] or "workbook"
    return xlsx_response(request, marked, f"{base}_檢核結果.xlsx")


@view_config(context=MonthlyReport, name="original", permission=Perm.REPORT_VIEW)
def original(request):
    stored = _upload_of(request)
    response = FileResponse(stored.blob.committed(), request=request, content_type=XLSX)
    response.content_disposition = f"attachment; filename*=UTF-8''{quote(stored.filename or 'workbook.xlsx')}"
    return response


def home_status(request, account) -> dict:
    """For the home page: a unit's missing months (banner) and its current month's state."""
    unit = own_unit(request) if account is not None else None
    if unit is None:
        return {"filing_unit": None, "missing_months": [], "current_state": None}
    today = request.clock.today()
    ym = service.current_month(today)
    return {
        "filing_unit": unit,
        "missing_months": service.missing_months(unit, today),
        "current_label": service.month_label(*ym),
        "current_state": workflow.STATE_LABELS[service.state_of(unit, *ym, today)],
        "current_url": request.resource_url(unit, "current"),
        "overdue_url": request.resource_url(unit, "overdue"),
    }
