"""Login and logout: the captcha, the lockout, the account's state, the session."""
from __future__ import annotations

import hashlib
import hmac
import secrets

import colander
import deform
from pyramid.httpexceptions import HTTPFound
from pyramid.security import forget
from pyramid.view import view_config

from ..forms import CSRFSchema, bounded_text, field_errors
from ..resources import PortalRoot
from ..resources.root import get_app_root
from ..security import Perm
from . import audit, factor, throttle
from .captcha import check_code
from .flows import complete_login
from .models import PENDING, find_account
from .passwords import MAX_LENGTH, verify_password
from .schemas import captcha_node

GENERIC_LOGIN_ERROR = "帳號、密碼或驗證碼錯誤，請重新輸入。"
LOGIN_PAGE = "cgs_portal:templates/accounts/login.pt"


class LoginSchema(CSRFSchema):
    login = colander.SchemaNode(
        colander.String(),
        title="帳號",
        missing_msg="請輸入帳號",
        validator=bounded_text(40, max_err="帳號太長。"),
        widget=deform.widget.TextInputWidget(autocomplete="username"),
    )
    password = colander.SchemaNode(
        colander.String(),
        title="密碼",
        missing_msg="請輸入密碼",
        validator=bounded_text(MAX_LENGTH * 4, max_err="密碼太長。"),
        widget=deform.widget.PasswordWidget(autocomplete="current-password"),
    )
    captcha = captcha_node()


def login_form(request):
    schema = LoginSchema().bind(request=request)
    return deform.Form(schema, buttons=(deform.Button("submit", "登入"),), formid="login-form")


def announcements(request):
    from ..site.announcements import public_announcements

    return public_announcements(get_app_root(request), request.clock.today())


@view_config(context=PortalRoot, name="login", renderer=LOGIN_PAGE, permission=Perm.SITE_VIEW)
def login_page(request):
    request.override_renderer = LOGIN_PAGE
    form = login_form(request)
    error = None
    if request.method == "POST" and "submit" in request.POST:
        try:
            appstruct = form.validate(request.POST.items())
        except deform.ValidationFailure as failure:
            form = failure.field
            error = "；".join(field_errors(form)) or GENERIC_LOGIN_ERROR
        else:
            outcome = authenticate(request, appstruct)
            if outcome.get("response") is not None:
                return outcome["response"]
            error = outcome["error"]
            form = login_form(request)
            form.set_appstruct({"login": appstruct["login"]})
    return {"form": form.render(), "error": error, "announcements": announcements(request),
            "came_from": request.params.get("came_from", ""), "page_title": "登入系統"}


def authenticate(request, appstruct) -> dict:
    """Check the throttles, the captcha, then the password; log in or say what failed (generically).

    The captcha comes before the password: no argon2 work for a request that has not proven
    a human is there.
    """
    root = get_app_root(request)
    login = appstruct["login"].strip()
    until = throttle.password_locked_until(request, root, login)
    captcha_ok = check_code(request, appstruct["captcha"])  # used up either way
    if until is not None:
        audit.record(request, "login.locked", login, "鎖定中仍嘗試登入", root=root)
        return {"error": f"登入失敗次數過多，已暫停登入，請於 {until:%H:%M} 後再試。"
                         " 若忘記密碼，請使用「忘記密碼」功能。"}
    if not captcha_ok:
        return {"error": _failed(request, root, login, captcha_ok)}
    account = find_account(request, login)
    password_ok = password_matches(request, account.password_hash if account else None, appstruct["password"])
    if not (password_ok and account is not None):
        return {"error": _failed(request, root, login, captcha_ok)}
    if not account.can_log_in:
        return {"error": refusal(account)}
    came_from = request.params.get("came_from")
    if account.uses_factor:
        throttle.password_succeeded(root, account.login)
        factor.start_pending(request, account, came_from)
        page = "login-code" if account.totp_secret else "login-enrol"
        return {"response": HTTPFound(location=request.resource_url(request.root, page))}
    return {"response": complete_login(request, account, came_from)}


PASSWORD_CHECKS = "cgs.password_checks"  # environ key: this request's verification results
_CHECK_KEY = secrets.token_bytes(32)  # this process's: a digest in an environ means nothing elsewhere


def password_matches(request, stored_hash: str | None, password: str) -> bool:
    """``verify_password``, at most once per request for one stored hash and password.

    pyramid_retry runs a request again with the same WSGI environ after a ConflictError. With
    the production argon2 parameters a verification costs 0.2–0.25 CPU s, so redoing it made
    every retry as slow as the first attempt (and another conflict as likely). The result of an
    earlier attempt of this request is kept in the environ under an HMAC (a key of this
    process) of the stored hash and the password — never the password itself; a hash that
    changed between attempts (a password change committed meanwhile) is verified anew.
    """
    checks = request.environ.setdefault(PASSWORD_CHECKS, {})
    digest = hmac.new(_CHECK_KEY, f"{stored_hash or ''}\0{password}".encode("utf-8", "surrogatepass"),
                      hashlib.sha256).digest()
    if digest not in checks:
        checks[digest] = verify_password(stored_hash, password)
    return checks[digest]


def _failed(request, root, login, captcha_ok) -> str:
    if captcha_ok:
        locked = throttle.password_failed(request, root, login)
    else:
        locked = throttle.address_failed(request, root)
    audit.record(request, "login.failed", login, "驗證碼錯誤" if not captcha_ok else "帳號或密碼錯誤",
                 root=root)
    if not locked:
        return GENERIC_LOGIN_ERROR
    minutes = throttle.LOCK_MINUTES
    audit.record(request, "login.locked", login,
                 f"連續失敗 {throttle.MAX_FAILURES} 次，鎖定 {minutes} 分鐘", root=root)
    return f"登入失敗次數過多，已暫停登入 {minutes} 分鐘，請稍後再試。"


def refusal(account) -> str:
    """Why an account with the right password may not log in (``can_log_in`` is False)."""
    if account.status == PENDING:
        return "帳號尚未開通：請至註冊的 Email 信箱點選開通帳號連結後再登入。"
    if not account.is_active:
        return "此帳號已停用（帳號重置）。請至「新建帳號」重新註冊，或聯繫系統客服。"
    return "信箱變更尚未確認：請至新信箱點選確認連結後再登入。"


@view_config(context=PortalRoot, name="logout", request_method="POST", permission=Perm.SITE_VIEW)
def logout(request):
    account = request.identity
    if account is not None:
        account.end_session(request.session.get("cgs.sid"))
        audit.record(request, "logout", account.login)
    headers = forget(request)
    request.session.invalidate()
    request.session.flash("您已登出。", "info")
    return HTTPFound(location=request.resource_url(request.root, "login"), headers=headers)


@view_config(context=PortalRoot, name="logout", request_method="GET",
             renderer="cgs_portal:templates/accounts/logout.pt", permission=Perm.SITE_VIEW)
def logout_confirm(request):
    return {"page_title": "登出"}
