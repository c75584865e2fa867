"""The session-based security policy: identity is the Account stored in the ZODB.

The session holds only the login, a per-login session id (so that a password change,
e-mail change, reset or disablement ends every other session at once) and the time of
the login: a session older than ``cgs.session_max_seconds`` (12 hours) is ended on the
next request, whatever its activity. An account that logs in with a second factor
(``accounts.factor``) is the identity only of a session whose factor mark names its session
id — checked from the signed cookie, so a GET still
writes nothing to the database. Measured on the real clock (``clock.wall_seconds``), as
Pyramid's idle timeout is, not on the portal's pinnable date clock.
Authorization is the ACLs of the resources.
"""
from __future__ import annotations

from pyramid.authentication import SessionAuthenticationHelper
from pyramid.authorization import ACLHelper, Authenticated, Everyone

from ..clock import wall_seconds
from ..security import user_principal
from .factor import FACTOR_KEY
from .models import SESSION_MAX_AGE, find_account

LOGIN_AT = "cgs.login_at"


def session_too_old(request) -> bool:
    """True when the session's login is older than ``cgs.session_max_seconds`` (or unknown)."""
    limit = int(request.registry.settings.get("cgs.session_max_seconds")
                or SESSION_MAX_AGE.total_seconds())
    started = request.session.get(LOGIN_AT)
    return not isinstance(started, int) or wall_seconds() - started > limit


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
        if userid and session_too_old(request):
            self.helper.forget(request)  # only the cookie changes
            userid = None
        if userid:
            stored = find_account(request, userid)
            sid = request.session.get("cgs.sid")
            if stored is not None and stored.session_is_valid(sid) and (
                not stored.uses_factor or request.session.get(FACTOR_KEY) == sid
            ):  # a factor account's session counts only once its second step was passed
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
        # A re-remember (change-login) keeps the original login time: the limit is absolute.
        request.session.setdefault(LOGIN_AT, int(wall_seconds()))
        request.__dict__.pop("cgs_identity", None)
        return self.helper.remember(request, userid, **kw)

    def forget(self, request, **kw):
        request.__dict__.pop("cgs_identity", None)
        return self.helper.forget(request, **kw)
