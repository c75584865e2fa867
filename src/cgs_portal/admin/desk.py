"""The workflow desk: an administrator sets a month's state, or many at once after a preview.

One unit-month (``set_state``) fires one of the admin events of the workflow table through its
``MonthlyReport`` method. The bulk actions are planned first (``plan``: what would happen to
each unit, and a digest of it), shown as a preview, and applied (``apply``) only when the
confirming POST carries the digest of the plan as it is *now*: a second submit, or a page
left open while someone else changed a month, finds a different plan and applies nothing.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field

from .. import calendar
from ..reporting import rules, workflow
from . import extensions

ACTION_LABELS = {
    "exempt": "設定「無需填報」",
    "reopen": "開放重新填報",
    "paper": "登錄紙本填報",
    "no_cases": "登錄無個案及服務",
    "revert": "撤銷填報／恢復依日期的狀態",
}
KIND_LABELS = {"reopen": "開放縣市某月重新填報", "extend": "延長填報期限", "exempt": "設定多個單位無需填報"}
CODE_SPLIT = re.compile(r"[\s,，、;；]+")
MAX_CODES = 500


def set_state(unit, ym, action: str, reason: str, until, who: str, now: dt.datetime) -> str:
    """Fire the admin event ``action`` on the unit's month; returns what was done (zh-Hant)."""
    label = calendar.roc_month_label(*ym)
    if not (reason or "").strip():
        raise rules.Refused("請說明原因：每一項管理者變更都必須記錄原因。", code="reason")
    report = unit.report(*ym)
    if report is None and action in ("reopen", "revert"):
        raise rules.Refused(f"{label} 尚未填報：{ACTION_LABELS[action]}不適用。", code="state")
    if not unit.is_open_in(*ym) and action != "revert":
        raise rules.Refused(f"本單位於 {label} 尚未設立或已停辦，該月份本來就不需填報。", code="closed")
    if action == "reopen" and until is None:
        raise rules.Refused("請指定開放重新填報的截止日期。", code="until")
    if report is None:
        allowed = workflow.TRANSITIONS[_event(action)][0]
        if workflow.date_state(*ym, now.date()) not in allowed:
            raise rules.Refused(f"{label} 目前的狀態不允許{ACTION_LABELS[action]}。", code="state")
        report = unit.report(*ym, create=True)
    if action == "exempt":
        report.admin_exempt(reason, who, now)
    elif action == "reopen":
        report.admin_reopen(until, reason, who, now)
    elif action in ("paper", "no_cases"):
        report.admin_record(action, reason, who, now)
    else:
        report.admin_revert(reason, who, now)
    return f"{unit.name}（{unit.code}）{label}：已{ACTION_LABELS[action]}。"


def _event(action: str) -> str:
    return {"exempt": "admin_exempt", "reopen": "admin_reopen", "paper": "admin_record_paper",
            "no_cases": "admin_record_no_cases", "revert": "admin_revert"}[action]


@dataclass
class Item:
    """One line of a preview: a unit (or a county, for a national extension) and its outcome."""

    code: str
    name: str
    state: str
    outcome: str  # "reopen" | "extend" | "exempt" | "skip" | "missing"
    note: str
    unit: object = None


OUTCOME_LABELS = {"reopen": "將開放重新填報", "extend": "可於延長期限內填報", "exempt": "將設為無需填報",
                  "skip": "不變更", "missing": "找不到此單位"}


@dataclass
class Plan:
    kind: str
    ym: tuple
    scope: str
    until: dt.date | None
    reason: str
    items: list = field(default_factory=list)
    extension: bool = False  # the plan stores (or moves) a deadline extension
    problem: str = ""

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def changes(self) -> list:
        return [i for i in self.items if i.outcome in ("reopen", "exempt")]

    @property
    def empty(self) -> bool:
        return not self.changes and not self.extension

    def count(self, outcome: str) -> int:
        return sum(1 for i in self.items if i.outcome == outcome)

    @property
    def digest(self) -> str:
        text = repr((self.kind, self.ym, self.scope, self.until, self.reason, self.extension,
                     [(i.code, i.state, i.outcome) for i in self.items]))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def plan(counties, data: dict, today: dt.date) -> Plan:
    """What the bulk action ``data`` (a parsed ``BulkPost``) would do now."""
    kind, ym, scope, until = data["kind"], data["m"], data["scope"], data["until"]
    result = Plan(kind, ym, scope, until, data["reason"])
    label = calendar.roc_month_label(*ym)
    due = calendar.FilingWindow(*ym).due
    if kind in ("reopen", "extend") and (until is None or until < today or until <= due):
        result.problem = f"請指定今天之後、且晚於 {label} 原填報期限（{calendar.roc_date(due)}）的截止日期。"
        return result
    if kind == "reopen" and scope == extensions.NATION:
        result.problem = "開放重新填報請選擇一個縣市。"
        return result
    if scope != extensions.NATION and scope not in counties:
        result.problem = "找不到此縣市。"
        return result
    if kind == "exempt":
        return _plan_exempt(result, counties, data["codes"], today)
    stored = extensions.store(counties)
    current = stored.get((extensions.month_key(*ym), scope)) if stored is not None else None
    result.extension = current is None or current[0] != until
    scopes = [counties[scope]] if scope != extensions.NATION else list(counties.values())
    for county in scopes:
        for unit in county.values():
            item = _reopen_item(unit, ym, today) if kind == "reopen" else _extend_item(unit, ym, today)
            if item is not None:
                result.items.append(item)
    return result


