"""稽催信件內容: edit a mail's subject and body, preview it with a real unit, keep the old text."""
from __future__ import annotations

import colander
from pyramid.view import view_config

from ... import calendar
from ...resources import PortalRoot
from ...security import Perm
from .. import service
from ..schemas import MailPost, MailQuery, read
from . import back, root_of, who

TEMPLATE = "cgs_portal:templates/reminders/mails.pt"


@view_config(context=PortalRoot, name="reminders-mails", request_method="GET", renderer=TEMPLATE,
             permission=Perm.REMIND_ADMIN)
def mail_texts(request):
    query = read(MailQuery(), request.GET)
    return page(request, service.mails_page(root_of(request), request, query["name"]))


def page(request, values, **extra):
    return {"page_title": "稽催信件內容", "preview": None, "unit": "", "errors": [], **values, **extra,
            "roc_datetime": calendar.roc_datetime}


@view_config(context=PortalRoot, name="reminders-mails", request_method="POST", renderer=TEMPLATE,
             permission=Perm.REMIND_ADMIN)
def mail_post(request):
    root = root_of(request)
    try:
        data = MailPost().deserialize(dict(request.POST))
        if data["action"] == "save":
            service.save_mail(root, request, data, who(request), request.clock.now())
            request.session.flash(f"已儲存「{service.mails.MAILS[data['name']][0]}」，原內容已保留。", "info")
            return back(request, "reminders-mails", name=data["name"])
        shown = service.preview(root, request, data, request.clock.today())
    except (colander.Invalid, service.Refused) as error:
        errors = list(error.asdict().values()) if isinstance(error, colander.Invalid) else [str(error)]
        name = request.POST.get("name") if request.POST.get("name") in service.mails.MAILS else None
        return page(request, service.mails_page(root, request, name), errors=errors)
    values = service.mails_page(root, request, data["name"])
    return page(request, {**values, "subject": data["subject"], "body": data["body"]}, preview=shown,
                unit=data["unit"])
