"""Back-office account pages: 帳號重置 (helpdesk), 帳號稽核紀錄 and 建立帳號 (administrators)."""
from __future__ import annotations

import datetime as dt

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config

from ..calendar import ad_year
from ..clock import TAIPEI
from ..resources import PortalRoot
from ..resources.root import get_app_root
from ..security import ROLES, Perm
from . import audit, mails, tokens
from .flows import secret
from .forms import make_form, process
from .models import ACTIVE, DISABLED, PENDING, Account
from .schemas import OFFICIAL_ROLES, OfficialSchema, ResetSchema
from .units import CATEGORIES, find_unit, search_units

STATUS_LABELS = {ACTIVE: "使用中", PENDING: "待開通", DISABLED: "已停用"}


# 帳號重置 --------------------------------------------------------------------------
@view_config(context=PortalRoot, name="account-reset", renderer="cgs_portal:templates/accounts/reset.pt",
             permission=Perm.ACCOUNTS_RESET)
def account_reset(request):
    root = get_app_root(request)
    category = request.params.get("category", "")
    keyword = request.params.get("q", "").strip()[:40]
    unit = find_unit(root, request.params.get("unit", ""))
    matches = []
    if keyword:
        if category in CATEGORIES:
            matches = search_units(root, category, keyword)
        else:
            matches = [u for c in CATEGORIES for u in search_units(root, c, keyword)]
    accounts = root["accounts"]
    holder = accounts.active_for_unit(unit.code) if unit is not None else None
    page = {
        "page_title": "帳號重置", "categories": CATEGORIES, "category": category, "keyword": keyword,
        "matches": matches, "unit": unit, "holder": holder, "status_labels": STATUS_LABELS,
        "history": accounts.for_unit(unit.code) if unit is not None else [], "form": None, "errors": [],
    }
    if unit is None or holder is None:
        return page
    form = make_form(request, ResetSchema(), "重置帳號", "reset-form")

    def success(data):
        if data["login"] != holder.login:
            return "此單位的帳號已變動，請重新查詢後再操作。"
        now = request.clock.now()
        reason = data["reason"] + (f"；{data['note'].strip()}" if data["note"].strip() else "")
        holder.disable(now, reason)
        if holder.email:
            mails.reset_notice(request, holder, unit.name, data["reason"])
        audit.record(request, "account.reset", holder.login,
                     f"{unit.code} {unit.name}；原因：{reason}；操作者：{request.identity.login}")
        request.session.flash(
            f"已重置「{unit.name}」的帳號 {holder.login}（已停用並通知承辦人）。此單位可重新註冊，"
            "個人帳號不可與以前相同。", "info")
        return HTTPFound(location=request.resource_url(request.root, "account-reset",
                                                       query={"unit": unit.code}))

    response, values = process(request, form, success, appstruct={"login": holder.login})
    if response is not None:
        return response
    return {**page, **values}


# 帳號稽核紀錄 -------------------------------------------------------------------------
def _roc_day(text: str, end=False):
    """A 民國 date ``113/09/02`` (or ISO ``2024-09-02``) as an aware datetime; None if blank or bad."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        if "-" in text:
            day = dt.date.fromisoformat(text)
        else:
            y, m, d = (int(p) for p in text.split("/"))
            day = dt.date(ad_year(y), m, d)
    except ValueError:
        raise ValueError(text) from None
    moment = dt.datetime.combine(day, dt.time.max if end else dt.time.min)
    return moment.replace(tzinfo=TAIPEI)


@view_config(context=PortalRoot, name="audit-log", renderer="cgs_portal:templates/accounts/audit.pt",
             permission=Perm.ADMIN)
def audit_log(request):
    root = get_app_root(request)
    event = request.params.get("event", "")
    login = request.params.get("login", "").strip()[:40]
    errors = []
    since = until = None
    try:
        since = _roc_day(request.params.get("since", ""))
    except ValueError:
        errors.append("起始日期格式不正確，請以民國年輸入（例：113/09/02）。")
    try:
        until = _roc_day(request.params.get("until", ""), end=True)
    except ValueError:
        errors.append("結束日期格式不正確，請以民國年輸入（例：113/09/30）。")
    found = audit.entries(root, event=event if event in audit.EVENTS else None, login=login or None,
                          since=since, until=until, limit=500)
    return {
        "page_title": "帳號稽核紀錄", "entries": found, "events": audit.EVENTS, "event": event,
        "login": login, "since": request.params.get("since", ""), "until": request.params.get("until", ""),
        "errors": errors,
    }


# 建立帳號 (county officials, administrators, helpdesk) -----------------------------------
@view_config(context=PortalRoot, name="officials", renderer="cgs_portal:templates/accounts/officials.pt",
             permission=Perm.ADMIN)
def officials(request):
    root = get_app_root(request)
    counties = [(c.code, c.name) for c in root["counties"].values()]
    form = make_form(request, OfficialSchema(), "建立帳號並寄出設定密碼信", "official-form", counties=counties)

    def success(data):
        now = request.clock.now()
        role = data["role"]
        account = Account(
            data["login"], role, county_code=data["county_code"] if role == "county" else None,
            name=data["name"].strip(), phone=data["phone"].strip(), email=data["email"].strip(),
            status=PENDING, created_at=now,
        )
        root["accounts"].add_account(account)
        signed = tokens.issue(root, secret(request), tokens.SETUP, account.login, now, address=account.email)
        mails.set_password_invitation(request, account, signed, now + tokens.LIFETIME,
                                      created_by=request.identity.name or request.identity.login)
        audit.record(request, "account.create", account.login,
                     f"{ROLES[role]}；建立者：{request.identity.login}")
        request.session.flash(f"已建立帳號「{account.login}」，設定密碼信已寄至 {account.email}。", "info")
        return HTTPFound(location=request.resource_url(request.root, "officials"))

    response, values = process(request, form, success)
    if response is not None:
        return response
    staff = [a for a in root["accounts"].values() if a.role != "unit"]
    county_names = dict(counties)
    return {**values, "page_title": "建立帳號", "staff": staff, "roles": dict(OFFICIAL_ROLES),
            "status_labels": STATUS_LABELS, "county_names": county_names,
            "link_hours": tokens.LIFETIME_HOURS}
