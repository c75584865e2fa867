"""當期填報 / 逾期補填: the month page and its three forms (upload, confirm, no cases)."""
from __future__ import annotations

import os

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config, view_defaults

from ... import calendar
from ...resources import Unit, report_key
from ...security import Perm
from ...site.transactions import begin_again
from .. import intake, months, service, workflow
from ..rules import Refused, check_fileable, check_serial
from ..schemas import ConfirmPost, MonthPost, MonthQuery, NoCasesPost, read
from . import back_to_month, month_url, tabs, who

MAX_PROBLEMS_SHOWN = 300


@view_config(context=Unit, name="current", renderer="cgs_portal:templates/reporting/month.pt",
             permission=Perm.REPORT_FILE)
def current(request):
    return month_page(request, calendar.current_filing_month(request.clock.today()), "current")


@view_config(context=Unit, name="month", renderer="cgs_portal:templates/reporting/month.pt",
             permission=Perm.REPORT_FILE)
def month(request):
    now_due = calendar.current_filing_month(request.clock.today())
    ym = read(MonthQuery(), request.params)["m"] or now_due
    return month_page(request, ym, "current" if ym == now_due else "overdue")


def month_page(request, ym, active):
    unit, today = request.context, request.clock.today()
    report = unit.report(*ym)
    state = unit.month_state(*ym, today)
    heading = "當期填報" if active == "current" else "逾期補填"
    return {
        "page_title": f"工作填報 — {heading}",
        "heading": heading,
        "tabs": tabs(request, unit, active),
        "unit": unit,
        "key": report_key(*ym),
        "label": calendar.roc_month_label(*ym),
        "state": state,
        "state_label": workflow.STATE_LABELS[state],
        "report": report,
        "serial": getattr(report, "serial", 0) if report is not None else 0,
        "refusal": refusal(unit, ym, today),
        **window_values(ym, today),
        "replacing": report.filing if report is not None and state == workflow.AMENDMENT_OPEN else None,
        "amendment": getattr(report, "amendment", None),
        "deadline": unit.filing_deadline(*ym, today),
        "result": shown_upload(request, report),
        "version": intake.version_for_month(unit, *ym),
        "template_url": request.resource_url(unit, "unit-template.xlsx", query={"m": report_key(*ym)}),
        "report_url": request.resource_url(report) if report is not None else None,
    }


def refusal(unit, ym, today) -> Refused | None:
    """Why the month cannot be filed now, shown above the forms (None when it can)."""
    try:
        check_fileable(unit, *ym, today)
    except Refused as refused:
        return refused
    return None


def window_values(ym, today) -> dict:
    window = calendar.FilingWindow(*ym)
    return {"window": window, "opens": calendar.roc_date(window.opens), "due": calendar.roc_date(window.due),
            "late": window.is_overdue(today)}


def shown_upload(request, report) -> dict | None:
    """The result of the upload named by ``?upload=n``, if the report has it."""
    number = read(MonthQuery(), request.params)["upload"]
    upload = report.upload(number) if report is not None and number is not None else None
    return upload_result(request, report, upload) if upload is not None else None


def upload_result(request, report, upload):
    errors, warnings = upload.errors, shown_order(upload.warnings)
    pending = upload.status == "pending"
    counted = upload.summary.get("problems", {})
    warning_count = max(len(warnings), counted.get("warning", 0))
    return {
        "upload": upload,
        "fatal": upload.fatal,
        "errors": errors[:MAX_PROBLEMS_SHOWN],
        "error_count": max(len(errors), counted.get("error", 0)),
        "warnings": warnings[:MAX_PROBLEMS_SHOWN],
        "warnings_more": warning_count - min(len(warnings), MAX_PROBLEMS_SHOWN),
        "filed": upload.status == "filed",
        "pending": pending,
        "superseded": upload.status == "superseded",
        "rows": upload.summary.get("rows", {}),
        "tables": intake.summary_tables(upload.aggregates),
        "replacement": service.replacement_summary(report, upload) if pending else None,
        "annotated_url": request.resource_url(report, "annotated", query={"upload": upload.number}),
        "rows_url": request.resource_url(report, "rows"),
        "sheet_names": {"cases": "當月個案", "services": "相關服務"},
    }


def shown_order(warnings) -> list:
    """Warnings about a whole sheet or file (no row) first, then by sheet and row: a cap on
    what is shown must never hide the one about a teacher's month."""
    return sorted(warnings, key=lambda p: (p["row"] is not None, p["sheet_key"] or "", p["row"] or 0))


