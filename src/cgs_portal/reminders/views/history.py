"""稽催紀錄: every run and its lines, one step's lines, and a by-hand re-send."""
from __future__ import annotations

import colander
from pyramid.view import view_config

from ... import calendar
from ...resources import PortalRoot
from ...security import Perm
from .. import service, steps
from ..models import STATUS_LABELS
from ..schemas import HistoryQuery, ResendPost, read
from . import back, flash_invalid, root_of, who


@view_config(context=PortalRoot, name="reminders", renderer="cgs_portal:templates/reminders/history.pt",
             permission=Perm.REMIND_ADMIN, request_method="GET")
def history(request):
    query = read(HistoryQuery(), request.GET)
    root = root_of(request)
    run, run_lines = service.run_lines(root, query["run"], query["status"])
    return {"page_title": "稽催紀錄", **service.runs_page(root, query["page"] or 1), "run": run,
            "run_lines": run_lines, "step": query["step"], "m": query["m"],
            "step_lines": service.step_lines(root, query["step"], query["m"]),
            "steps": steps.STEP_LABELS, "status_labels": STATUS_LABELS,
            "month_label": lambda key: calendar.roc_month_label(*calendar.parse_month(key)),
            "choices": service.month_choices(request.clock.today()),
            "roc_date": calendar.roc_date, "roc_datetime": calendar.roc_datetime}


@view_config(context=PortalRoot, name="reminders-resend", request_method="POST", permission=Perm.REMIND_ADMIN)
def resend(request):
    try:
        data = ResendPost().deserialize(dict(request.POST))
        delivery = service.resend(request, root_of(request), data, who(request))
    except colander.Invalid as invalid:
        flash_invalid(request, invalid)
        return back(request, "reminders")
    except service.Refused as refused:
        request.session.flash(str(refused), "error")
        return back(request, "reminders")
    from ...accounts.audit import record

    record(request, "reminder.resend", who(request), f"{data['step']} {delivery.month} {data['unit']}")
    request.session.flash(f"{delivery.name}：{steps.STEP_LABELS[data['step']]}（{delivery.month}）"
                          f"{delivery.status_label}{'：' + delivery.reason if delivery.reason else ''}。", "info")
    return back(request, "reminders", step=data["step"], m=delivery.month)
