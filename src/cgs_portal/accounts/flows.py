"""Account flows that several account pages share (not a view module).

``views``, ``member_views``, ``admin_views`` and ``login`` import from here, never from
each other.
"""
from __future__ import annotations

from ..resources.root import get_app_root
from . import audit, mails, passwords, tokens

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


def start_email_change(request, account, new_email, *, keep_sid):
    """Hold the new address, end other sessions, mail a confirmation link (and tell the old one)."""
    root = get_app_root(request)
    now = request.clock.now()
    ended = account.request_email_change(new_email, keep_sid=keep_sid)
    signed = tokens.issue(root, secret(request), tokens.EMAIL, account.login, now, payload=new_email,
                          address=new_email)
    mails.email_confirmation(request, account, new_email, signed, now + tokens.LIFETIME)
    if account.email and account.email.lower() != new_email.lower():
        mails.email_change_notice(request, account, new_email)
    audit.record(request, "email.change", account.login, f"新信箱 {new_email}（待確認）")
    return ended
