"""Deadline extensions: a month's filing window kept open past the 10th, for a county or the nation.

An administrator extends a month after a typhoon (or reopens it for a county): the end date
is stored here, per month and scope (``NATION`` or a county code), by the desk
(``admin.desk``). The one deadline rule (``deadline``) is read by ``rules.check_fileable``,
``Unit.filing_deadline`` / ``MonthlyReport.filing_deadline`` (so the month pages, the mails and
the reminders agree) and by the reporting rates (a filing by the extended date is on time).

The store is ``root.deadline_extensions`` (an ``OOBTree`` created by the admin evolve step 1):
``("yyyy-mm", scope) -> (until, reason, by, at)``. This module imports no resource class
(the resources import it).
"""
from __future__ import annotations

import datetime as dt

from .. import calendar

NATION = "*"


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _root(resource):
    while getattr(resource, "__parent__", None) is not None:
        resource = resource.__parent__
    return resource


def store(resource):
    """The extension store of the portal ``resource`` belongs to (None before the evolve step)."""
    return getattr(_root(resource), "deadline_extensions", None)


def extended_until(resource, county_code: str | None, year: int, month: int) -> dt.date | None:
    """The latest extension of month (year, month) for the county or the nation, or None."""
    tree = store(resource)
    if not tree:
        return None
    key = month_key(year, month)
    found = [value[0] for value in (tree.get((key, NATION)), tree.get((key, county_code))) if value]
    return max(found) if found else None


def deadline(resource, county_code: str | None, year: int, month: int) -> dt.date:
    """The last on-time day of month (year, month) in the county: the 10th of the next month,
    or a later extension."""
    due = calendar.FilingWindow(year, month).due
    until = extended_until(resource, county_code, year, month)
    return max(due, until) if until else due


def is_extended(resource, county_code: str | None, year: int, month: int, today: dt.date) -> bool:
    """True while an extension keeps the month open past its normal deadline."""
    until = extended_until(resource, county_code, year, month)
    return until is not None and calendar.FilingWindow(year, month).due < until and today <= until


def signature(resource) -> tuple:
    """Every stored extension as a tuple (a cache key part: small, changes with any write)."""
    tree = store(resource)
    return tuple((k, v[0]) for k, v in tree.items()) if tree else ()


def listing(resource) -> list[dict]:
    """The stored extensions, newest month first, for the desk page."""
    tree = store(resource)
    rows = []
    for (key, scope), (until, reason, by, at) in (tree.items() if tree else ()):
        rows.append({"month": calendar.parse_month(key), "scope": scope, "until": until,
                     "reason": reason, "by": by, "at": at})
    return sorted(rows, key=lambda r: (r["month"], r["scope"]), reverse=True)


def put(resource, scope: str, year: int, month: int, until: dt.date, reason: str, by: str,
        at: dt.datetime) -> bool:
    """Store (or move) an extension; False when the same end date is stored already (idempotent)."""
    tree = store(resource)
    key = (month_key(year, month), scope)
    current = tree.get(key)
    if current is not None and current[0] == until:
        return False
    tree[key] = (until, reason, by, at)
    return True
