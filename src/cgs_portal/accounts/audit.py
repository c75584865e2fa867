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
    "desk.state": "管理者設定填報狀態",
    "desk.bulk": "管理者批次設定填報狀態",
    "desk.amendments": "批次審核修改申請",
}


LOGIN_MAX = 64
DETAIL_MAX = 500
PAGE_SIZE = 100


class AuditEntry(Persistent):
    def __init__(self, when, event, login, address, detail=""):
        self.when = when
        self.event = event
        self.login = login
        self.address = address
        self.detail = detail

    @property
    def label(self):
        return EVENTS.get(self.event, self.event)


def audit_log(root) -> LOBTree:
    return root.audit_log  # created by the accounts evolve step


def record(request, event: str, login: str | None, detail: str = "", *, root=None):
    """Append an event (joins the request's transaction)."""
    from ..resources.root import get_app_root
    from .throttle import client_address

    root = root if root is not None else get_app_root(request)
    now: dt.datetime = request.clock.now()
    log = audit_log(root)
    key = int(now.timestamp() * 1_000_000) * 100 + secrets.randbelow(100)
    while key in log:
        key += 1
    # Bounded whatever a client sent (schemas bound the fields; this is the last guard).
    log[key] = AuditEntry(now, event, (login or "")[:LOGIN_MAX], client_address(request)[:64],
                          detail[:DETAIL_MAX])
    return log[key]


def entries(root, *, event=None, login=None, since=None, until=None, limit=200, offset=0):
    """Newest-first entries matching the filters: ``limit`` of them after skipping ``offset``."""
    log = getattr(root, "audit_log", None)
    if log is None:
        return []
    found = []
    for key in reversed(log.keys()):
        entry = log[key]
        if since and entry.when < since:
            break
        if until and entry.when > until:
            continue
        if event and entry.event != event:
            continue
        if login and login.lower() not in entry.login.lower():
            continue
        if offset:
            offset -= 1
            continue
        found.append(entry)
        if len(found) >= limit:
            break
    return found
