"""The audit log of account events (register, activate, login ok/failed, lockout, …).

Entries are appended to an ``LOBTree`` keyed by a time-ordered integer, so that
concurrent appends rarely touch the same bucket and browsing newest-first is a
reverse range scan.
"""
from __future__ import annotations

import datetime as dt
import secrets

from BTrees.LOBTree import LOBTree
from persistent import Persistent

EVENTS = {
    "register": "註冊帳號",
    "activate": "開通帳號",
    "login.ok": "登入成功",
    "login.failed": "登入失敗",
    "login.locked": "登入鎖定",
    "logout": "登出",
    "password.change": "變更密碼",
    "password.forgot": "忘記密碼申請",
    "password.reset": "忘記密碼完成",
    "email.change": "變更信箱申請",
    "email.confirm": "變更信箱完成",
    "email.cancel": "變更信箱取消",
    "login.change": "變更登入帳號",
    "account.update": "更新承辦人資訊",
    "account.reset": "帳號重置",
    "account.create": "建立帳號",
    "account.disable": "停用帳號",
    "account.lookup": "帳號查詢",
    "reminder.resend": "補寄稽催信件",
    "reminder.closure": "登錄停班停課或補行上班",
    "content.announcement": "公告管理",
    "content.faq": "Q&A 管理",
    "content.document": "文件管理",
    "content.templates": "範本適用學期",
    "consult.open": "線上諮詢提問",
    "consult.answer": "線上諮詢回覆",
    "consult.close": "線上諮詢結案",
    "consult.reopen": "線上諮詢重新開啟",
    "unit.add": "新增單位",
    "unit.edit": "修改單位",
    "unit.close": "單位裁撤",
    "unit.reopen": "單位復校",
    "units.import": "匯入單位名錄",
    "records.read": "查閱單位填報紀錄",
    "account.enable": "啟用帳號",
    "account.unlock": "解除登入鎖定",
    "account.resend": "重寄開通信",
    "factor.enrol": "設定兩步驟驗證",
    "factor.failed": "兩步驟驗證失敗",
    "factor.locked": "兩步驟驗證鎖定",
    "factor.recovery": "更新復原碼",
    "factor.remove": "關閉兩步驟驗證",
    "factor.reset.request": "申請重設兩步驟驗證",
    "factor.reset.approve": "核准重設兩步驟驗證",
    "factor.reset.reject": "駁回重設兩步驟驗證",
    "desk.state": "管理者設定填報狀態",
    "desk.bulk": "管理者批次設定填報狀態",
    "desk.amendments": "批次審核修改申請",
}


FAMILIES = {"login": "登入相關（全部）", "account": "帳號管理（全部）", "factor": "兩步驟驗證（全部）"}


def families() -> dict:
    """Event families (the part before the first dot) offered as one filter, with labels."""
    found = {event.split(".")[0] for event in EVENTS if "." in event}
    return {name: FAMILIES.get(name, f"{name}.*（全部）") for name in sorted(found)}


LOGIN_MAX = 64
DETAIL_MAX = 500
PAGE_SIZE = 100


SCAN_LIMIT = 20_000  # entries one page of a filtered search may read before it stops
VALUE_MAX = 200  # a before/after value is cut to this many characters
FIELDS_MAX = 20


class AuditEntry(Persistent):
    # Attributes added after the first entries were written: class defaults keep them valid.
    actor = ""  # who made the change (the logged-in account), "" for the public
    unit = ""  # the unit code concerned, if any
    what = ""  # the object changed, in words (「單位 013601 2024-09」, an announcement's title…)
    before = None  # {field: value} before the change
    after = None  # {field: value} after it

    def __init__(self, when, event, login, address, detail="", *, actor="", unit="", what="",
                 before=None, after=None):
        self.when = when
        self.event = event
        self.login = login
        self.address = address
        self.detail = detail
        if actor:
            self.actor = actor
        if unit:
            self.unit = unit
        if what:
            self.what = what
        if before is not None:
            self.before = before
        if after is not None:
            self.after = after

    @property
    def label(self):
        return EVENTS.get(self.event, self.event)

    def changes(self) -> list[tuple[str, str, str]]:
        """``(field, before, after)`` of each field the entry records, in order."""
        before, after = self.before or {}, self.after or {}
        fields = list(before) + [f for f in after if f not in before]
        return [(f, before.get(f, ""), after.get(f, "")) for f in fields]


