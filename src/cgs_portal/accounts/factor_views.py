"""The second step of the login (code, enrolment) and 兩步驟驗證 in 帳號管理."""
from __future__ import annotations

import itertools

import deform
from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config

from ..resources import PortalRoot
from ..resources.root import get_app_root
from ..security import Perm
from . import audit, factor
from .flows import complete_login
from .forms import make_form, process
from .models import find_account
from .schemas import MSG_CODE, FactorCodeSchema

PAGE = "cgs_portal:templates/accounts/factor.pt"
SETTINGS_PAGE = "cgs_portal:templates/accounts/two_factor.pt"
EXPIRED = "登入逾時或尚未輸入密碼，請重新登入。"


def _pending_account(request, *, enrolling: bool):
    """The half-logged-in account at the step this page is for, else None."""
    record = factor.pending(request)
    account = find_account(request, record["login"]) if record else None
    if account is None or not account.can_log_in or bool(record.get("nonce")) != enrolling:
        return None, None
    return record, account


def _back_to_login(request, message=EXPIRED):
    factor.drop_pending(request)
    request.session.flash(message, "info")
    return HTTPFound(location=request.resource_url(request.root, "login"))


def check_code(request, account, code: str, *, enrolling_secret=None):
    """One code attempt, rate-limited like the password: ``(used, None, False)`` or
    ``(None, message, locked)``. ``enrolling_secret``: the secret being enrolled (the account
    has none yet); ``used`` is then the code's time step."""
    root = get_app_root(request)
    until = factor.locked_until(request, root, account.login)
    if until is not None:
        return None, f"驗證碼錯誤次數過多，已暫停受理，請於 {until:%H:%M} 後再試。", True
    if enrolling_secret is not None:
        used = factor.matching_step(enrolling_secret, factor.normal_code(code), factor.current_step(request), None)
    else:
        used = factor.verify(request, account, code)
    if used is not None:
        factor.succeeded(root, account.login)
        return used, None, False
    locked = factor.failed(request, root, account.login)
    audit.record(request, "factor.failed", account.login, "驗證碼錯誤", root=root)
    if locked:
        audit.record(request, "factor.locked", account.login, "驗證碼連續錯誤，暫停登入", root=root)
        return None, "驗證碼錯誤次數過多，已暫停登入 15 分鐘，請稍後再試。", True
    return None, "驗證碼錯誤，請重新輸入（驗證碼每 30 秒更新一次）。", False


@view_config(context=PortalRoot, name="login-code", renderer=PAGE, permission=Perm.SITE_VIEW)
def login_code(request):
    """Step 2 of the login: the TOTP code (or a recovery code)."""
    record, account = _pending_account(request, enrolling=False)
    if account is None:
        return _back_to_login(request)
    form = make_form(request, FactorCodeSchema(), "驗證並登入", "factor-form")

    def success(data):
        used, error, locked = check_code(request, account, data["code"])
        if error is not None:
            return _back_to_login(request, error) if locked else error
        detail = "兩步驟驗證" if used == "totp" else f"使用復原碼（剩 {len(account.recovery_hashes)} 組）"
        return complete_login(request, account, record.get("came_from"), detail=detail)

    response, values = process(request, form, success)
    return response or {**values, "page_title": "兩步驟驗證", "enrolling": False, "login": account.login}


@view_config(context=PortalRoot, name="login-enrol", renderer=PAGE, permission=Perm.SITE_VIEW)
def login_enrol(request):
    """First login of an official: set up the authenticator app, keep the recovery codes."""
    record, account = _pending_account(request, enrolling=True)
    if account is None:
        return _back_to_login(request)
    secret = factor.enrol_secret(request, account.login, record["nonce"])
    codes = factor.recovery_codes(request, account.login, record["nonce"])
    form = make_form(request, FactorCodeSchema(), "完成設定並登入", "factor-form")

    def success(data):
        step, error, locked = check_code(request, account, data["code"], enrolling_secret=secret)
        if error is not None:
            return _back_to_login(request, error) if locked else error
        factor.enrol(account, secret, codes, step, request.clock.now())
        audit.record(request, "factor.enrol", account.login, "首次登入設定兩步驟驗證")
        return complete_login(request, account, record.get("came_from"), detail="兩步驟驗證（新設定）")

    response, values = process(request, form, success)
    return response or {**values, **enrol_values(secret, codes, account.login), "enrolling": True}


