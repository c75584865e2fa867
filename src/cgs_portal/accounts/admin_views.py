"""Back-office account pages: 帳號重置 (helpdesk), 帳號稽核紀錄 and 建立帳號 (administrators)."""
from __future__ import annotations

import datetime as dt

import colander
from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config

from ..calendar import ad_year
from ..clock import TAIPEI
from ..resources import PortalRoot
from ..resources.root import get_app_root
from ..security import ROLES, Perm
from . import audit, mails, tokens
from .flows import reset_account, secret
from .forms import make_form, process
from .models import DISABLED, PENDING, STATUS_LABELS, Account
from .schemas import OFFICIAL_ROLES, OfficialSchema, OfficialStatusSchema, ResetSchema
from .units import CATEGORIES, find_unit, search_units


# 帳號重置 --------------------------------------------------------------------------
@view_config(context=PortalRoot, name="account-reset", renderer="cgs_portal:templates/accounts/reset.pt",
             permission=Perm.ACCOUNTS_RESET)
def account_reset(request):
    page = _reset_page(request)
    unit, holder = page["unit"], page["holder"]
    if unit is None or holder is None:
        return page
    form = make_form(request, ResetSchema(), "重置帳號", "reset-form")

    def success(data):
        if data["login"] != holder.login:
            return "此單位的帳號已變動，請重新查詢後再操作。"
        reset_account(request, holder, unit, data["reason"], data["note"].strip())
        request.session.flash(
            f"已重置「{unit.name}」的帳號 {holder.login}（已停用並通知承辦人）。此單位可重新註冊，"
            "個人帳號不可與以前相同。", "info")
        return HTTPFound(location=request.resource_url(request.root, "account-reset",
                                                       query={"unit": unit.code}))

    response, values = process(request, form, success, appstruct={"login": holder.login})
    if response is not None:
        return response
    return {**page, **values}


def _reset_page(request) -> dict:
    """帳號重置 before its form: the unit search, the chosen unit, its holder and its history."""
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
    return {
        "page_title": "帳號重置", "categories": CATEGORIES, "category": category, "keyword": keyword,
        "matches": matches, "unit": unit, "holder": holder, "status_labels": STATUS_LABELS,
        "history": accounts.for_unit(unit.code) if unit is not None else [], "form": None, "errors": [],
    }


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
    except (ValueError, OverflowError):
        raise ValueError(text) from None
    moment = dt.datetime.combine(day, dt.time.max if end else dt.time.min)
    return moment.replace(tzinfo=TAIPEI)


@view_config(context=PortalRoot, name="audit-log", renderer="cgs_portal:templates/accounts/audit.pt",
             permission=Perm.ADMIN)
def audit_log(request):
    """稽核紀錄: the filtered entries, newest first, ``audit.PAGE_SIZE`` per page (never the whole log)."""
    filters = _audit_filters(request)
    page, before = filters.pop("_page"), filters.pop("_before")
    size = audit.PAGE_SIZE
    offset = 0 if before is not None else (page - 1) * size
    found = audit.search(get_app_root(request), event=filters["event"] or None,
                         login=filters["login"] or None, unit=filters["unit"] or None,
                         since=filters.pop("_since"), until=filters.pop("_until"), before_key=before,
                         limit=size + offset)
    rows = found["entries"][offset:]
    query = {k: filters[k] for k in ("event", "login", "unit", "since", "until") if filters[k]}

    def link(number, key=None):
        extra = {"before": key} if key is not None else {}
        return request.resource_url(request.root, "audit-log", query={**query, "page": number, **extra})

    return {**filters, "page_title": "稽核紀錄", "entries": [e for _k, e in rows], "events": audit.EVENTS,
            "page": page, "first_number": (page - 1) * size + 1, "stopped_at": found["stopped_at"],
            "next_url": link(page + 1, found["next_key"]) if found["next_key"] is not None else None,
            "prev_url": link(page - 1) if page > 1 else None}


def _number(text: str, digits: int):
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) <= digits else None


def _audit_filters(request) -> dict:
    """The audit log's filters as typed (event, who, unit, 民國 dates, page) and what they mean."""
    params = request.params
    event = params.get("event", "")
    values = {"event": event if event in audit.EVENTS or event in audit.families() else "",
              "login": params.get("login", "").strip()[:40], "unit": params.get("unit", "").strip()[:10],
              "since": params.get("since", "")[:20], "until": params.get("until", "")[:20],
              "errors": [], "_since": None, "_until": None, "families": audit.families(),
              "_page": max(_number(params.get("page", "1"), 5) or 1, 1),
              "_before": _number(params.get("before", ""), 20)}
    for key, end, example in (("since", False, "113/09/02"), ("until", True, "113/09/30")):
        try:
            values["_" + key] = _roc_day(values[key], end=end)
        except ValueError:
            label = "起始" if key == "since" else "結束"
            values["errors"].append(f"{label}日期格式不正確，請以民國年輸入（例：{example}）。")
    return values


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
        _audit_created(request, account)
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


def _audit_created(request, account) -> None:
    role = ROLES[account.role]
    audit.record(request, "account.create", account.login, f"{role}；建立者：{request.identity.login}",
                 what=f"{role} {account.name}",
                 after={"類別": role, "縣市": account.county_code or "", "姓名": account.name,
                        "Email": account.email, "狀態": STATUS_LABELS[PENDING]})


# 停用 / 啟用 officials ---------------------------------------------------------------------
@view_config(context=PortalRoot, name="official-status", request_method="POST", permission=Perm.ADMIN)
def official_status(request):
    """Disable an official, administrator or helpdesk account (its sessions end at once) or enable it."""
    target = HTTPFound(location=request.resource_url(request.root, "officials"))
    try:
        data = OfficialStatusSchema().bind(request=request).deserialize(dict(request.POST.items()))
    except colander.Invalid:
        request.session.flash("無法處理此要求：帳號或動作不正確。", "info")
        return target
    account = get_app_root(request)["accounts"].get(data["login"])
    message = set_official_status(request, account, data["action"], data["reason"].strip())
    request.session.flash(message, "info")
    return target


def set_official_status(request, account, action: str, reason: str) -> str:
    """停用 or 啟用 ``account`` (not a unit's, not one's own); audited with before/after. The message."""
    if account is None or account.role == "unit":
        return "找不到此帳號（學校／輔諮中心帳號請使用「帳號重置」）。"
    if account.login == request.identity.login:
        return "不可停用或啟用自己的帳號。"
    before = {"狀態": STATUS_LABELS.get(account.status, account.status)}
    if action == "disable" and account.status != DISABLED:
        account.disable(request.clock.now(), reason or "管理者停用")
        event, message = "account.disable", f"已停用帳號「{account.login}」，其登入已全部登出。"
    elif action == "enable" and account.status == DISABLED:
        account.enable(request.clock.now())
        event, message = "account.enable", f"已啟用帳號「{account.login}」。"
    else:
        return f"帳號「{account.login}」目前已是「{before['狀態']}」。"
    audit.record(request, event, account.login, reason, what=f"{ROLES.get(account.role, account.role)} {account.name}",
                 before=before, after={"狀態": STATUS_LABELS.get(account.status, account.status)})
    return message
