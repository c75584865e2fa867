"""What reporting adds to the home page: a unit's missing months and its current month's state."""
from __future__ import annotations

from pyramid.renderers import render

from ... import calendar
from .. import months, workflow
from . import own_unit


def home_banner(request) -> str | None:
    """The home page banner of a unit account (a layout banner provider), or None."""
    unit = own_unit(request)
    if unit is None:
        return None
    today = request.clock.today()
    ym = calendar.current_filing_month(today)
    return render("cgs_portal:templates/reporting/home_banner.pt", {
        "filing_unit": unit,
        "missing_months": months.missing_months(unit, today),
        "current_label": calendar.roc_month_label(*ym),
        "current_state": workflow.STATE_LABELS[unit.month_state(*ym, today)],
        "current_url": request.resource_url(unit, "current"),
        "overdue_url": request.resource_url(unit, "overdue"),
    }, request=request)
