"""The home page and the error pages (login and logout live in ``accounts.login``)."""
from __future__ import annotations

from urllib.parse import quote

from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import HTTPFound
from pyramid.view import forbidden_view_config, notfound_view_config, view_config

from ..accounts.login import login_page
from ..resources import PortalRoot
from ..security import Perm


@view_config(context=PortalRoot, renderer="cgs_portal:templates/site/home.pt", permission=Perm.SITE_VIEW)
def home(request):
    account = request.identity
    if account is None:
        return login_page(request)
    return {"account": account, "page_title": "首頁"}


@forbidden_view_config(renderer="cgs_portal:templates/site/forbidden.pt")
def forbidden(request):
    if request.identity is None and request.method == "GET":
        return HTTPFound(
            location=request.application_url + "/login?came_from=" + quote(request.path_qs, safe="")
        )
    request.response.status = 403
    return {"page_title": "無權限", "csrf": False}


@view_config(context=BadCSRFToken, renderer="cgs_portal:templates/site/forbidden.pt")
def bad_csrf(request):
    """A forged or expired form: refuse it with a message, never a traceback."""
    request.response.status = 400
    return {"page_title": "表單已失效", "csrf": True}


@notfound_view_config(renderer="cgs_portal:templates/site/notfound.pt")
def notfound(request):
    request.response.status = 404
    return {"page_title": "找不到網頁"}
