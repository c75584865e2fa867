"""Account flows that several account pages share (not a view module).

``views``, ``member_views``, ``admin_views`` and ``login`` import from here, never from
each other.
"""
from __future__ import annotations

from pyramid.csrf import new_csrf_token
from pyramid.httpexceptions import HTTPFound
from pyramid.security import remember

from ..resources.root import get_app_root
from ..security import new_session_id
from . import audit, factor, mails, passwords, throttle, tokens
from .captcha import check_code
from .models import STATUS_LABELS, unit_login
from .units import find_unit

FORM = "cgs_portal:templates/accounts/form.pt"


def secret(request) -> str:
    return request.registry.settings["cgs.session_secret"]


def required_page(request, account) -> str | None:
    """The page this account must complete before anything else, or None."""
    if account.needs_personal_id:
        return "change-login"
    if passwords.expired(account, request.clock.now()):
        return "change-password"
    return None


def landing_url(request, account, came_from=None) -> str:
    """Where a login lands: a required page first, else ``came_from`` (same site only), else home."""
    root = request.root
    page = required_page(request, account)
    if page is not None:
        return request.resource_url(root, page)
    if came_from and came_from.startswith("/") and not came_from.startswith("//"):
        return request.application_url + came_from
    return request.resource_url(root)


def complete_login(request, account, came_from=None, *, detail: str = "") -> HTTPFound:
    """Start a fresh session for ``account`` and send it where it should land.

    Called once every step is proven: the password (and, for a factor account, the code).
    """
    root = get_app_root(request)
    throttle.password_succeeded(root, account.login)
    response = HTTPFound(location=landing_url(request, account, came_from))
    request.session.invalidate()  # rotate the session on login
    sid = new_session_id()
    account.start_session(sid, request.clock.now())
    if account.uses_factor:
        request.session[factor.FACTOR_KEY] = sid
    response.headers.extend(remember(request, account.login, sid=sid))
    new_csrf_token(request)
    audit.record(request, "login.ok", account.login, detail, root=root)
    return response


def start_email_change(request, account, new_email, *, keep_sid):
    """Hold the new address, end other sessions, mail a confirmation link (and tell the old one)."""
    root = get_app_root(request)
    now = request.clock.now()
    ended = account.request_email_change(new_email, keep_sid=keep_sid)
    signed = tokens.issue(root, secret(request), tokens.EMAIL, account.login, now, payload=new_email,
                          address=new_email)
    mails.email_confirmation(request, account, new_email, signed, now + tokens.LIFETIME)
    if account.email and account.email.lower() != new_email.lower():
        cancel = tokens.issue(root, secret(request), tokens.CANCEL_EMAIL, account.login, now,
                              payload=new_email, address=account.email,
                              requested_from=throttle.client_address(request))
        mails.email_change_notice(request, account, new_email, cancel, now + tokens.LIFETIME)
    audit.record(request, "email.change", account.login, f"新信箱 {new_email}（待確認）")
    return ended


def prove_password(request, login, password, captcha, *, what: str):
    """``(account, None)`` when the captcha and then the password are right, else ``(None, message)``.

    Shares the login's lockout: a wrong password counts against the login and the address,
    a wrong captcha against the address only (and is checked first: no argon2 work for it).
    """
    root = get_app_root(request)
    until = throttle.password_locked_until(request, root, login)
    captcha_ok = check_code(request, captcha)  # used up either way
    if until is not None:
        return None, f"失敗次數過多，已暫停受理，請於 {until:%H:%M} 後再試。"
    if not captcha_ok:
        throttle.address_failed(request, root)
        audit.record(request, "login.failed", login, f"{what}：驗證碼錯誤")
        return None, "驗證碼錯誤，請重新輸入圖片中的 5 位數字。"
    account = root["accounts"].get(login)
    if account is None or not passwords.verify_password(account.password_hash, password):
        throttle.password_failed(request, root, login)
        audit.record(request, "login.failed", login, f"{what}：帳號或密碼錯誤")
        return None, "帳號或密碼錯誤，請重新輸入。"
    return account, None