def _state(unit, ym, today):
    state = unit.month_state(*ym, today)
    return state, workflow.STATE_LABELS.get(state, state)


def _reopen_item(unit, ym, today) -> Item | None:
    if not unit.is_open_in(*ym):
        return None
    state, label = _state(unit, ym, today)
    if state in workflow.FILED:
        return Item(unit.code, unit.name, label, "reopen", "", unit)
    if state in workflow.DATE_STATES:
        return Item(unit.code, unit.name, label, "extend", "尚未填報：以縣市延長期限開放", unit)
    return Item(unit.code, unit.name, label, "skip", "已在修改中或無需填報", unit)


def _extend_item(unit, ym, today) -> Item | None:
    if not unit.is_open_in(*ym):
        return None
    state, label = _state(unit, ym, today)
    if state in workflow.DATE_STATES:
        return Item(unit.code, unit.name, label, "extend", "", unit)
    return None


def _plan_exempt(result: Plan, counties, codes_text: str, today: dt.date) -> Plan:
    codes = [c for c in CODE_SPLIT.split(codes_text or "") if c]
    if not codes:
        result.problem = "請輸入要設定為無需填報的單位代碼（以換行、空白或逗號分隔）。"
        return result
    if len(codes) > MAX_CODES:
        result.problem = f"一次最多 {MAX_CODES} 個單位。"
        return result
    seen = set()
    for code in codes:
        if code in seen:
            continue
        seen.add(code)
        unit = counties.find_unit(code[:10])
        in_scope = unit is not None and (result.scope == extensions.NATION or unit.county_code == result.scope)
        if not in_scope:
            result.items.append(Item(code[:10], "", "", "missing", "代碼不存在或不在所選縣市"))
            continue
        state, label = _state(unit, result.ym, today)
        if state in workflow.DATE_STATES:
            result.items.append(Item(unit.code, unit.name, label, "exempt", "", unit))
        else:
            note = "已填報：請先撤銷填報" if state != workflow.EXEMPT else "已是無需填報"
            result.items.append(Item(unit.code, unit.name, label, "skip", note, unit))
    return result


def apply(counties, plan_now: Plan, who: str, now: dt.datetime) -> dict:
    """Apply a plan (the caller checked its digest); returns the counts of what changed."""
    done = {"reopen": 0, "exempt": 0, "extension": 0}
    if plan_now.extension:
        done["extension"] = int(extensions.put(counties, plan_now.scope, *plan_now.ym, plan_now.until,
                                               plan_now.reason, who, now))
    for item in plan_now.changes:
        report = item.unit.report(*plan_now.ym, create=True)
        if item.outcome == "reopen":
            report.admin_reopen(plan_now.until, plan_now.reason, who, now)
        else:
            report.admin_exempt(plan_now.reason, who, now)
        done[item.outcome] += 1
    return done


def summary(plan_now: Plan, done: dict) -> str:
    label = calendar.roc_month_label(*plan_now.ym)
    parts = []
    if done["extension"]:
        parts.append(f"填報期限延長至 {calendar.roc_date(plan_now.until)}")
    if done["reopen"]:
        parts.append(f"{done['reopen']} 個單位開放重新填報至 {calendar.roc_date(plan_now.until)}")
    if done["exempt"]:
        parts.append(f"{done['exempt']} 個單位設為無需填報")
    return f"{label}：" + ("；".join(parts) if parts else "沒有需要變更的項目") + "。"


def audit_detail(plan_now: Plan, done: dict) -> str:
    codes = ",".join(i.code for i in plan_now.changes)
    return (f"{plan_now.kind} {extensions.month_key(*plan_now.ym)} scope={plan_now.scope} "
            f"until={plan_now.until} done={done} reason={plan_now.reason} units={codes}")
