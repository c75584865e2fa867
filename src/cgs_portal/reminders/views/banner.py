"""What the reminders add to a unit's home page: when it was last reminded."""
from __future__ import annotations

from pyramid.renderers import render

from ...reporting.views import own_unit
from .. import service
from . import root_of


def reminded_banner(request) -> str | None:
    unit = own_unit(request)
    if unit is None:
        return None
    last = service.last_reminded(root_of(request), unit.code)
    if last is None:
        return None
    return render("cgs_portal:templates/reminders/banner.pt", {"last": last}, request=request)
