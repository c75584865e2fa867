"""Whether a month may be filed or amended now, and — in Traditional Chinese — why not.

The ``MonthlyReport`` transitions (``file``, ``request_amendment`` …) call these checks
before they fire the workflow; the pages call them first to show the reason up front.
This module imports no resource class (the resources import it).
"""
from __future__ import annotations

import datetime as dt

from BTrees.OOBTree import OOBTree
from pyramid.traversal import find_root

from .. import calendar
from ..admin import extensions
from ..contacts import OFFICE
from . import workflow

AMENDMENT_DAYS = 14


class Refused(Exception):
    """A request that cannot be honoured; ``message`` says why, ``advice`` what to do."""

    def __init__(self, message: str, advice: str = "", code: str = ""):
        super().__init__(message)
        self.message = message
        self.advice = advice
        self.code = code


def office_advice() -> str:
    office = OFFICE
    return (f"跨學期或非本學年度的修改請致電承辦學校（{office['name']}）：電話 {office['phone']}，"
            f"電子郵件 {office['email']}，告知大略修改原因與修改的年月份報表。")


def check_fileable(unit, year: int, month: int, today: dt.date) -> None:
    """Raise ``Refused`` saying exactly why month (year, month) cannot be filed now."""
    label = calendar.roc_month_label(year, month)
    ay = calendar.academic_year_of_month(year, month)
    if (year, month) not in unit.expected_months(ay):
        raise Refused(f"本單位於 {label} 尚未設立或已停辦，該月份不需填報。", code="closed")
    report = unit.report(year, month)
    state = unit.month_state(year, month, today)
    if state == workflow.NOT_DUE:
        opens = calendar.FilingWindow(year, month).opens
        raise Refused(
            f"{label} 的填報尚未開放：自 {calendar.roc_date(opens)} 起可提前填報。",
            f"目前應填報的月份是 {calendar.roc_month_label(*calendar.current_filing_month(today))}，"
            "請至「當期填報」。", code="not_open")
    if state == workflow.EXEMPT:
        raise Refused(f"{label} 已由管理者設定為「無需填報」，該月份不需填報。", code="exempt")
    current_ay = calendar.current_academic_year(today)
    extended = extensions.is_extended(unit, unit.county_code, year, month, today)
    if ay != current_ay and state != workflow.AMENDMENT_OPEN and not extended:
        raise Refused(
            f"{label} 不屬於本學年度（{current_ay}學年度），無法於線上補填或修改。",
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


def check_amendable(unit, year: int, month: int, today: dt.date) -> None:
    """Raise ``Refused`` unless month (year, month) is filed and in the current semester."""
    label = calendar.roc_month_label(year, month)
    ay, term = calendar.current_semester(today)
    if calendar.semester_of(year, month) != (ay, term):
        raise Refused(
            f"{label} 不屬於目前的學期（{calendar.semester_label(ay, term)}），無法於線上申請修改。",
            office_advice(), code="other_semester")
    state = unit.month_state(year, month, today)
    if state == workflow.AMENDMENT_REQUESTED:
        raise Refused(f"{label} 已提出修改申請，審核中。", "審核結果將以電子郵件通知。",
                      code="amendment_requested")
    if state == workflow.AMENDMENT_OPEN:
        raise Refused(f"{label} 已核准修改，請至「逾期補填」重新上傳。", code="amendment_open")
    if state not in workflow.FILED:
        raise Refused(f"{label} 尚未填報，不需申請修改。", "請直接至「當期填報」或「逾期補填」填報。",
                      code="not_filed")


ADMIN_REFUSALS = {
    "admin_exempt": "只有尚未填報的月份可以設定為「無需填報」；已填報的月份請先撤銷填報。",
    "admin_reopen": "只有已填報的月份可以開放重新填報。",
    "admin_record_paper": "此月份已填報或不需填報，不能再登錄紙本填報；如需更正請先撤銷填報。",
    "admin_record_no_cases": "此月份已填報或不需填報，不能再登錄無個案及服務；如需更正請先撤銷填報。",
    "admin_revert": "只有已填報、開放修改中或「無需填報」的月份可以撤銷。",
}


def check_admin_event(report, event: str, today: dt.date) -> None:
    """Raise ``Refused`` (in words) when the workflow table does not allow ``event`` now."""
    allowed, _target = workflow.TRANSITIONS[event]
    state = workflow.effective_state(report, report.year, report.month, today)
    if state not in allowed:
        label = calendar.roc_month_label(report.year, report.month)
        raise Refused(f"{label} 目前為「{workflow.STATE_LABELS.get(state, state)}」：{ADMIN_REFUSALS[event]}",
                      code="state")


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


def queue(resource) -> OOBTree:
    """The national queue of pending amendment requests (root.amendment_queue)."""
    return find_root(resource).amendment_queue  # created by the reporting evolve step