@view_defaults(context=Unit, request_method="POST", permission=Perm.REPORT_FILE)
class MonthForms:
    """The month page's three POSTs: one schema family for ``m``/``serial``, one guard."""

    def __init__(self, context, request):
        self.unit, self.request = context, request
        self.today, self.now = request.clock.today(), request.clock.now()
        self.ym = None
        self.spool_dir = request.registry.settings["cgs.spool_dir"]

    def checked(self, schema) -> dict:
        """The guard: the posted values of a current form, for a month that may be filed now."""
        values = read(schema, self.request.POST)
        self.ym = values["m"]
        if self.ym is None:
            raise Refused("請選擇要填報的月份。", code="no_month")
        check_serial(self.unit.report(*self.ym), values["serial"])
        check_fileable(self.unit, *self.ym, self.today)
        return values

    def refuse(self, refused: Refused) -> HTTPFound:
        """Say why on the month page (on 當期填報 when no month was chosen)."""
        self.request.session.flash(refused.message + (" " + refused.advice if refused.advice else ""), "error")
        if self.ym is None:
            return HTTPFound(location=self.request.resource_url(self.unit, "current"))
        return back_to_month(self.request, self.unit, self.ym)

    @view_config(name="upload")
    def upload(self):
        try:
            self.checked(MonthPost())
            field = self.workbook_field()
            path, _size = service.spool(field.file, folder=self.spool_dir)
        except Refused as refused:
            return self.refuse(refused)
        try:
            stored = self.store(path, os.path.basename(field.filename))
        except Refused as refused:
            return self.refuse(refused)
        finally:
            os.unlink(path)
        return back_to_month(self.request, self.unit, self.ym, upload=stored.number)

    def workbook_field(self):
        """The posted file field, refused when too big or absent."""
        if (self.request.content_length or 0) > intake.MAX_BYTES + 64 * 1024:
            raise Refused(f"檔案超過 {intake.MAX_BYTES // (1024 * 1024)} MB 上限，未儲存。",
                          "請確認檔案只有本月資料，刪除多餘的工作表、圖片或格式後再上傳。")
        field = self.request.POST.get("workbook")
        if field is None or not hasattr(field, "file") or not getattr(field, "filename", ""):
            raise Refused("請選擇要上傳的 Excel 檔（.xlsx）。")
        return field

    def store(self, path, filename):
        """Check the upload (seconds; reads only), then keep it and file it at once unless the
        unit must confirm first, in a new short transaction (``site.transactions``)."""
        result = service.check_upload(self.unit, *self.ym, path)
        begin_again(self.request)
        self.checked(MonthPost())  # the month may have been filed meanwhile (another tab)
        report = self.unit.report(*self.ym, create=True)
        workflow.settle(report, self.today, self.now)
        stored = service.store_upload(self.unit, report, path, filename, who(self.request), self.now, result)
        if stored.status == "pending" and not service.needs_confirmation(report, stored):
            report.file(stored, who(self.request), self.now, self.today)
        return stored

    @view_config(name="confirm")
    def confirm(self):
        values = read(ConfirmPost(), self.request.POST)
        report = self.unit.report(*values["m"]) if values["m"] is not None else None
        if report is None:
            return self.refuse(Refused("找不到要確認的上傳檔案，請重新上傳。", code="no_upload"))
        self.ym = values["m"]
        stored = report.upload(values["upload"])
        try:
            check_serial(report, values["serial"])
            if stored is None or stored.status != "pending":
                raise Refused("此上傳檔案已不是待確認狀態（可能已填報或已被新的上傳取代）。",
                              "請查看下方最新結果，必要時重新上傳。", code="not_pending")
            report.file(stored, who(self.request), self.now, self.today)
        except Refused as refused:
            return self.refuse(refused)
        return back_to_month(self.request, self.unit, self.ym, upload=stored.number)

    @view_config(name="no-cases")
    def no_cases(self):
        try:
            values = self.checked(NoCasesPost())
            if not values["confirm"]:
                raise Refused("請勾選「確認本月無個案及服務」後再送出。", code="unconfirmed")
            self.unit.report(*self.ym, create=True).file_no_cases(who(self.request), self.now, self.today)
        except Refused as refused:
            return self.refuse(refused)
        self.request.session.flash(f"{calendar.roc_month_label(*self.ym)}：已完成填報（當月無個案及服務）。", "info")
        return back_to_month(self.request, self.unit, self.ym)


@view_config(context=Unit, name="overdue", renderer="cgs_portal:templates/reporting/overdue.pt",
             permission=Perm.REPORT_FILE)
def overdue(request):
    unit = request.context
    today = request.clock.today()
    return {
        "page_title": "工作填報 — 逾期補填",
        "tabs": tabs(request, unit, "overdue"),
        "unit": unit,
        "rows": months.overdue_months(unit, today),
        "ay": calendar.current_academic_year(today),
        "month_url": lambda row: month_url(request, unit, (row.year, row.month)),
        "roc_date": calendar.roc_date,
    }
