"""The filing service: which month may be filed, storing uploads, filing, amendments.

Views translate HTTP into these calls; every rule about *whether* something may
happen lives here (and in ``workflow``), and says why not in Traditional Chinese.
"""
from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass

from BTrees.OOBTree import OOBTree

from .. import calendar
from ..resources import AcademicYear, MonthlyReport, report_key
from . import engine, workflow
from .models import Amendment, Filing, RowStore, Upload

AMENDMENT_DAYS = 14


class Refused(Exception):
    """A request that cannot be honoured; ``message`` says why, ``advice`` what to do."""

    def __init__(self, message: str, advice: str = "", code: str = ""):
        super().__init__(message)
        self.message = message
        self.advice = advice
        self.code = code


# -- the calendar as the filing pages see it ------------------------------------------------

def current_month(today: dt.date) -> tuple[int, int]:
    return calendar.current_filing_month(today)


def current_academic_year(today: dt.date) -> int:
    """The academic year of the month now due (on 1–10 Aug that is still last year's July)."""
    year, month = current_month(today)
    return calendar.academic_year_of(dt.date(year, month, 1))


def current_semester(today: dt.date) -> tuple[int, int]:
    return calendar.semester_of(*current_month(today))


def month_label(year: int, month: int) -> str:
    return calendar.roc_month_label(year, month)


def parse_month(value) -> tuple[int, int] | None:
    """``2024-09`` → (2024, 9); None for anything else."""
    try:
        text = str(value or "")
        year, month = text.split("-")
        year, month = int(year), int(month)
    except (TypeError, ValueError):
        return None
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        return None
    return year, month


# -- reports ------------------------------------------------------------------------------------

def find_report(unit, year: int, month: int):
    ay = calendar.semester_of(year, month)[0]
    folder = unit.get(str(ay))
    return folder.get(report_key(year, month)) if folder is not None else None


def get_or_create_report(unit, year: int, month: int) -> MonthlyReport:
    ay = calendar.semester_of(year, month)[0]
    folder = unit.get(str(ay))
    if folder is None:
        folder = unit.add(str(ay), AcademicYear(ay))
    report = folder.get(report_key(year, month))
    if report is None:
        report = folder.add(report_key(year, month), MonthlyReport(year, month, state="open"))
    report.ensure_containers()
    return report


def state_of(unit, year: int, month: int, today: dt.date) -> str:
    return workflow.effective_state(find_report(unit, year, month), year, month, today)


@dataclass
class MonthRow:
    """One month of a unit's year view."""

    year: int
    month: int
    state: str
    report: object
    expected: bool

    @property
    def key(self):
        return report_key(self.year, self.month)

    @property
    def label(self):
        return month_label(self.year, self.month)

    @property
    def state_label(self):
        if not self.expected:
            return "不需填報"
        return workflow.STATE_LABELS[self.state]

    @property
    def filing(self):
        return getattr(self.report, "filing", None)

    @property
    def due(self):
        return calendar.FilingWindow(self.year, self.month).due


def year_rows(unit, ay: int, today: dt.date) -> list[MonthRow]:
    rows = []
    for year, month in calendar.academic_year_months(ay):
        report = find_report(unit, year, month)
        rows.append(MonthRow(year, month, workflow.effective_state(report, year, month, today), report,
                             unit.is_open_in(year, month)))
    return rows


def overdue_months(unit, today: dt.date) -> list[MonthRow]:
    """Past months of the current academic year that are not filed (and amendments open)."""
    return [row for row in year_rows(unit, current_academic_year(today), today)
            if row.expected and row.state in (workflow.OVERDUE, workflow.AMENDMENT_OPEN)]


def missing_months(unit, today: dt.date) -> list[MonthRow]:
    """The overdue (never filed) months only: the after-login banner."""
    return [row for row in overdue_months(unit, today) if row.state == workflow.OVERDUE]


# -- may this month be filed? -------------------------------------------------------------------

