"""The session-based security policy: identity is the Account stored in the ZODB.

The session holds only the login and a per-login session id, so that a password
change, e-mail change, reset or disablement ends every other session at once.
Authorization is the ACLs of the resources.
"""
from __future__ import annotations

from pyramid.authentication import SessionAuthenticationHelper
from pyramid.authorization import ACLHelper, Authenticated, Everyone

from ..security import user_principal
from .models import find_account


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
