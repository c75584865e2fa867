"""Login, logout, the home page, public information pages and error pages."""
from __future__ import annotations

import colander
import deform
from pyramid.csrf import new_csrf_token
from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import HTTPForbidden, HTTPFound, HTTPNotFound
from pyramid.security import forget, remember
from pyramid.view import forbidden_view_config, notfound_view_config, view_config

from .. import calendar
from ..accounts import audit
from ..accounts.models import find_account
from ..accounts.passwords import verify_password
from ..forms import CSRFSchema, field_errors
from ..resources import PortalRoot
from ..resources.root import get_app_root
from ..security import Perm, new_session_id
from . import throttle
from .captcha import check_code

GENERIC_LOGIN_ERROR = "帳號、密碼或驗證碼錯誤，請重新輸入。"
PASSWORD_MAX_AGE_DAYS = 180


class LoginSchema(CSRFSchema):
    login = colander.SchemaNode(
        colander.String(),
        title="帳號",
        missing_msg="請輸入帳號",
        widget=deform.widget.TextInputWidget(autocomplete="username"),
    )
    password = colander.SchemaNode(
        colander.String(),
        title="密碼",
        missing_msg="請輸入密碼",
        widget=deform.widget.PasswordWidget(autocomplete="current-password"),
    )
    captcha = colander.SchemaNode(
        colander.String(),
        title="驗證",
        missing_msg="請輸入圖片中的 5 位數字",
        widget=deform.widget.TextInputWidget(template="captcha", autocomplete="off"),
    )


def login_form(request):
    schema = LoginSchema().bind(request=request)
    return deform.Form(schema, buttons=(deform.Button("submit", "登入"),), formid="login-form")


def announcements(request):
    root = get_app_root(request)
    return list(root.announcements)


@view_config(context=PortalRoot, renderer="cgs_portal:templates/site/home.pt", permission=Perm.SITE_VIEW)
def home(request):
    account = request.identity
    if account is None:
        return login_page(request)
    return {"account": account, "page_title": "首頁"}


@view_config(
    context=PortalRoot,
    name="login",
    renderer="cgs_portal:templates/site/login.pt",
    permission=Perm.SITE_VIEW,
)
def login_page(request):
    request.override_renderer = "cgs_portal:templates/site/login.pt"
    form = login_form(request)
    error = None
    came_from = request.params.get("came_from", "")
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
    return {
        "form": form.render() if not getattr(form, "error", None) else form.render(),
        "error": error,
        "announcements": announcements(request),
        "came_from": came_from,
        "page_title": "登入系統",
    }


def authenticate(request, appstruct) -> dict:
    """Check the captcha, throttles and password; log in or say what failed (generically)."""
    root = get_app_root(request)
    now = request.clock.now()
    login = appstruct["login"].strip()
    keys = [f"login:{login.lower()}", f"ip:{throttle.client_address(request)}"]
    until = throttle.locked_until(root, keys, now)
    if until is not None:
        check_code(request, appstruct["captcha"])  # used up either way
        audit.record(request, "login.locked", login, "鎖定中仍嘗試登入", root=root)
        return {
            "error": f"登入失敗次數過多，已暫停登入，請於 {until:%H:%M} 後再試。"
            " 若忘記密碼，請使用「忘記密碼」功能。"
        }
    captcha_ok = check_code(request, appstruct["captcha"])
    account = find_account(request, login)
    password_ok = verify_password(account.password_hash if account else None, appstruct["password"])
    if not (captcha_ok and password_ok and account is not None):
        locked = throttle.record_failure(root, keys, now)
        audit.record(
            request, "login.failed", login, "驗證碼錯誤" if not captcha_ok else "帳號或密碼錯誤", root=root
        )
        if locked:
            audit.record(request, "login.locked", login, "連續失敗 5 次，鎖定 15 分鐘", root=root)
            return {"error": "登入失敗次數過多，已暫停登入 15 分鐘，請稍後再試。"}
        return {"error": GENERIC_LOGIN_ERROR}
    if account.status == "pending":
        return {"error": "帳號尚未開通：請至註冊的 Email 信箱點選開通帳號連結後再登入。"}
    if account.status != "active":
        return {"error": "此帳號已停用（帳號重置）。請至「新建帳號」重新註冊，或聯繫系統客服。"}
    if account.awaiting_email:
        return {"error": "信箱變更尚未確認：請至新信箱點選確認連結後再登入。"}
    throttle.clear(root, keys[:1])
    response = HTTPFound(location=landing_url(request, account, request.params.get("came_from")))
    request.session.invalidate()  # rotate the session on login
    sid = new_session_id()
    account.start_session(sid, now)
    response.headers.extend(remember(request, account.login, sid=sid))
    new_csrf_token(request)
    audit.record(request, "login.ok", account.login, root=root)
    return {"response": response}


def password_expired(account, now) -> bool:
    changed = account.password_changed_at
    return bool(account.must_change_password) or (
        changed is not None and (now - changed).days >= PASSWORD_MAX_AGE_DAYS
    )


def landing_url(request, account, came_from=None) -> str:
    root = request.root
    if account.needs_personal_id:
        return request.resource_url(root, "change-login")
    if password_expired(account, request.clock.now()):
        return request.resource_url(root, "change-password")
    if came_from and came_from.startswith("/") and not came_from.startswith("//"):
        return request.application_url + came_from
    return request.resource_url(root)


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


@view_config(
    context=PortalRoot,
    name="logout",
    request_method="GET",
    renderer="cgs_portal:templates/site/logout.pt",
    permission=Perm.SITE_VIEW,
)
def logout_confirm(request):
    return {"page_title": "登出"}


@forbidden_view_config(renderer="cgs_portal:templates/site/forbidden.pt")
def forbidden(request):
    if request.identity is None and request.method == "GET":
        from urllib.parse import quote

        return HTTPFound(
            location=request.application_url + "/login?came_from=" + quote(request.path_qs, safe="")
        )
    request.response.status = 403
    return {"page_title": "無權限", "csrf": False}


@view_config(context=BadCSRFToken, renderer="cgs_portal:templates/site/forbidden.pt")
def bad_csrf(request):
    """A forged or expired form: refuse it with a message, never a traceback."""
    request.response.status = 400
    return {"page_title": "表單已失效", "csrf": True}


@notfound_view_config(renderer="cgs_portal:templates/site/notfound.pt")
def notfound(request):
    request.response.status = 404
    return {"page_title": "找不到網頁"}


def today_label(request) -> str:
    return calendar.roc_date(request.clock.today())


__all__ = ["HTTPForbidden", "HTTPNotFound", "today_label"]
