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
from .flows import FORM, cancel_email_change, landing_url, required_page, start_email_change
from .forms import make_form, process
from .models import unit_login
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
    root = get_app_root(request)
    unit = find_unit(root, account.unit_code) if account.unit_code else None
    county = root["counties"].get(account.county_code) if account.county_code else None
    form = make_form(request, AccountSchema(), "更新", "account-form")

    def success(data):
        changed = []
        for field, label in (("name", "承辦人姓名"), ("phone", "電話")):
            new = data[field].strip()
            if new != getattr(account, field):
                setattr(account, field, new)
                changed.append(label)
        if changed:
            audit.record(request, "account.update", account.login, "、".join(changed))
        new_email = data["email"].strip()
        if account.awaiting_email and new_email.lower() == account.email.lower():
            cancel_email_change(request, account)  # back to the confirmed address
            audit.record(request, "account.update", account.login, "取消信箱變更")
            request.session.flash("已取消信箱變更，註冊信箱維持不變。", "info")
        elif new_email.lower() != (account.awaiting_email or account.email).lower():
            ended = start_email_change(request, account, new_email, keep_sid=request.session.get("cgs.sid"))
            note = f"（其他裝置上的 {ended} 個登入已登出）" if ended else ""
            request.session.flash(
                f"確認信已寄至新信箱 {new_email}。請點選信中的連結確認；確認前，登出後將無法再登入。{note}",
                "info")
        elif changed:
            request.session.flash("承辦人資訊已更新。", "info")
        return HTTPFound(location=request.resource_url(request.root, "account"))

    response, values = process(request, form, success, appstruct={
        "name": account.name, "phone": account.phone, "email": account.awaiting_email or account.email})
    if response is not None:
        return response
    return {**values, "page_title": "帳號管理", "account": account, "kind": account_kind(account, unit),
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
@view_config(context=PortalRoot, name="change-login", renderer=FORM, permission=Perm.MEMBER)
def change_login(request):
    account = request.identity
    if not account.needs_personal_id:
        request.session.flash(f"您的登入帳號「{account.login}」已設定個人帳號，不需變更。", "info")
        return HTTPFound(location=request.resource_url(request.root))
    root = get_app_root(request)
    form = make_form(request, ChangeLoginSchema(), "確定", "change-login-form")

    def success(data):
        old = account.login
        new = unit_login(account.unit_code, data["personal_id"])
        root["accounts"].rename(account, new)
        account.personal_id = data["personal_id"]
        from .tokens import token_store

        token_store(root).rename_login(old, new)
        audit.record(request, "login.change", new, f"{old} → {new}")
        # The session follows the account to its new key (same session id): no new login needed.
        remember(request, new, sid=request.session.get("cgs.sid"))
        request.session.flash(f"登入帳號已變更為「{new}」，下次登入請使用此帳號。", "info")
        return HTTPFound(location=landing_url(request, account))

    response, values = process(request, form, success)
    if response is not None:
        return response
    return {**values, "page_title": "變更登入帳號", "rules": [
        "新的登入帳號為：單位代碼_您所設定的個人帳號（例：個人帳號設定 a001，登入帳號即為 "
        f"{account.unit_code}_a001）。",
        "個人帳號只能使用數字、小寫英文字母及底線，長度至少 4 碼，最多 8 碼。",
        "帳號及密碼禁止共用；承辦人更換時須申請帳號重置並重新設置新帳號，不可沿用前承辦人帳號。",
        "個人帳號不可設定本單位以前使用過的帳號。變更後如忘記帳號，可於【帳號查詢】查詢。",
    ], "intro": [
        "依「教育部委外辦理或補助建置維運伺服器主機及應用系統網站資通安全及個人資料保護管理要點」第 12 條，"
        "禁止使用者共用帳號及通行密碼。請設置您的個人帳號後再使用系統。",
        f"目前登入帳號：{account.login}",
    ]}
