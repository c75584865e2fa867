"""First national administrator in production: a one-time setup link, no default password.

``cgs-init`` (without ``cgs.demo``) calls :func:`ensure_first_admin`. While no
administrator has set a password, every run creates (or keeps) the pending
administrator account and prints a fresh single-use link, valid 24 hours, on
the console; the person at the console opens it and sets their own password.
"""
from __future__ import annotations

from ..mail import public_url
from . import tokens
from .models import PENDING, Account

DEFAULT_LOGIN = "admin"


def ensure_first_admin(root, registry, settings) -> list[str]:
    from ..clock import get_clock

    accounts = root["accounts"]
    admins = [a for a in accounts.values() if a.role == "admin"]
    if any(a.password_hash for a in admins):
        return ["cgs-init: a national administrator exists"]
    now = get_clock(registry).now()
    login = settings.get("cgs.first_admin_login") or DEFAULT_LOGIN
    account = accounts.get(login)
    if account is None:
        account = Account(login, "admin", name="國家管理者", email=settings.get("cgs.first_admin_email", ""),
                          status=PENDING, created_at=now)
        accounts.add_account(account)
    elif account.role != "admin" or account.password_hash:
        return [f"cgs-init: account {login!r} exists and is not a pending administrator; "
                "set cgs.first_admin_login to another id"]
    signed = tokens.issue(root, settings["cgs.session_secret"], tokens.SETUP, login, now)
    url = f"{public_url(settings)}/set-password?t={signed}"
    return [
        "",
        "=" * 72,
        f"cgs-init: no national administrator has a password yet. The first administrator ({login})",
        f"sets their own password through this one-time link (valid {tokens.LIFETIME_HOURS} hours; run cgs-init again",
        "for a new one, which voids this one):",
        f"  {url}",
        "=" * 72,
    ]
