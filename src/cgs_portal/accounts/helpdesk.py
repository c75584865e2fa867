"""客服 (helpdesk) work on accounts: finding units and accounts, unlocking, resending the
activation mail, and the second-factor resets an administrator must approve.

Nothing here reads a report: a unit's page shows its accounts, never its filings.
"""
from __future__ import annotations

import datetime as dt
import secrets

from BTrees.OOBTree import OOBTree
from persistent import Persistent

from . import audit, factor, mails, throttle, tokens
from .models import PENDING, STATUS_LABELS  # noqa: F401 - the pages read it here
from .units import _normal

PAGE_SIZE = 20
PENDING_RESET, APPROVED, REJECTED = "pending", "approved", "rejected"
RESET_STATES = {PENDING_RESET: "待核准", APPROVED: "已核准", REJECTED: "已駁回"}


# finding ---------------------------------------------------------------------------------
def _account_matches(account, key: str) -> bool:
    return (key in account.login.lower() or key in _normal(account.name) or key in account.email.lower()
            or key in (account.awaiting_email or "").lower() or (len(key) >= 4 and key in (account.phone or "")))


def find(root, keyword: str) -> list[tuple[str, object]]:
    """Every unit (code, name) and every account (login, contact name, e-mail, phone) matching
    ``keyword``: units first by code, then accounts by login. No cut: the page pages them."""
    key = _normal(keyword)
    if not key:
        return []
    units = [u for county in root["counties"].values() for u in county.values()
             if key in _normal(u.name) or key in u.code.lower()]
    accounts = [a for a in root["accounts"].values() if _account_matches(a, key)]
    units.sort(key=lambda u: u.code)
    accounts.sort(key=lambda a: a.login)
    return [("unit", u) for u in units] + [("account", a) for a in accounts]


def page_of(items: list, page: int, size: int = PAGE_SIZE) -> dict:
    pages = max(1, -(-len(items) // size))
    page = min(max(page, 1), pages)
    start = (page - 1) * size
    return {"items": items[start:start + size], "page": page, "pages": pages, "total": len(items),
            "first": start + 1}


def locked_until(request, root, account) -> dt.datetime | None:
    keys = [throttle.bounded_key("login", account.login), throttle.bounded_key("factor", account.login)]
    return throttle.locked_until(root, keys, request.clock.now())


# actions ---------------------------------------------------------------------------------
def unlock(request, root, account, note: str) -> str:
    """Clear the login's password and code lockouts (the caller's address keeps its own)."""
    until = locked_until(request, root, account)
    throttle.clear(root, [throttle.bounded_key("login", account.login),
                          throttle.bounded_key("factor", account.login)])
    audit.record(request, "account.unlock", account.login, note, unit=account.unit_code,
                 before={"登入鎖定": f"至 {until:%H:%M}" if until else "未鎖定"}, after={"登入鎖定": "未鎖定"})
    return f"已解除帳號「{account.login}」的登入鎖定。"


def resend_activation(request, root, account, note: str) -> str:
    """A fresh activation (unit) or set-password (official) link to the registered address."""
    from .flows import secret

    if account.status != PENDING or not account.email:
        return f"帳號「{account.login}」不是待開通狀態，不需重寄開通信。"
    now = request.clock.now()
    expires = now + tokens.LIFETIME
    if account.password_hash:  # a unit's registration: the activation link
        signed = tokens.issue(root, secret(request), tokens.ACTIVATE, account.login, now, address=account.email)
        mails.activation(request, account, signed, expires)
        account.created_at = now  # a resent activation holds the unit for another day
    else:  # an official who never set a password
        signed = tokens.issue(root, secret(request), tokens.SETUP, account.login, now, address=account.email)
        mails.set_password_invitation(request, account, signed, expires, created_by="系統客服")
    audit.record(request, "account.resend", account.login, note, unit=account.unit_code,
                 after={"寄送至": account.email})
    return f"已重寄開通信至 {account.email}（{tokens.LIFETIME_HOURS} 小時內有效，舊連結失效）。"


# second-factor resets (helpdesk asks, a national administrator approves) ----------------
class FactorReset(Persistent):
    def __init__(self, request_id, login, reason, requested_by, requested_at):
        self.id = request_id
        self.login = login
        self.reason = reason
        self.requested_by = requested_by
        self.requested_at = requested_at
        self.state = PENDING_RESET
        self.decided_by = ""
        self.decided_at = None

    @property
    def state_label(self):
        return RESET_STATES[self.state]


def reset_store(root) -> OOBTree:
    return root.factor_resets  # created by the accounts evolve step 6


def reset_requests(root, limit: int = 50) -> list[FactorReset]:
    """Pending requests first, then the latest decided ones (ids are time-ordered)."""
    store = reset_store(root)
    found = list(store.values())[-500:]
    found.reverse()
    return sorted(found, key=lambda r: r.state != PENDING_RESET)[:limit]


def request_factor_reset(request, root, login: str, reason: str) -> str | None:
    """File a reset of ``login``'s second factor; an error message, or None when filed."""
    account = root["accounts"].get(login.strip())
    me = request.identity.login
    if account is None or account.totp_secret is None:
        return "找不到已設定兩步驟驗證的此帳號。"
    if account.login == me:
        return "不可為自己的帳號申請重設；請由其他客服人員或管理者申請。"
    if any(r.login == account.login and r.state == PENDING_RESET for r in reset_store(root).values()):
        return "此帳號已有待核准的重設申請。"
    now = request.clock.now()
    request_id = f"{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
    reset_store(root)[request_id] = FactorReset(request_id, account.login, reason, me, now)
    audit.record(request, "factor.reset.request", account.login, reason, unit=account.unit_code,
                 what=f"申請編號 {request_id}")
    return None


def decide_factor_reset(request, root, request_id: str, approve: bool) -> str:
    """A national administrator approves (the factor is removed, every session ends) or rejects."""
    item = reset_store(root).get(request_id)
    me = request.identity.login
    if item is None or item.state != PENDING_RESET:
        return "找不到此待核准的申請。"
    if me in (item.requested_by, item.login):
        return "申請人或被重設的帳號本人不可核准此申請，請由其他國家管理者核准。"
    account = root["accounts"].get(item.login)
    item.state, item.decided_by, item.decided_at = (APPROVED if approve else REJECTED), me, request.clock.now()
    if not approve or account is None:
        audit.record(request, "factor.reset.reject", item.login, item.reason, what=f"申請編號 {request_id}")
        return f"已駁回 {item.login} 的重設申請。"
    before = {"兩步驟驗證": "已設定" if account.totp_secret else "未設定"}
    factor.remove(account)
    ended = account.end_other_sessions(None)
    audit.record(request, "factor.reset.approve", account.login, f"申請人：{item.requested_by}；{item.reason}",
                 unit=account.unit_code, what=f"申請編號 {request_id}", before=before,
                 after={"兩步驟驗證": "未設定（下次登入重新設定）", "登入": f"結束 {ended} 個"})
    return f"已核准：{account.login} 的兩步驟驗證已重設，下次登入時須重新設定。"

