"""申請修改 (a unit asks to change a filed month) and 申請修改審核 (the national queue)."""
from __future__ import annotations

import colander
from pyramid.httpexceptions import HTTPFound
from pyramid.renderers import render
from pyramid.view import view_config

from ... import calendar
from ...accounts import audit
from ...admin import queue
from ...admin.schemas import BulkDecision, QueueFilter
from ...counties import COUNTIES
from ...mail import send_mail
from ...resources import PortalRoot, Unit, unit_of
from ...resources.root import get_app_root
from ...security import Perm
from ...workbook.levels import LEVELS
from .. import months, rules, workflow
from ..schemas import AmendmentDecision, AmendmentRequest, read
from . import tabs, who

DECISION_MAILS = {
    "approved": ("{title} 修改申請已核准",
                 "cgs_portal:templates/reporting/mail/amendment_approved.txt"),
    "refused": ("{title} 修改申請未核准",
                "cgs_portal:templates/reporting/mail/amendment_refused.txt"),
}


@view_config(context=Unit, name="amend", renderer="cgs_portal:templates/reporting/amend.pt",
             permission=Perm.REPORT_AMEND)
def amend(request):
    form = {"errors": {}, "refusal": None, "values": {"m": "", "reason": ""}}
    if request.method == "POST":
        form = amendment_request(request)
        if form is None:
            return HTTPFound(location=request.resource_url(request.context, "amend"))
    return amend_page(request, **form)


def amendment_request(request) -> dict | None:
    """Ask for the posted amendment; None when it was sent, else the form's errors or refusal."""
    unit, today, now = request.context, request.clock.today(), request.clock.now()
    values = {"m": request.POST.get("m", ""), "reason": request.POST.get("reason", "").strip()}
    try:
        data = AmendmentRequest().deserialize({"m": values["m"], "reason": values["reason"]})
        ym = data["m"]
        rules.check_amendable(unit, *ym, today)
        unit.report(*ym).request_amendment(data["reason"], who(request), now, today)
    except colander.Invalid as invalid:
        return {"errors": invalid.asdict(), "refusal": None, "values": values}
    except rules.Refused as refused:
        return {"errors": {}, "refusal": refused, "values": values}
    request.session.flash(f"已送出 {calendar.roc_month_label(*ym)} 的修改申請，核准後將以電子郵件通知，"
                          "屆時請至「逾期補填」重新上傳。", "info")
    return None


def amend_page(request, errors, refusal, values) -> dict:
    unit, today = request.context, request.clock.today()
    rows = months.year_rows(unit, calendar.current_academic_year(today), today)
    return {
        "page_title": "工作填報 — 申請修改",
        "tabs": tabs(request, unit, "amend"),
        "unit": unit,
        "choices": [row for row in rows if row.state in workflow.FILED],
        "requests": [row for row in rows if row.report is not None and row.report.amendment is not None],
        "semester": calendar.semester_label(*calendar.current_semester(today)),
        "errors": errors,
        "refusal": refusal,
        "values": values,
        "office_advice": rules.office_advice(),
        "roc_date": calendar.roc_date,
        "roc_datetime": calendar.roc_datetime,
    }


def amendment_days(request) -> int:
    return int(request.registry.settings.get("cgs.amendment_days", rules.AMENDMENT_DAYS))


@view_config(context=PortalRoot, name="amendments", renderer="cgs_portal:templates/reporting/queue.pt",
             permission=Perm.REPORT_ADMIN)
def amendment_queue(request):
    filters = read(QueueFilter(), request.params)
    pending = queue.pending(get_app_root(request), filters, request.clock.today())
    return {"page_title": "申請修改審核", "pending": pending, "days": amendment_days(request),
            "filters": filters, "counties": sorted(COUNTIES.items()), "levels": LEVELS,
            "m_key": f"{filters['m'][0]:04d}-{filters['m'][1]:02d}" if filters["m"] else "",
            "roc_datetime": calendar.roc_datetime, "roc_date": calendar.roc_date}


@view_config(context=PortalRoot, name="amendments-bulk", request_method="POST", permission=Perm.REPORT_ADMIN)
def amendment_bulk(request):
    """Decide every ticked request at once (the queue's bulk form)."""
    try:
        data = BulkDecision().deserialize({**dict(request.POST), "reports": request.POST.getall("reports")})
    except colander.Invalid:
        request.session.flash("請勾選要處理的申請，並選擇核准或不核准。", "error")
        return HTTPFound(location=request.resource_url(request.root, "amendments"))
    reports = [r for r in (report_at(request, path) for path in data["reports"]) if r is not None]
    decided, skipped = queue.decide_many(reports, data["decision"] == "approve", data["note"], who(request),
                                         request.clock.now(), amendment_days(request))
    for report, amendment in decided:
        notify_decision(request, report, amendment)
    audit.record(request, "desk.amendments", who(request),
                 f"{data['decision']} {len(decided)}: " + ",".join(unit_of(r).code + "/" + r.__name__ for r, _a in decided))
    verb = "核准" if data["decision"] == "approve" else "不核准"
    request.session.flash(f"已{verb} {len(decided)} 件修改申請" + (f"；{skipped} 件已處理過，未變更" if skipped else "") + "。",
                          "info")
    return HTTPFound(location=request.resource_url(request.root, "amendments"))


@view_config(context=PortalRoot, name="amendments", request_method="POST", permission=Perm.REPORT_ADMIN)
def amendment_decide(request):
    try:
        data = AmendmentDecision().deserialize(dict(request.POST))
    except colander.Invalid:
        data = None
    report = report_at(request, data["report"]) if data is not None else None
    if report is None:
        request.session.flash("請選擇要處理的申請與核准或不核准。", "error")
        return HTTPFound(location=request.resource_url(request.root, "amendments"))
    try:
        amendment = report.decide_amendment(data["decision"] == "approve", data["note"], who(request),
                                            request.clock.now(), amendment_days(request))
    except rules.Refused as refused:
        request.session.flash(refused.message, "error")
    else:
        notify_decision(request, report, amendment)
        request.session.flash(f"已{'核准' if amendment.decision == 'approved' else '不核准'}"
                              f"{unit_of(report).name} {report.title} 的修改申請。", "info")
    return HTTPFound(location=request.resource_url(request.root, "amendments"))


def report_at(request, path):
    """The report at ``county/unit/yyyy-mm`` (the queue's form value), or None."""
    county_code, unit_code, key = path.split("/")
    county = get_app_root(request)["counties"].get(county_code)
    unit = county.get(unit_code) if county is not None else None
    unit = unit if hasattr(unit, "report") else None
    ym = calendar.parse_month(key)
    return unit.report(*ym) if unit is not None and ym is not None else None


def notify_decision(request, report, amendment):
    """Mail the unit's active accounts the decision on its amendment request."""
    unit = unit_of(report)
    accounts = get_app_root(request)["accounts"]
    recipients = sorted({a.email for a in accounts.for_unit(unit.code) if a.status == "active" and a.email})
    if not recipients:
        return
    subject, template = DECISION_MAILS[amendment.decision]
    values = {"unit": unit, "report": report, "amendment": amendment,
              "open_until": calendar.roc_date(report.filing_deadline(request.clock.today())),
              "office_advice": rules.office_advice()}
    body = render(template, values, request=request)
    if isinstance(body, bytes):  # Chameleon's text renderer returns encoded bytes
        body = body.decode("utf-8")
    send_mail(request, recipients, subject.format(title=report.title), body)