def audit_log(root) -> LOBTree:
    return root.audit_log  # created by the accounts evolve step


def _values(values) -> dict | None:
    """A bounded copy of a before/after mapping (strings only)."""
    if values is None:
        return None
    return {str(k)[:60]: ("" if v is None else str(v))[:VALUE_MAX] for k, v in list(values.items())[:FIELDS_MAX]}


def _actor(request) -> str:
    try:
        account = request.identity
    except AttributeError:  # a script's request without the security policy
        return ""
    return account.login if account is not None else ""


def key_of(moment: dt.datetime, low: bool = True) -> int:
    """The first (or last) key an entry written at ``moment`` can have."""
    return int(moment.timestamp() * 1_000_000) * 100 + (0 if low else 99)


def record(request, event: str, login: str | None, detail: str = "", *, root=None, unit=None,
           before=None, after=None, what=None):
    """Append an event (joins the request's transaction).

    ``unit`` (a unit code), ``what`` (the object changed) and ``before`` / ``after`` (mappings
    of the fields changed) are for administrative changes; the actor is the logged-in account.
    """
    from ..resources.root import get_app_root
    from .throttle import client_address

    root = root if root is not None else get_app_root(request)
    now: dt.datetime = request.clock.now()
    log = audit_log(root)
    key = key_of(now) + secrets.randbelow(100)
    while key in log:
        key += 1
    # Bounded whatever a client sent (schemas bound the fields; this is the last guard).
    log[key] = AuditEntry(now, event, (login or "")[:LOGIN_MAX], client_address(request)[:64],
                          detail[:DETAIL_MAX], actor=_actor(request)[:LOGIN_MAX],
                          unit=(unit or "")[:20], what=(what or "")[:DETAIL_MAX],
                          before=_values(before), after=_values(after))
    return log[key]


def _matches(entry, event, login, unit, exact=False) -> bool:
    if event and entry.event != event and not entry.event.startswith(event + "."):
        return False
    if login and exact and login not in (entry.login.lower(), entry.actor.lower()):
        return False
    if login and not exact and login not in entry.login.lower() and login not in entry.actor.lower():
        return False
    return not unit or entry.unit == unit


def search(root, *, event=None, login=None, unit=None, since=None, until=None, before_key=None,
           limit=PAGE_SIZE, scan_limit=SCAN_LIMIT, login_exact=False):
    """One page of matching entries, newest first, without reading the whole log.

    The time filters become a key range of the log (keys are time-ordered); inside it entries
    are read newest-first one key at a time (``maxKey``) and the other filters (event or event
    family, login or actor containing ``login`` — or equal to it with ``login_exact`` — unit code) tested, until ``limit`` match or
    ``scan_limit`` were read. ``before_key`` continues from a previous page.

    Returns ``{"entries": [(key, entry)], "next_key": key or None, "stopped_at": when or None}``:
    ``next_key`` continues to older entries; ``stopped_at`` is set when the scan limit stopped
    the page early (the entries older than it were not looked at yet).
    """
    log = getattr(root, "audit_log", None)
    found, result = [], {"entries": [], "next_key": None, "stopped_at": None}
    if log is None:
        return result
    low = key_of(since) if since else None
    high = key_of(until, low=False) if until else None
    if before_key is not None:
        high = before_key - 1 if high is None else min(high, before_key - 1)
    login = (login or "").lower()
    scanned = 0
    key = _max_key(log, high)
    while key is not None and (low is None or key >= low):
        entry = log[key]
        scanned += 1
        if _matches(entry, event, login, unit, login_exact):
            found.append((key, entry))
            if len(found) > limit:
                break
        if scanned >= scan_limit:
            result["stopped_at"] = entry.when
            result["next_key"] = key
            break
        key = _max_key(log, key - 1)
    if len(found) > limit:
        result["next_key"] = found[limit - 1][0]
    result["entries"] = found[:limit]
    return result


def _max_key(log, high):
    try:
        return log.maxKey() if high is None else log.maxKey(high)
    except ValueError:  # nothing at or below ``high``
        return None


def entries(root, *, event=None, login=None, since=None, until=None, limit=200, offset=0):
    """Newest-first entries matching the filters: ``limit`` of them after skipping ``offset``
    (for scripts and tests; the audit page uses :func:`search`)."""
    page = search(root, event=event, login=login, since=since, until=until, limit=limit + offset,
                  scan_limit=10 ** 9)
    return [entry for _key, entry in page["entries"]][offset:offset + limit]