def check_fileable(unit, year: int, month: int, today: dt.date) -> None:
    """Raise ``Refused`` saying exactly why month (year, month) cannot be filed now."""
    label = month_label(year, month)
    now_year, now_month = current_month(today)
    if not unit.is_open_in(year, month):
        raise Refused(f"本單位於 {label} 尚未設立或已停辦，該月份不需填報。", code="closed")
    report = find_report(unit, year, month)
    state = workflow.effective_state(report, year, month, today)
    if state == workflow.NOT_DUE:
        opens = calendar.FilingWindow(year, month).opens
        raise Refused(
            f"{label} 的填報尚未開放：自 {calendar.roc_date(opens)} 起可提前填報。",
            f"目前應填報的月份是 {month_label(now_year, now_month)}，請至「當期填報」。", code="not_open")
    if calendar.semester_of(year, month)[0] != current_academic_year(today) and state != workflow.AMENDMENT_OPEN:
        raise Refused(
            f"{label} 不屬於本學年度（{current_academic_year(today)}學年度），無法於線上補填或修改。",
            office_advice(), code="other_year")
    if state in workflow.FILED:
        amendment = getattr(report, "amendment", None)
        expired = amendment is not None and amendment.decision == "approved" and (
            amendment.outcome == "expired" or workflow.amendment_expired(report, today))
        if expired:
            raise Refused(
                f"{label} 的修改期限已於 {calendar.roc_date(amendment.open_until)} 截止，"
                f"原 {calendar.roc_datetime(report.filing.filed_at)} 的填報資料維持有效。",
                "如仍需修改，請至「申請修改」再次提出申請。", code="amendment_expired")
        raise Refused(
            f"此月份已於 {calendar.roc_datetime(report.filing.filed_at)} 完成填報。",
            "如需修改，請至「申請修改」提出申請，核准後再至「逾期補填」重新上傳。", code="filed")
    if state == workflow.AMENDMENT_REQUESTED:
        raise Refused(f"{label} 的修改申請審核中，核准後才能重新填報。",
                      "審核結果將以電子郵件通知。", code="amendment_requested")


def office_advice() -> str:
    from ..contacts import OFFICE as office

    return (f"跨學期或非本學年度的修改請致電承辦學校（{office['name']}）：電話 {office['phone']}，"
            f"電子郵件 {office['email']}，告知大略修改原因與修改的年月份報表。")


def check_serial(report, posted) -> None:
    """Refuse a form that was rendered before the latest filing (double submit, two tabs)."""
    current = getattr(report, "serial", 0) if report is not None else 0
    try:
        posted = int(posted)
    except (TypeError, ValueError):
        posted = -1
    if posted == current:
        return
    filing = getattr(report, "filing", None)
    if filing is not None:
        raise Refused(f"此月份已於 {calendar.roc_datetime(filing.filed_at)} 完成填報。",
                      "您可能重複送出或在另一個視窗已完成填報，畫面已更新為最新狀態。", code="filed")
    raise Refused("此頁面已過期，請重新整理後再送出。", code="stale")


# -- uploads ------------------------------------------------------------------------------------

def spool(stream, limit: int = engine.MAX_BYTES) -> tuple[str, int]:
    """Copy an upload stream once into a temporary file (at most ``limit`` + 1 bytes)."""
    if hasattr(stream, "seek"):
        # pyramid_retry replays a request with the POST already parsed (webob caches it
        # in the environ): the same file object, already read once.
        stream.seek(0)
    fd, path = tempfile.mkstemp(prefix="cgs-upload-", suffix=".xlsx")
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while size <= limit:
                chunk = stream.read(min(1 << 16, limit + 1 - size))
                if not chunk:
                    break
                out.write(chunk)
                size += len(chunk)
    except BaseException:
        os.unlink(path)
        raise
    if size > limit:
        os.unlink(path)
        raise Refused(f"檔案超過 {limit // (1024 * 1024)} MB 上限，未儲存。",
                      "請確認檔案只有本月資料，刪除多餘的工作表、圖片或格式後再上傳。", code="too_big")
    if size == 0:
        os.unlink(path)
        raise Refused("上傳的檔案是空的（0 位元組），未儲存。", "請選擇填寫好的 Excel 檔（.xlsx）再上傳。",
                      code="empty")
    return path, size