def cancel_email_change(request, account) -> None:
    """Drop the pending e-mail change and void its confirmation links."""
    account.awaiting_email = None
    for token in tokens.token_store(get_app_root(request)).for_login(account.login):
        if token.purpose in (tokens.EMAIL, tokens.CANCEL_EMAIL) and token.used_at is None:
            token.superseded = True


def update_own_email(request, account, new_email: str) -> str | None:
    """帳號管理's e-mail field: typing the confirmed address again cancels a pending change,
    a new address starts one. The message to show; None when the address is unchanged."""
    if account.awaiting_email and new_email.lower() == account.email.lower():
        cancel_email_change(request, account)  # back to the confirmed address
        audit.record(request, "account.update", account.login, "取消信箱變更")
        return "已取消信箱變更，註冊信箱維持不變。"
    if new_email.lower() != (account.awaiting_email or account.email).lower():
        ended = start_email_change(request, account, new_email, keep_sid=request.session.get("cgs.sid"))
        note = f"（其他裝置上的 {ended} 個登入已登出）" if ended else ""
        return f"確認信已寄至新信箱 {new_email}。請點選信中的連結確認；確認前，登出後將無法再登入。{note}"
    return None


def set_personal_id(request, account, personal_id: str) -> str:
    """變更登入帳號: re-key the account (and its links) as ``unit_personal``; returns the new login."""
    root = get_app_root(request)
    old = account.login
    new = unit_login(account.unit_code, personal_id)
    root["accounts"].rename(account, new)
    account.personal_id = personal_id
    tokens.token_store(root).rename_login(old, new)
    audit.record(request, "login.change", new, f"{old} → {new}")
    return new


def reset_account(request, account, unit, reason: str, note: str) -> None:
    """帳號重置: disable the unit's account, tell its holder, record who did it and why."""
    full_reason = reason + (f"；{note}" if note else "")
    before = account.status
    account.disable(request.clock.now(), full_reason)
    if account.email:
        mails.reset_notice(request, account, unit.name, reason)
    audit.record(request, "account.reset", account.login,
                 f"{unit.code} {unit.name}；原因：{full_reason}；操作者：{request.identity.login}",
                 unit=unit.code, what=f"{unit.code} {unit.name}", before={"狀態": STATUS_LABELS[before]},
                 after={"狀態": STATUS_LABELS[account.status]})


def register_unit_account(request, data):
    """新建帳號: a pending account for the chosen unit and its activation mail."""
    root = get_app_root(request)
    now = request.clock.now()
    unit = find_unit(root, data["unit_code"])
    account = root["accounts"].register(
        unit, data["personal_id"], data["password"], now,
        name=data["name"].strip(), phone=data["phone"].strip(), email=data["email"].strip())
    signed = tokens.issue(root, secret(request), tokens.ACTIVATE, account.login, now, address=account.email)
    mails.activation(request, account, signed, now + tokens.LIFETIME)
    audit.record(request, "register", account.login, f"{unit.code} {unit.name}")
    return account


def request_password_reset(request, login: str, email: str, password: str) -> None:
    """忘記密碼: when the login and e-mail match, mail a link that sets ``password`` (or say why
    it may not be used). What happened is told to the mailbox and the audit log only."""
    root = get_app_root(request)
    now = request.clock.now()
    account = root["accounts"].get(login)
    matches = account is not None and account.may_recover(email)
    if matches:
        problems = account.password_problems(password)
        if problems:
            mails.password_refused(request, account, problems)
        else:
            signed = tokens.issue(root, secret(request), tokens.PASSWORD, login, now,
                                  payload=passwords.hash_password(password), address=account.email,
                                  requested_from=throttle.client_address(request))
            mails.password_confirmation(request, account, signed, now + tokens.LIFETIME)
    audit.record(request, "password.forgot", login, "帳號與 Email 相符" if matches else "不相符")
