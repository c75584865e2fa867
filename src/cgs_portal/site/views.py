"""The home page and the error pages (login and logout live in ``accounts.login``)."""
from __future__ import annotations

from urllib.parse import quote

from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import HTTPFound
from pyramid.renderers import render_to_response
from pyramid.view import forbidden_view_config, notfound_view_config, view_config

from ..accounts.login import login_page
from ..resources import PortalRoot
from ..security import Perm


@view_config(context=PortalRoot, renderer="cgs_portal:templates/site/home.pt", permission=Perm.SITE_VIEW)
def home(request):
    account = request.identity
    if account is None:
        return login_page(request)
    if request.has_permission(Perm.STATS_NATIONAL):  # national administrators land on the rates
        from ..admin.views.rates import home_for_admin

        return home_for_admin(request)
    return {"account": account, "page_title": "首頁"}


def to_login(request) -> HTTPFound:
    return HTTPFound(location=request.application_url + "/login?came_from=" + quote(request.path_qs, safe=""))


def in_the_tree(request) -> bool:
    """The request addresses the county/unit tree (a county, unit, year or report), not a page
    of the root such as /amendments: there, existing and missing must look alike."""
    context = getattr(request, "context", None)
    return context is not None and not isinstance(context, PortalRoot)


@forbidden_view_config(renderer="cgs_portal:templates/site/forbidden.pt")
def forbidden(request):
    """Anonymous GETs go to the login page; inside the tree a refusal is the 404 page.

    A 403 for another unit's existing month beside a 404 for a month it never filed would tell
    which months exist (issue 10, item 18). ``cgs.denied`` in the environ marks the refusal
    for the logs and the permission tests; nothing of it reaches the client."""
    request.environ["cgs.denied"] = True
    if request.identity is None and request.method == "GET":
        return to_login(request)
    if in_the_tree(request):
        return notfound_page(request)
    request.response.status = 403
    return {"page_title": "無權限", "csrf": False}


@view_config(context=BadCSRFToken, renderer="cgs_portal:templates/site/forbidden.pt")
def bad_csrf(request):
    """A forged or expired form: refuse it with a message, never a traceback."""
    request.response.status = 400
    return {"page_title": "表單已失效", "csrf": True}


@notfound_view_config()
def notfound(request):
    """Inside the tree an anonymous GET goes to the login page, as for an existing resource."""
    if request.identity is None and request.method == "GET" and in_the_tree(request):
        return to_login(request)
    return notfound_page(request)


def notfound_page(request):
    """The 404 page, exactly as ``notfound`` renders it."""
    request.response.status = 404
    return render_to_response("cgs_portal:templates/site/notfound.pt", {"page_title": "找不到網頁"},
                              request=request, response=request.response)
