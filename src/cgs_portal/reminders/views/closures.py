"""停班停課及補行上班: the admin-maintained closures and extra working days."""
from __future__ import annotations

import colander
from pyramid.view import view_config

from ... import calendar
from ...resources import PortalRoot
from ...security import Perm
from .. import service
from ..schemas import ClosurePost, ClosureRemove
from . import back, flash_invalid, root_of, who


@view_config(context=PortalRoot, name="reminders-closures", request_method="GET",
             renderer="cgs_portal:templates/reminders/closures.pt", permission=Perm.REMIND_ADMIN)
def closures(request):
    return {"page_title": "停班停課及補行上班", **service.closures_page(root_of(request)),
            "roc_date": calendar.roc_date, "roc_datetime": calendar.roc_datetime}


def _change(request, schema, action, done: str):
    try:
        data = schema.deserialize(dict(request.POST))
        action(data)
    except colander.Invalid as invalid:
        flash_invalid(request, invalid)
    except service.Refused as refused:
        request.session.flash(str(refused), "error")
    else:
        from ...accounts.audit import record

        record(request, "reminder.closure", who(request),
               f"{done} {data['day'].isoformat()} {data['county']} {data['kind']}")
        request.session.flash(f"已{done} {calendar.roc_date(data['day'])}（{service.county_name(data['county'])}）。",
                              "info")
    return back(request, "reminders-closures")


@view_config(context=PortalRoot, name="reminders-closures", request_method="POST", permission=Perm.REMIND_ADMIN)
def add_closure(request):
    root, now = root_of(request), request.clock.now()
    return _change(request, ClosurePost(), lambda data: service.add_closure(root, data, who(request), now), "新增")


@view_config(context=PortalRoot, name="reminders-closures-remove", request_method="POST",
             permission=Perm.REMIND_ADMIN)
def remove_closure(request):
    root = root_of(request)
    return _change(request, ClosureRemove(), lambda data: service.remove_closure(root, data), "刪除")