def previous_aggregates(unit, year: int, month: int):
    report = find_report(unit, *calendar.previous_month(year, month))
    filing = getattr(report, "filing", None)
    return filing.aggregates if filing is not None else None


def store_upload(unit, report, path: str, filename: str, who: str, now) -> Upload:
    """Keep the file as a blob, validate it and record the result on the report."""
    number = len(report.uploads) + 1
    upload = Upload(number, filename[:200], now, who)
    with open(path, "rb") as source:
        upload.write_from(source)
    ctx = engine.filing_context(unit, report.year, report.month)
    result = engine.validate(path, ctx, previous_aggregates(unit, report.year, report.month))
    upload.fatal = result.fatal
    upload.version = result.version
    upload.problems = tuple(engine.problem_dict(p) for p in result.problems)
    upload.summary = dict(result.summary or {})
    upload.error_count = len(result.errors)
    upload.warning_count = len(result.warnings)
    if result.ok:
        upload.status = "pending"
        upload.rows = RowStore(result.rows)
        upload.aggregates = result.aggregates
    for earlier in report.uploads:
        if earlier.status == "pending":
            earlier.status = "superseded"
    report.uploads.append(upload)
    return upload


def needs_confirmation(report, upload) -> bool:
    """Warnings to confirm, or an earlier filing to replace: the unit confirms first."""
    return bool(upload.warning_count) or getattr(report, "filing", None) is not None


def file_month(unit, report, upload, who: str, now, today: dt.date) -> Filing:
    """Record the filing (with cases from ``upload``, or no cases when it is None)."""
    workflow.settle(report, today, now)
    check_fileable(unit, report.year, report.month, today)
    previous = report.filing
    window = calendar.FilingWindow(report.year, report.month)
    late = previous is None and window.is_overdue(today)
    kind = "cases" if upload is not None else "no_cases"
    filing = Filing(kind, now, who, late, upload=upload, serial=report.serial + 1)
    if workflow.effective_state(report, report.year, report.month, today) == workflow.AMENDMENT_OPEN:
        reason = "核准修改後重新填報"
        report.amendment.outcome = "refiled"
    elif late:
        reason = "逾期補填"
    elif today < dt.date(*calendar.next_month(report.year, report.month), 1):
        reason = "提前填報"
    else:
        reason = "當期填報"
    workflow.fire(report, "file" if upload is not None else "file_no_cases", now, who, reason, today=today)
    report.filings.append(filing)
    report.filing = filing
    if upload is not None:
        upload.status = "filed"
    for other in report.uploads:
        if other is not upload and other.status == "pending":
            other.status = "superseded"
    report.serial += 1
    from ..statistics.rollups import note_filing

    note_filing(unit)
    return filing


# -- what changes when a month is filed again --------------------------------------------------

def row_changes(version_id, old_rows, new_rows) -> dict:
    """Rows added / removed / changed per sheet, keyed by the sheet's unique fields."""
    out = {}
    for key in ("cases", "services"):
        fields = engine.unique_key_fields(version_id, key)
        before = {_key(r, fields): _body(r) for r in (old_rows.get(key) if old_rows else ())}
        after = {_key(r, fields): _body(r) for r in (new_rows.get(key) if new_rows else ())}
        added = [k for k in after if k not in before]
        removed = [k for k in before if k not in after]
        changed = [k for k in after if k in before and after[k] != before[k]]
        out[key] = {"added": len(added), "removed": len(removed), "changed": len(changed),
                    "before": len(before), "after": len(after),
                    "examples": {"added": added[:5], "removed": removed[:5], "changed": changed[:5]}}
    return out


