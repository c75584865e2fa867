"""客服查詢 (helpdesk and administrators): find a unit or an account, see its state and history,
resend the activation mail, unlock; 重設兩步驟驗證 requests and their approval. No case data."""
from __future__ import annotations

import colander
from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config

from ..resources import PortalRoot
from ..resources.root import get_app_root
from ..security import ROLES, Perm
from . import audit, helpdesk
from .forms import make_form, process, rate_limit
from .schemas import AccountActionSchema, FactorResetDecisionSchema, FactorResetRequestSchema
from .units import find_unit, unit_label

SEARCH_PAGE = "cgs_portal:templates/accounts/helpdesk.pt"
ACCOUNT_PAGE = "cgs_portal:templates/accounts/helpdesk_account.pt"
RESETS_PAGE = "cgs_portal:templates/accounts/factor_resets.pt"
HISTORY_SIZE = 30


def _page_number(request, name="page") -> int:
    text = request.params.get(name, "1")
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) < 6 else 1


@view_config(context=PortalRoot, name="helpdesk", renderer=SEARCH_PAGE, permission=Perm.ACCOUNTS_MANAGE)
def helpdesk_search(request):
    """Units by code or name, accounts by login, contact name, e-mail or phone; paged, never cut."""
    root = get_app_root(request)
    keyword = request.params.get("q", "").strip()[:60]
    unit = find_unit(root, request.params.get("unit", "")[:10])
    found = helpdesk.page_of(helpdesk.find(root, keyword), _page_number(request))

    def link(number):
        return request.resource_url(request.root, "helpdesk", query={"q": keyword, "page": number})

    return {"page_title": "客服查詢", "keyword": keyword, **found, "unit_label": unit_label,
            "unit": unit, "unit_accounts": root["accounts"].for_unit(unit.code) if unit is not None else [],
            "prev_url": link(found["page"] - 1) if found["page"] > 1 else None,
            "next_url": link(found["page"] + 1) if found["page"] < found["pages"] else None,
            "roles": ROLES, "status_labels": helpdesk.STATUS_LABELS}


@view_config(context=PortalRoot, name="helpdesk-account", renderer=ACCOUNT_PAGE,
             permission=Perm.ACCOUNTS_MANAGE)
def helpdesk_account(request):
    """One account: state, lockout, factor, pending links and its audit history (paged)."""
    root = get_app_root(request)
    login = request.params.get("login", "").strip()[:40]
    account = root["accounts"].get(login) if login else None
    if account is None:
        request.session.flash("找不到此帳號。", "info")
        return HTTPFound(location=request.resource_url(request.root, "helpdesk"))
    before = request.params.get("before", "")
    before = int(before) if before.isascii() and before.isdigit() and len(before) <= 20 else None
    history = audit.search(root, login=account.login, login_exact=True, before_key=before, limit=HISTORY_SIZE)
    unit = find_unit(root, account.unit_code) if account.unit_code else None
    next_url = request.resource_url(request.root, "helpdesk-account", query={
        "login": account.login, "before": history["next_key"]}) if history["next_key"] is not None else None
    return {"page_title": f"帳號 {account.login}", "account": account, "unit": unit,
            "unit_label": unit_label(unit) if unit is not None else "", "roles": ROLES,
            "status_labels": helpdesk.STATUS_LABELS, "locked_until": helpdesk.locked_until(request, root, account),
            "history": [e for _k, e in history["entries"]], "next_url": next_url}


def _account_action(request, action):
    """Parse an account action form, run ``action(request, root, account, note)``, go back."""
    root = get_app_root(request)
    try:
        data = AccountActionSchema().bind(request=request).deserialize(dict(request.POST.items()))
    except colander.Invalid:
        request.session.flash("無法處理此要求：帳號不正確。", "info")
        return HTTPFound(location=request.resource_url(request.root, "helpdesk"))
    account = root["accounts"].get(data["login"])
    if account is None:
        request.session.flash("找不到此帳號。", "info")
        return HTTPFound(location=request.resource_url(request.root, "helpdesk"))
    request.session.flash(action(request, root, account, data["note"].strip()), "info")
    return HTTPFound(location=request.resource_url(request.root, "helpdesk-account",
                                                   query={"login": account.login}))


@view_config(context=PortalRoot, name="helpdesk-unlock", request_method="POST",
             permission=Perm.ACCOUNTS_MANAGE)
def helpdesk_unlock(request):
    return _account_action(request, helpdesk.unlock)


@view_config(context=PortalRoot, name="helpdesk-resend", request_method="POST",
             permission=Perm.ACCOUNTS_MANAGE)
def helpdesk_resend(request):
    def resend(request, root, account, note):
        limited = rate_limit(request, "resend", [account.login], limit=3, window=helpdesk.tokens.LIFETIME)
        return limited or helpdesk.resend_activation(request, root, account, note)

    return _account_action(request, resend)


# 重設兩步驟驗證 ---------------------------------------------------------------------------
@view_config(context=PortalRoot, name="factor-resets", renderer=RESETS_PAGE, permission=Perm.ACCOUNTS_RESET)
def factor_resets(request):
    """The helpdesk files a reset of an official's factor; national administrators decide."""
    root = get_app_root(request)
    form = make_form(request, FactorResetRequestSchema(), "送出申請（待國家管理者核准）", "factor-reset-form")

    def success(data):
        error = helpdesk.request_factor_reset(request, root, data["login"], data["reason"].strip())
        if error is not None:
            return error
        request.session.flash(f"已送出 {data['login'].strip()} 的重設申請，待國家管理者核准。", "info")
        return HTTPFound(location=request.resource_url(request.root, "factor-resets"))

    response, values = process(request, form, success, appstruct={"login": request.params.get("login", "")[:40]})
    is_admin = request.identity.role == "admin"
    return response or {**values, "page_title": "重設兩步驟驗證", "requests": helpdesk.reset_requests(root),
                        "may_decide": is_admin}


@view_config(context=PortalRoot, name="factor-reset-decide", request_method="POST", permission=Perm.ADMIN)
def factor_reset_decide(request):
    try:
        data = FactorResetDecisionSchema().bind(request=request).deserialize(dict(request.POST.items()))
    except colander.Invalid:
        message = "無法處理此要求：申請編號或決定不正確。"
    else:
        message = helpdesk.decide_factor_reset(request, get_app_root(request), data["request_id"],
                                               data["decision"] == "approve")
    request.session.flash(message, "info")
    return HTTPFound(location=request.resource_url(request.root, "factor-resets"))
