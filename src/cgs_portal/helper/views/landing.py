"""填報幫手's landing page at the root: the four tools of the logged-in unit."""
from __future__ import annotations

from pyramid.view import view_config

from ...resources import PortalRoot
from ...security import Perm
from . import own_unit, tools


@view_config(context=PortalRoot, name="helper", renderer="cgs_portal:templates/helper/landing.pt",
             permission=Perm.MEMBER)
def landing(request):
    """A unit account sees its tools; any other role is told (403) the page is not for it."""
    unit = own_unit(request)
    if unit is None:
        request.response.status = 403
    return {"page_title": "填報幫手", "unit": unit, "tools": tools(request, unit) if unit is not None else []}
