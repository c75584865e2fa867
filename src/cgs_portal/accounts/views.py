"""The public account pages: 新建帳號, 帳號查詢, 忘記密碼, 變更信箱, e-mail links, unit search."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config

from ..calendar import roc_datetime
from ..resources import PortalRoot
from ..resources.root import get_app_root
from ..security import Perm
from . import audit, mails, passwords, throttle, tokens
from .flows import (
    FORM,
    cancel_email_change,
    prove_password,
    register_unit_account,
    request_password_reset,
    secret,
    start_email_change,
)
from .forms import make_form, process, rate_limit
from .models import ACTIVE, DISABLED
from .schemas import (
    ChangeEmailSchema,
    ForgotPasswordSchema,
    LookupSchema,
    RegisterSchema,
    SetPasswordSchema,
)
from .units import CATEGORIES, county_name, search_units_counted, unit_label


def _scripts(request):
    return [request.static_url("cgs_portal:static/accounts.js")]


def _unit_search(request):
    """The category/keyword search of the registration and lookup pages (GET, no JS needed)."""
    category = request.params.get("category", "")
    keyword = request.params.get("q", "").strip()[:40]
    matches, total = (search_units_counted(get_app_root(request), category, keyword)
                      if keyword else ([], 0))
    return {
        "categories": CATEGORIES,
        "category": category if category in CATEGORIES else "",
        "keyword": keyword,
        "matches": matches,
        "searched": bool(keyword),
        "more": total - len(matches),  # shown as 「另有 N 筆」: never cut the list silently
        "choices": [(u.code, unit_label(u)) for u in matches],
    }


@view_config(context=PortalRoot, name="unit-search", renderer="json", permission=Perm.SITE_VIEW)
def unit_search_json(request):
    """Matches for the JavaScript enhancement of the unit search.

    ``detail=1`` (what the portal's script asks for) adds each unit's county and the
    count of matches not listed; without it the answer keeps its first shape.
    """
    search = _unit_search(request)
    if request.params.get("detail") != "1":
        return {"units": [{"code": u.code, "name": u.name} for u in search["matches"]]}
    return {"units": [{"code": u.code, "name": u.name, "county": county_name(u)}
                      for u in search["matches"]],
            "more": search["more"]}


def _unit_page_values(request, search, lookup: bool, **values):
    """What register.pt shows for 新建帳號 (lookup=False) or 帳號查詢 (lookup=True)."""
    return {**search, **values, "page_title": "帳號查詢" if lookup else "新建帳號",
            "scripts": _scripts(request), "lookup": lookup, "rules": [] if lookup else passwords.rules()}


def _unit_form_page(request, search, form, success, *, lookup: bool):
    """Run a form that picks a unit from the search step (its category and single match prefilled)."""
    appstruct = {"category": search["category"]} if search["category"] else {}
    if len(search["matches"]) == 1:
        appstruct["unit_code"] = search["matches"][0].code
    response, values = process(request, form, success, appstruct=appstruct)
    if response is not None:
        return response
    return _unit_page_values(request, search, lookup, **values)


# 新建帳號 --------------------------------------------------------------------------
@view_config(context=PortalRoot, name="register", renderer="cgs_portal:templates/accounts/register.pt",
             permission=Perm.SITE_VIEW)
def register(request):
    search = _unit_search(request)
    form = make_form(request, RegisterSchema(), "送出", "register-form", unit_choices=search["choices"])
    if request.method == "POST" and "submit" in request.POST:
        limited = rate_limit(request, "register", [request.POST.get("unit_code", "")[:10]],
                             limit=10, per_ip=20)
        if limited:
            return _unit_page_values(request, search, False, form=form.render(), errors=[limited])

    def success(data):
        account = register_unit_account(request, data)
        request.session.flash(
            f"註冊完成！開通帳號信件已寄至 {account.email}，請點選信中的連結開通帳號後，"
            f"以「{account.login}」登入系統。", "info")
        return HTTPFound(location=request.resource_url(request.root, "login"))

    return _unit_form_page(request, search, form, success, lookup=False)


# 帳號查詢 --------------------------------------------------------------------------
LOOKUP_ANSWER = (
    "查詢已受理。若此單位已有帳號，登入帳號已寄至該帳號的註冊信箱（為保護個人資料，帳號不會顯示在畫面上）。"
    "若未收到信件或註冊信箱已無法使用，請聯繫系統客服。"
)


@view_config(context=PortalRoot, name="lookup", renderer="cgs_portal:templates/accounts/register.pt",
             permission=Perm.SITE_VIEW)
def lookup(request):
    search = _unit_search(request)
    form = make_form(request, LookupSchema(), "查詢", "lookup-form", unit_choices=search["choices"])

    def success(data):
        limited = rate_limit(request, "lookup", [data["unit_code"]], limit=3)
        if limited:
            return limited
        accounts = get_app_root(request)["accounts"]
        holder = accounts.active_for_unit(data["unit_code"])
        if holder is not None and holder.email:
            mails.login_reminder(request, holder)
        audit.record(request, "account.lookup", holder.login if holder else "",
                     f"查詢單位 {data['unit_code']}")
        request.session.flash(LOOKUP_ANSWER, "info")
        return HTTPFound(location=request.resource_url(request.root, "lookup"))

    return _unit_form_page(request, search, form, success, lookup=True)


# 忘記密碼 --------------------------------------------------------------------------
FORGOT_ANSWER = (
    "申請已受理。若帳號與註冊 Email 相符，確認信已寄至該信箱；請點選信中的連結，新密碼才會生效。"
    "若未收到信件或註冊信箱已無法使用，請聯繫系統客服申請帳號重置。"
)


FORGOT_INTRO = ("請輸入帳號、建立帳號時設定的 Email 及新密碼。送出後系統會寄出確認信，"
                "點選信中的連結後新密碼才會生效。",
                "若帳號所註冊的信箱已不能使用，請致電系統客服申請帳號重置。")


@view_config(context=PortalRoot, name="forgot-password", renderer=FORM, permission=Perm.SITE_VIEW)
def forgot_password(request):
    form = make_form(request, ForgotPasswordSchema(), "確定", "forgot-form")

    def success(data):
        login = data["login"].strip()
        limited = rate_limit(request, "forgot", [login], limit=3)
        if limited:
            return limited
        request_password_reset(request, login, data["email"].strip(), data["password"])
        request.session.flash(FORGOT_ANSWER, "info")
        return HTTPFound(location=request.resource_url(request.root, "forgot-password"))

    response, values = process(request, form, success)
    if response is not None:
        return response
    return {**values, "page_title": "忘記密碼", "rules": passwords.rules(), "intro": list(FORGOT_INTRO)}


# 變更信箱 --------------------------------------------------------------------------
@view_config(context=PortalRoot, name="change-email", renderer=FORM, permission=Perm.SITE_VIEW)
def change_email(request):
    form = make_form(request, ChangeEmailSchema(), "確定", "change-email-form")

    def success(data):
        account, problem = prove_password(request, data["login"].strip(), data["password"],
                                          data["captcha"], what="變更信箱")
        if problem:
            return problem
        if account.status == DISABLED:
            return "此帳號已停用（帳號重置），請至「新建帳號」重新註冊，或聯繫系統客服。"
        new_email = data["email"].strip()
        start_email_change(request, account, new_email, keep_sid=None)
        request.session.flash(
            f"確認信已寄至新信箱 {new_email}。請點選信中的連結確認；確認前此帳號無法登入。", "info")
        return HTTPFound(location=request.resource_url(request.root, "login"))

    response, values = process(request, form, success)
    if response is not None:
        return response
    return {**values, "page_title": "變更信箱", "rules": [],
            "intro": ["公務信箱如有更換，可在此變更帳號註冊的信箱。確認後請至新信箱點選確認信件中的連結，"
                      "確認前無法登入系統。",
                      "若忘記密碼且註冊信箱已無法使用，請聯繫系統客服進行帳號重置（另需更換帳號）。"]}


# E-mail links -----------------------------------------------------------------------
PROBLEMS = {
    tokens.INVALID: "此連結無效（網址不完整或已被修改）。請確認是否完整複製信件中的連結。",
    tokens.EXPIRED: f"此連結已逾期（連結於寄出後 {tokens.LIFETIME_HOURS} 小時失效）。",
    tokens.USED: "此連結已使用過（每個連結只能使用一次）。",
    tokens.SUPERSEDED: "此連結已失效：之後又寄出了一封新的信件，請使用最新一封信中的連結。",
    tokens.MOOT: "此信箱變更已確認或已取消，此連結不再需要。若不是您本人申請變更，請聯繫系統客服。",
}
DONE = {
    tokens.ACTIVATE: "帳號已開通，請登入系統。",
    tokens.PASSWORD: "新密碼已生效，請以新密碼登入系統。",
    tokens.EMAIL: "新信箱已確認，請登入系統。",
    tokens.CANCEL_EMAIL: "已取消信箱變更，註冊信箱維持不變；此帳號的登入已全部登出。"
                         "若密碼可能外洩，請使用「忘記密碼」重設密碼。",
}


PASSWORD_NOT_RETYPED = ("輸入的密碼與申請時設定的新密碼不一致，新密碼未生效。若您沒有申請忘記密碼，"
                        "請不要理會此信件，密碼不會變更。")


@view_config(context=PortalRoot, name="confirm", renderer="cgs_portal:templates/accounts/confirm.pt",
             permission=Perm.SITE_VIEW)
def confirm(request):
    """GET shows what the link will do; POST does it (mail scanners that prefetch links do nothing)."""
    signed = request.params.get("t", "")
    token, problem, account = _link(request, signed)
    if token is not None and token.purpose == tokens.SETUP:
        return HTTPFound(location=request.resource_url(request.root, "set-password", query={"t": signed}))
    if request.method == "POST" and "resend" in request.POST and token is not None:
        message = resend(request, token)
        request.session.flash(message, "info")
        return HTTPFound(location=request.resource_url(request.root, "login"))
    error = None
    if request.method == "POST" and "confirm" in request.POST and problem is None:
        error = _password_not_retyped(request, token)
        if error is None:
            apply_token(request, token, account)
            request.session.flash(DONE[token.purpose], "info")
            return HTTPFound(location=request.resource_url(request.root, "login"))
    return _confirm_page(request, signed, token, problem, account, error)


def _link(request, signed):
    """(token, problem, account) of a signed link; a disabled or vanished account makes it invalid."""
    root = get_app_root(request)
    token, problem = tokens.check(root, secret(request), signed, request.clock.now())
    account = root["accounts"].get(token.login) if token is not None else None
    if token is not None and problem is None and (account is None or account.status == DISABLED):
        problem = tokens.INVALID
    if (problem is None and token.purpose == tokens.CANCEL_EMAIL
            and account.awaiting_email != token.payload):
        problem = tokens.MOOT
    return token, problem, account


def _password_not_retyped(request, token) -> str | None:
    """忘記密碼: the requested password must be typed again, so that a link the owner did not
    ask for changes nothing when clicked. A message when it was not; None otherwise."""
    if token.purpose != tokens.PASSWORD:
        return None
    typed = request.POST.get("password", "")
    if not typed or len(typed) > passwords.MAX_LENGTH * 4:
        return PASSWORD_NOT_RETYPED
    return None if passwords.verify_password(token.payload, typed) else PASSWORD_NOT_RETYPED


def _confirm_page(request, signed, token, problem, account, error):
    return {
        "page_title": tokens.PURPOSES.get(token.purpose, "確認連結") if token else "確認連結",
        "problem": PROBLEMS.get(problem) if problem else None,
        "can_resend": token is not None and problem is not None and problem != tokens.MOOT
        and token.purpose != tokens.CANCEL_EMAIL,
        "already_done": problem == tokens.USED and token.purpose == tokens.ACTIVATE
        and account is not None and account.status == ACTIVE,
        "token": signed,
        "purpose": token.purpose if token else None,
        "login": token.login if token else "",
        "payload_email": token.payload if token is not None
        and token.purpose in (tokens.EMAIL, tokens.CANCEL_EMAIL) else "",
        "requested_at": roc_datetime(token.created_at) if token else "",
        "requested_from": (token.requested_from or "（未記錄）") if token else "",
        "errors": [error] if error else [],
    }


def apply_token(request, token, account):
    """Do what a confirmed link says; the link is used up."""
    root = get_app_root(request)
    now = request.clock.now()
    tokens.consume(token, now)
    if token.purpose == tokens.ACTIVATE:
        account.activate()
        audit.record(request, "activate", account.login)
    elif token.purpose == tokens.PASSWORD:
        account.set_password_hash(token.payload, now)
        account.activate()  # the mailbox is proven
        account.end_other_sessions(None)
        throttle.password_succeeded(root, account.login)
        audit.record(request, "password.reset", account.login, "以確認信完成重設密碼")
    elif token.purpose == tokens.EMAIL:
        account.confirm_email(token.payload)
        account.activate()
        account.end_other_sessions(None)
        audit.record(request, "email.confirm", account.login, f"新信箱 {token.payload}")
    elif token.purpose == tokens.CANCEL_EMAIL:
        cancel_email_change(request, account)
        account.end_other_sessions(None)  # the session that asked for it may be a stolen one
        audit.record(request, "email.cancel", account.login, f"原信箱取消變更為 {token.payload}")


def resend(request, token) -> str:
    """A fresh link for an expired/used/superseded one, when it still makes sense."""
    root = get_app_root(request)
    now = request.clock.now()
    limited = rate_limit(request, "resend", [token.login], limit=3, window=tokens.LIFETIME)
    if limited:
        return limited
    if token.purpose == tokens.CANCEL_EMAIL:
        return "取消變更信箱的連結無法重寄；若仍需取消，請聯繫系統客服。"
    account = root["accounts"].get(token.login)
    if account is None or account.status == DISABLED:
        return "此帳號已停用或不存在，無法重寄。請至「新建帳號」重新註冊，或聯繫系統客服。"
    expires = now + tokens.LIFETIME
    if token.purpose == tokens.ACTIVATE:
        if account.status == ACTIVE:
            return "此帳號已開通，請直接登入。"
        signed = tokens.issue(root, secret(request), tokens.ACTIVATE, account.login, now,
                              address=account.email)
        mails.activation(request, account, signed, expires)
        # A resent activation holds the unit for another day.
        account.created_at = now
    elif token.purpose == tokens.EMAIL:
        if account.awaiting_email != token.payload:
            return "此信箱變更已完成或已被新的申請取代，不需重寄。"
        signed = tokens.issue(root, secret(request), tokens.EMAIL, account.login, now,
                              payload=token.payload, address=token.payload)
        mails.email_confirmation(request, account, token.payload, signed, expires)
    elif token.purpose == tokens.PASSWORD:
        if token.used_at is not None:
            return "新密碼已生效，請直接登入；若又忘記密碼，請重新申請「忘記密碼」。"
        signed = tokens.issue(root, secret(request), tokens.PASSWORD, account.login, now,
                              payload=token.payload, address=account.email,
                              requested_from=token.requested_from)
        mails.password_confirmation(request, account, signed, expires)
    elif token.purpose == tokens.SETUP:
        if account.password_hash:
            return "此帳號已設定密碼，請直接登入。"
        signed = tokens.issue(root, secret(request), tokens.SETUP, account.login, now,
                              address=account.email)
        mails.set_password_invitation(request, account, signed, expires)
    return f"新的連結已寄出，請至信箱點選最新一封信中的連結（{tokens.LIFETIME_HOURS} 小時內有效）。"


# 設定密碼 (officials and the first administrator) -----------------------------------------
@view_config(context=PortalRoot, name="set-password", renderer="cgs_portal:templates/accounts/confirm.pt",
             permission=Perm.SITE_VIEW)
def set_password(request):
    root = get_app_root(request)
    now = request.clock.now()
    signed = request.params.get("t", "")
    token, problem = tokens.check(root, secret(request), signed, now, purpose=tokens.SETUP)
    account = root["accounts"].get(token.login) if token is not None else None
    if problem is None and (account is None or account.status == DISABLED):
        problem = tokens.INVALID
    page = {"page_title": "設定密碼", "token": signed, "purpose": tokens.SETUP, "login": "",
            "payload_email": "", "already_done": False}
    if problem is not None:
        if request.method == "POST" and "resend" in request.POST and token is not None:
            request.session.flash(resend(request, token), "info")
            return HTTPFound(location=request.resource_url(request.root, "login"))
        return {**page, "problem": PROBLEMS[problem], "can_resend": token is not None}
    form = make_form(request, SetPasswordSchema(), "設定密碼", "set-password-form", account=account)

    def success(data):
        tokens.consume(token, now)
        account.set_password(data["password"], now)
        account.activate()
        audit.record(request, "password.change", account.login, "以設定密碼連結設定密碼")
        request.session.flash(f"密碼已設定，請以帳號「{account.login}」登入系統。", "info")
        return HTTPFound(location=request.resource_url(request.root, "login"))

    response, values = process(request, form, success)
    if response is not None:
        return response
    return {**page, **values, "problem": None, "can_resend": False, "login": account.login,
            "rules": passwords.rules()}