def enrol_values(secret, codes, login) -> dict:
    return {"page_title": "設定兩步驟驗證", "qr": factor.qr_svg(factor.provisioning_uri(secret, login)),
            "secret": factor.group(secret), "codes": codes, "login": login}


# 帳號管理 › 兩步驟驗證 -------------------------------------------------------------------
@view_config(context=PortalRoot, name="two-factor", renderer=SETTINGS_PAGE, permission=Perm.MEMBER)
def two_factor(request):
    """Turn the factor on (unit accounts) or renew the recovery codes; needs a current code."""
    account = request.identity
    nonce = request.session.get(factor.ENROL_KEY)
    if not isinstance(nonce, str):
        nonce = request.session[factor.ENROL_KEY] = factor.new_nonce()  # the cookie only
    enrolled = account.totp_secret is not None
    secret = account.totp_secret or factor.enrol_secret(request, account.login, nonce)
    codes = factor.recovery_codes(request, account.login, nonce)
    form = make_form(request, FactorCodeSchema(), "更新復原碼" if enrolled else "啟用兩步驟驗證", "factor-form")

    def success(data):
        used, error, _locked = check_code(request, account, data["code"],
                                          enrolling_secret=None if enrolled else secret)
        if error is not None:
            return error
        turn_on_or_renew(request, account, secret, codes, None if enrolled else used)
        request.session.pop(factor.ENROL_KEY, None)
        return HTTPFound(location=request.resource_url(request.root, "two-factor"))

    response, values = process(request, form, success)
    extra = {} if enrolled else enrol_values(secret, codes, account.login)
    return response or {**values, **extra, "page_title": "兩步驟驗證", "account": account, "codes": codes,
                        "enrolled": enrolled, "optional": not account.factor_required,
                        "off_form": off_form(request).render() if enrolled and not account.factor_required
                        else None}


def off_form(request):
    schema = FactorCodeSchema().bind(request=request)
    return deform.Form(schema, buttons=(deform.Button("submit", "關閉兩步驟驗證"),), formid="factor-off-form",
                       counter=itertools.count(100), action=request.resource_url(request.root, "two-factor-off"))


def turn_on_or_renew(request, account, secret, codes, step) -> None:
    """Enrol (``step`` of the verified code) or replace the recovery codes; audited."""
    if step is not None:
        factor.enrol(account, secret, codes, step, request.clock.now())
        sid = request.session.get("cgs.sid")
        request.session[factor.FACTOR_KEY] = sid  # this session proved the code
        ended = account.end_other_sessions(sid)
        audit.record(request, "factor.enrol", account.login, f"帳號管理啟用；結束其他 {ended} 個登入")
        request.session.flash("已啟用兩步驟驗證。下次登入時須輸入驗證碼，請妥善保存復原碼。", "info")
    else:
        factor.renew_recovery_codes(account, codes)
        audit.record(request, "factor.recovery", account.login, "更新復原碼")
        request.session.flash("已更新復原碼，舊的復原碼已失效。", "info")


@view_config(context=PortalRoot, name="two-factor-off", request_method="POST", permission=Perm.MEMBER)
def two_factor_off(request):
    """A unit account turns the (optional) factor off with a current code."""
    account = request.identity
    target = HTTPFound(location=request.resource_url(request.root, "two-factor"))
    if account.factor_required or account.totp_secret is None:
        request.session.flash("此帳號必須使用兩步驟驗證，無法關閉。" if account.factor_required
                              else "此帳號尚未啟用兩步驟驗證。", "info")
        return target
    try:
        data = off_form(request).validate(request.POST.items())
    except deform.ValidationFailure:
        request.session.flash(MSG_CODE, "info")
        return target
    used, error, _locked = check_code(request, account, data["code"])
    if error is not None:
        request.session.flash(error, "info")
        return target
    factor.remove(account)
    audit.record(request, "factor.remove", account.login, "帳號管理關閉兩步驟驗證")
    request.session.flash("已關閉兩步驟驗證。", "info")
    return target
