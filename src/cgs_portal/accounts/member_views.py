"""The pages of a logged-in account: 帳號管理, 修改密碼, 變更登入帳號 — and the gate to them."""
from __future__ import annotations

from pyramid.events import ContextFound, subscriber
from pyramid.httpexceptions import HTTPFound
from pyramid.security import remember
from pyramid.view import view_config

from ..resources import PortalRoot
from ..resources.root import get_app_root
from ..security import ROLES, Perm
from . import audit, mails, passwords
from .flows import FORM, landing_url, required_page, set_personal_id, update_own_email
from .forms import make_form, process
from .schemas import AccountSchema, ChangeLoginSchema, ChangePasswordSchema
from .units import find_unit

# Besides the required page itself, what such an account may still reach.
GATE_OPEN = {"logout", "captcha.png", "test-captcha-code"}


@subscriber(ContextFound)
def gate(event):
    """Keep an account on 變更登入帳號 / 修改密碼 until it has done what is required."""
    request = event.request
    if request.matched_route is not None:  # static files
        return
    account = request.identity
    if account is None:
        return
    page = required_page(request, account)
    if page is None or request.view_name == page or request.view_name in GATE_OPEN:
        return
    raise HTTPFound(location=request.resource_url(request.root, page))


def account_kind(account, unit) -> str:
    label = ROLES.get(account.role, account.role)
    return f"{label}（{unit.category}）" if unit is not None else label


# 帳號管理 --------------------------------------------------------------------------
@view_config(context=PortalRoot, name="account", renderer="cgs_portal:templates/accounts/account.pt",
             permission=Perm.MEMBER)
def account_page(request):
    account = request.identity
    form = make_form(request, AccountSchema(), "更新", "account-form")

    def success(data):
        changed = account.update_contact(data["name"].strip(), data["phone"].strip())
        if changed:
            audit.record(request, "account.update", account.login, "、".join(changed))
        message = update_own_email(request, account, data["email"].strip())
        if message is None and changed:
            message = "承辦人資訊已更新。"
        if message is not None:
            request.session.flash(message, "info")
        return HTTPFound(location=request.resource_url(request.root, "account"))

    response, values = process(request, form, success, appstruct={
        "name": account.name, "phone": account.phone, "email": account.awaiting_email or account.email})
    if response is not None:
        return response
    return {**values, "page_title": "帳號管理", "account": account, **_holder(request, account)}


def _holder(request, account) -> dict:
    """帳號管理's 帳號類別 and 單位 lines: the account's unit, else its county, else 全國."""
    root = get_app_root(request)
    unit = find_unit(root, account.unit_code) if account.unit_code else None
    county = root["counties"].get(account.county_code) if account.county_code else None
    return {"kind": account_kind(account, unit),
            "unit_name": unit.name if unit is not None else (county.name if county is not None else "全國")}


# 修改密碼 --------------------------------------------------------------------------
@view_config(context=PortalRoot, name="change-password", renderer=FORM, permission=Perm.MEMBER)
def change_password(request):
    account = request.identity
    now = request.clock.now()
    form = make_form(request, ChangePasswordSchema(), "確定", "change-password-form")

    def success(data):
        account.set_password(data["password"], now)
        ended = account.end_other_sessions(request.session.get("cgs.sid"))
        audit.record(request, "password.change", account.login, f"結束其他 {ended} 個登入")
        if account.email:
            mails.password_changed_notice(request, account)
        request.session.flash(
            f"密碼已變更。為了安全，此帳號在其他裝置上的登入已全部登出（共 {ended} 個）。", "info")
        return HTTPFound(location=request.resource_url(request.root))

    response, values = process(request, form, success)
    if response is not None:
        return response
    intro = ["請輸入目前密碼及新密碼。變更後，此帳號在其他裝置上的登入會全部登出。"]
    if passwords.expired(account, now):
        intro.insert(0, f"您的密碼已超過 {passwords.MAX_AGE_DAYS} 天未變更（或須重新設定），請先修改密碼才能繼續使用系統。")
    return {**values, "page_title": "修改密碼", "rules": passwords.rules(), "intro": intro}


# 變更登入帳號 -----------------------------------------------------------------------
CHANGE_LOGIN_RULES = (
    "個人帳號只能使用數字、小寫英文字母及底線，長度至少 4 碼，最多 8 碼。",
    "帳號及密碼禁止共用；承辦人更換時須申請帳號重置並重新設置新帳號，不可沿用前承辦人帳號。",
    "個人帳號不可設定本單位以前使用過的帳號。變更後如忘記帳號，可於【帳號查詢】查詢。",
)
CHANGE_LOGIN_WHY = (
    "依「教育部委外辦理或補助建置維運伺服器主機及應用系統網站資通安全及個人資料保護管理要點」第 12 條，"
    "禁止使用者共用帳號及通行密碼。請設置您的個人帳號後再使用系統。")


@view_config(context=PortalRoot, name="change-login", renderer=FORM, permission=Perm.MEMBER)
def change_login(request):
    account = request.identity
    if not account.needs_personal_id:
        request.session.flash(f"您的登入帳號「{account.login}」已設定個人帳號，不需變更。", "info")
        return HTTPFound(location=request.resource_url(request.root))
    form = make_form(request, ChangeLoginSchema(), "確定", "change-login-form")

    def success(data):
        new = set_personal_id(request, account, data["personal_id"])
        # The session follows the account to its new key (same session id): no new login needed.
        remember(request, new, sid=request.session.get("cgs.sid"))
        request.session.flash(f"登入帳號已變更為「{new}」，下次登入請使用此帳號。", "info")
        return HTTPFound(location=landing_url(request, account))

    response, values = process(request, form, success)
    if response is not None:
        return response
    return {**values, "page_title": "變更登入帳號", "rules": [
        "新的登入帳號為：單位代碼_您所設定的個人帳號（例：個人帳號設定 a001，登入帳號即為 "
        f"{account.unit_code}_a001）。", *CHANGE_LOGIN_RULES,
    ], "intro": [CHANGE_LOGIN_WHY, f"目前登入帳號：{account.login}"]}
