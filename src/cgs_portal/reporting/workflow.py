"""The workflow of a monthly report: its states and every transition, in one table.

Stored states are the ones a person causes (a filing, an amendment request or
decision). The date-driven states of a month that is not filed — ``not_due``,
``open``, ``overdue`` — and the expiry of an approved amendment are *derived
from the clock* on every read, so no state is ever wrong because a cron job did
not run; a derived change is recorded in the history the next time the report
is written (see ``settle``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .. import calendar

NOT_DUE = "not_due"
OPEN = "open"
OVERDUE = "overdue"
SUBMITTED = "submitted"
SUBMITTED_NO_CASES = "submitted_no_cases"
AMENDMENT_REQUESTED = "amendment_requested"
AMENDMENT_OPEN = "amendment_open"
EXEMPT = "exempt"  # set by an administrator: the unit need not file this month

STATE_LABELS = {
    NOT_DUE: "尚未開放",
    OPEN: "填報中",
    OVERDUE: "逾期未填",
    SUBMITTED: "已填報",
    SUBMITTED_NO_CASES: "已填報（無個案及服務）",
    AMENDMENT_REQUESTED: "申請修改審核中",
    AMENDMENT_OPEN: "開放修改中",
    EXEMPT: "無需填報",
}
FILED = frozenset({SUBMITTED, SUBMITTED_NO_CASES})
DATE_STATES = frozenset({NOT_DUE, OPEN, OVERDUE})
FILEABLE = frozenset({OPEN, OVERDUE, AMENDMENT_OPEN})

EVENT_LABELS = {
    "file": "上傳填報",
    "file_no_cases": "填報無個案及服務",
    "request_amendment": "申請修改",
    "approve_amendment": "核准修改",
    "refuse_amendment": "不核准修改",
    "expire_amendment": "修改期限屆滿",
    "admin_exempt": "管理者設定無需填報",
    "admin_reopen": "管理者開放重新填報",
    "admin_record_paper": "管理者登錄紙本填報",
    "admin_record_no_cases": "管理者登錄無個案及服務",
    "admin_revert": "管理者撤銷填報",
}
ADMIN_EVENTS = ("admin_exempt", "admin_reopen", "admin_record_paper", "admin_record_no_cases", "admin_revert")

# event -> (states it may start from, state it leads to; FILED_BEFORE = the earlier filing's state,
# BY_DATE = the state the calendar gives a month nobody has filed)
FILED_BEFORE = "filed_before"
BY_DATE = "by_date"
TRANSITIONS: dict[str, tuple[frozenset, str]] = {
    "file": (FILEABLE, SUBMITTED),
    "file_no_cases": (FILEABLE, SUBMITTED_NO_CASES),
    "request_amendment": (FILED, AMENDMENT_REQUESTED),
    "approve_amendment": (frozenset({AMENDMENT_REQUESTED}), AMENDMENT_OPEN),
    "refuse_amendment": (frozenset({AMENDMENT_REQUESTED}), FILED_BEFORE),
    "expire_amendment": (frozenset({AMENDMENT_OPEN}), FILED_BEFORE),
    # The administrators' events (the workflow desk): each names the states it may start from.
    "admin_exempt": (DATE_STATES, EXEMPT),
    "admin_reopen": (FILED, AMENDMENT_OPEN),
    "admin_record_paper": (DATE_STATES | {AMENDMENT_OPEN}, SUBMITTED),
    "admin_record_no_cases": (DATE_STATES | {AMENDMENT_OPEN}, SUBMITTED_NO_CASES),
    "admin_revert": (FILED | {EXEMPT, AMENDMENT_OPEN}, BY_DATE),
}


class TransitionError(ValueError):
    """An event that the report's current state does not allow."""


@dataclass(frozen=True)
class Transition:
    """One recorded step of a report's history (immutable once appended)."""

    event: str
    from_state: str
    to_state: str
    at: dt.datetime
    by: str
    reason: str = ""

    @property
    def label(self) -> str:
        return EVENT_LABELS.get(self.event, self.event)


def date_state(year: int, month: int, today: dt.date) -> str:
    """The state of a month nobody has filed, from the calendar alone."""
    window = calendar.FilingWindow(year, month)
    if today < window.opens:
        return NOT_DUE
    if window.is_overdue(today):
        return OVERDUE
    return OPEN


def filed_state(report) -> str | None:
    filing = getattr(report, "filing", None)
    if filing is None:
        return None
    return SUBMITTED_NO_CASES if filing.kind == "no_cases" else SUBMITTED


def amendment_expired(report, today: dt.date) -> bool:
    amendment = getattr(report, "amendment", None)
    return (
        report.state == AMENDMENT_OPEN
        and amendment is not None
        and amendment.open_until is not None
        and today > amendment.open_until
    )


def effective_state(report, year: int, month: int, today: dt.date) -> str:
    """The state of month (year, month) today; ``report`` may be None (never written)."""
    if report is None or (report.state in DATE_STATES or report.state not in STATE_LABELS):
        if report is not None and filed_state(report):
            return filed_state(report)
        return date_state(year, month, today)
    if amendment_expired(report, today):
        return filed_state(report) or date_state(year, month, today)
    return report.state


def settle(report, today: dt.date, now: dt.datetime) -> None:
    """Record derived changes (an amendment that expired) before writing to the report."""
    if amendment_expired(report, today):
        until = report.amendment.open_until
        report.amendment.outcome = "expired"
        fire(report, "expire_amendment", now, "system",
             f"修改期限 {calendar.roc_date(until)} 已過，未重新填報，原填報資料維持有效", today=today)


def fire(report, event: str, now: dt.datetime, by: str, reason: str = "", *, today=None) -> Transition:
    """Apply ``event`` to ``report``: check the table, set the state, record the step."""
    allowed, target = TRANSITIONS[event]
    today = today or now.date()
    if event == "expire_amendment":
        current = AMENDMENT_OPEN
    else:
        current = effective_state(report, report.year, report.month, today)
    if current not in allowed:
        raise TransitionError(f"{event} is not allowed from {current}")
    if target == FILED_BEFORE:
        target = filed_state(report)
    elif target == BY_DATE:
        target = date_state(report.year, report.month, today)
    step = Transition(event, current, target, now, by, reason)
    report.state = target
    report.history.append(step)
    return step