def _key(row, fields):
    if not fields:
        return (row.get("_row"),)
    return tuple(str(row.get(f)) for f in fields)


def _body(row):
    return tuple(sorted((k, str(v)) for k, v in row.items() if not k.startswith("_")))


def replacement_summary(report, upload) -> dict | None:
    """What a pending upload would change against the current filing (None if first filing)."""
    filing = getattr(report, "filing", None)
    if filing is None:
        return None
    old_rows = filing.rows
    new_rows = upload.rows if upload is not None else None
    changes = row_changes(upload.version if upload else filing.version,
                          old_rows, new_rows)
    before = filing.counts
    after = upload.aggregates.get("counts", {}) if upload is not None and upload.aggregates else {
        "cases": 0, "services": 0, "sessions": 0}
    return {"changes": changes, "before": before, "after": after, "filing": filing}


# -- amendments ---------------------------------------------------------------------------------

def amendable_months(unit, today: dt.date) -> list[MonthRow]:
    """Filed months of the current academic year (the form lists them; the rule checks semester)."""
    return [row for row in year_rows(unit, current_academic_year(today), today)
            if row.state in workflow.FILED]


def request_amendment(unit, year: int, month: int, reason: str, who: str, now, today) -> Amendment:
    label = month_label(year, month)
    ay, term = current_semester(today)
    if calendar.semester_of(year, month) != (ay, term):
        raise Refused(
            f"{label} 不屬於目前的學期（{calendar.semester_label(ay, term)}），無法於線上申請修改。",
            office_advice(), code="other_semester")
    report = find_report(unit, year, month)
    if report is not None:
        workflow.settle(report, today, now)
    state = workflow.effective_state(report, year, month, today)
    if state == workflow.AMENDMENT_REQUESTED:
        raise Refused(f"{label} 已提出修改申請，審核中。", "審核結果將以電子郵件通知。",
                      code="amendment_requested")
    if state == workflow.AMENDMENT_OPEN:
        raise Refused(f"{label} 已核准修改，請至「逾期補填」重新上傳。", code="amendment_open")
    if state not in workflow.FILED:
        raise Refused(f"{label} 尚未填報，不需申請修改。", "請直接至「當期填報」或「逾期補填」填報。",
                      code="not_filed")
    reason = (reason or "").strip()
    amendment = Amendment(reason, now, who)
    report.amendment = amendment
    workflow.fire(report, "request_amendment", now, who, reason, today=today)
    report.serial += 1
    queue(report).setdefault(_queue_key(report), report)
    return amendment


def decide_amendment(report, approve: bool, note: str, who: str, now, days: int = AMENDMENT_DAYS):
    today = now.date()
    if workflow.effective_state(report, report.year, report.month, today) != workflow.AMENDMENT_REQUESTED:
        raise Refused(f"{report.title} 的修改申請已處理過或已撤回。", code="decided")
    amendment = report.amendment
    amendment.decided_at = now
    amendment.decided_by = who
    amendment.decision_note = (note or "").strip()
    if approve:
        amendment.decision = "approved"
        amendment.open_until = today + dt.timedelta(days=days)
        workflow.fire(report, "approve_amendment", now, who,
                      f"開放至 {calendar.roc_date(amendment.open_until)}" + (f"；{note}" if note else ""))
    else:
        amendment.decision = "refused"
        workflow.fire(report, "refuse_amendment", now, who, note or "")
    report.serial += 1
    tree = queue(report)
    if _queue_key(report) in tree:
        del tree[_queue_key(report)]
    return amendment


def _queue_key(report):
    unit = report.__parent__.__parent__
    return (report.amendment.requested_at.isoformat(), unit.code, report_key(report.year, report.month))


def queue(resource) -> OOBTree:
    """The national queue of pending amendment requests (root.amendment_queue)."""
    from ..resources import find_root

    return find_root(resource).amendment_queue  # created by the reporting evolve step
