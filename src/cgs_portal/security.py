"""Security: permission names, principals, and the session-based security policy.

Identity is the account stored in the ZODB; the session holds only the login,
a per-login session id and the account's session epoch, so that a password
change, e-mail change, reset or disablement ends every other session at once.
"""
from __future__ import annotations

import secrets

from pyramid.authentication import SessionAuthenticationHelper
from pyramid.authorization import ACLHelper, Authenticated, Everyone


class Perm:
    """Namespaced permission names; every view declares one of these."""

    SITE_VIEW = "site.view"  # public pages (login, FAQ, documents, registration…)
    MEMBER = "portal.member"  # any logged-in account (own account pages)
    COUNTY_VIEW = "county.view"
    UNIT_VIEW = "unit.view"  # a unit's home and year view
    UNIT_STATUS = "unit.status"  # filing states of a unit (no rows)
    REPORT_STATUS = "report.status"
    REPORT_VIEW = "report.view"  # row-level case data
    REPORT_FILE = "report.file"  # upload / no-cases filing
    REPORT_AMEND = "report.amend"  # request an amendment
    REPORT_ADMIN = "report.admin"  # approve amendments, download any upload
    STATS_COUNTY = "stats.county"
    STATS_NATIONAL = "stats.national"
    ACCOUNTS_MANAGE = "accounts.manage"  # helpdesk: find accounts, audit
    ACCOUNTS_RESET = "accounts.reset"
    ADMIN = "admin.manage"  # back office: announcements, directory, officials


ROLES = {
    "unit": "學校／輔諮中心承辦人",
    "county": "縣市政府承辦人",
    "helpdesk": "系統客服",
    "admin": "國家管理者",
}


def role_principal(role: str) -> str:
    return f"role:{role}"


def unit_principal(code: str) -> str:
    return f"unit:{code}"


def county_principal(code: str) -> str:
    return f"county:{code}"


def user_principal(login: str) -> str:
    return f"u:{login}"


def new_session_id() -> str:
    return secrets.token_urlsafe(18)


class PortalSecurityPolicy:
    """Session authentication against ZODB accounts, ACL authorization."""

    def __init__(self):
        self.helper = SessionAuthenticationHelper(prefix="cgs.")
        self.acl = ACLHelper()

    def identity(self, request):
        """The logged-in, still valid Account, or None."""
        if "cgs_identity" in request.__dict__:
            return request.__dict__["cgs_identity"]
        account = None
        userid = self.helper.authenticated_userid(request)
        if userid:
            from .accounts.models import find_account

            stored = find_account(request, userid)
            sid = request.session.get("cgs.sid")
            if stored is not None and stored.session_is_valid(sid):
                account = stored
        request.__dict__["cgs_identity"] = account
        return account

    def authenticated_userid(self, request):
        account = self.identity(request)
        return account.login if account is not None else None

    def effective_principals(self, request):
        principals = [Everyone]
        account = self.identity(request)
        if account is not None:
            principals += [Authenticated, user_principal(account.login)]
            principals += account.principals()
        return principals

    def permits(self, request, context, permission):
        return self.acl.permits(context, self.effective_principals(request), permission)

    def remember(self, request, userid, sid=None, **kw):
        request.session["cgs.sid"] = sid
        request.__dict__.pop("cgs_identity", None)
        return self.helper.remember(request, userid, **kw)

    def forget(self, request, **kw):
        request.__dict__.pop("cgs_identity", None)
        return self.helper.forget(request, **kw)


def includeme(config):
    config.set_security_policy(PortalSecurityPolicy())
