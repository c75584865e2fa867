"""Finding (and on a fresh database, creating) the application root in the ZODB root."""
from __future__ import annotations

from pyramid_zodbconn import get_connection
from transaction.interfaces import NoTransaction

APP_KEY = "cgs_portal"


def _in_transaction(request) -> bool:
    try:
        request.tm.get()
    except NoTransaction:
        return False
    return True


def get_app_root(request):
    """The PortalRoot of this request's ZODB connection (cached on the request).

    A web request on a fresh database creates and evolves the root inside its
    own transaction; outside a transaction (console scripts before they begin)
    a missing root is returned as None.
    """
    root = request.__dict__.get("cgs_app_root")
    if root is None:
        if not _in_transaction(request):
            return None
        zodb_root = get_connection(request).root()
        root = zodb_root.get(APP_KEY)
        if root is None:
            from ..evolve import bootstrap

            root = bootstrap(zodb_root, request.registry)
        request.__dict__["cgs_app_root"] = root
    return root


def root_factory(request):
    return get_app_root(request)
