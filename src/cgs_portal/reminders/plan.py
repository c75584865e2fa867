"""Who gets which reminder on a date: the intents of a run, streamed from the tree.

A unit is *expected* for month M when it was open then (``Unit.is_open_in``) and *done*
when the month's state is filed (``workflow.FILED``; an approved amendment still open is
not done). Its deadline is ``Unit.filing_deadline``. Contacts are active accounts with a
valid address; anyone without one is an intent too, recorded as 無法通知.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from .. import calendar
from ..accounts.models import ACTIVE
from ..reporting import workflow
from ..workbook.levels import CENTRE, category_of_level
from . import steps
from .models import reminders_of

EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\".]+(\.[^@\s<>,;\".]+)+$")
NATIONAL_CATEGORIES = frozenset({"高中職", CENTRE})  # the units 國教署 letters itself


def valid_email(address: str | None) -> bool:
    return bool(address) and len(address) <= 254 and bool(EMAIL.match(address))


def unit_contact(accounts, unit_code: str):
    """The unit's active contact account with a valid address, or None."""
    for account in accounts.for_unit(unit_code):
        if account.status == ACTIVE and account.role == "unit" and valid_email(account.email):
            return account
    return None


def unit_contact_problem(accounts, unit_code: str) -> str:
    """Why a unit cannot be mailed (the 無法通知 reason)."""
    found = accounts.for_unit(unit_code)
    if not found:
        return "尚無帳號"
    if not any(a.status == ACTIVE for a in found):
        return "帳號未開通或已停用"
    return "電子郵件地址無效"


def officials(accounts) -> dict[str, list]:
    """Active county officials by county code; the admins under the key None."""
    found: dict[str | None, list] = {}
    for account in accounts.values():
        if account.status != ACTIVE:
            continue
        if account.role == "county" and account.county_code:
            found.setdefault(account.county_code, []).append(account)
        elif account.role == "admin":
            found.setdefault(None, []).append(account)
    return found


def is_done(unit, year: int, month: int, today: dt.date) -> bool:
    return unit.month_state(year, month, today) in workflow.FILED


def group_of(unit) -> str:
    """國教署 letters the 高中職 and the centres; the county chases its other schools."""
    return "national" if category_of_level(unit.level) in NATIONAL_CATEGORIES else "county"


@dataclass
class MissingRow:
    """One unit that has not filed a month: a line of the county mail and the national list."""

    county_code: str
    county_name: str
    code: str
    name: str
    level: str
    category: str
    group: str
    contact_name: str
    phone: str
    email: str
    missing: list[str]  # ROC labels of every month still missing (this one first)
    reachable: bool


def missing_labels(unit, year: int, month: int, today: dt.date) -> list[str]:
    """The month itself and the other expected months of its academic year not filed."""
    ay = calendar.academic_year_of_month(year, month)
    labels = [calendar.roc_month_label(year, month)]
    for ym in unit.expected_months(ay):
        if ym < (year, month) and not is_done(unit, *ym, today):
            labels.append(calendar.roc_month_label(*ym))
    return labels


def missing_row(unit, county, accounts, year, month, today) -> MissingRow:
    contact = unit_contact(accounts, unit.code)
    holder = contact or accounts.active_for_unit(unit.code)
    return MissingRow(
        county.code, county.name, unit.code, unit.name, unit.level, category_of_level(unit.level),
        group_of(unit), getattr(holder, "name", "") or "", getattr(holder, "phone", "") or unit.phone or "",
        getattr(holder, "email", "") or "", missing_labels(unit, year, month, today), contact is not None)


def missing_units(root, year: int, month: int, today: dt.date, county=None) -> Iterator[MissingRow]:
    """Every expected unit (of ``county``, or of all) that has not filed month (year, month)."""
    accounts = root["accounts"]
    counties = [county] if county is not None else root["counties"].values()
    for one in counties:
        for unit in one.values():
            if unit.is_open_in(year, month) and not is_done(unit, year, month, today):
                yield missing_row(unit, one, accounts, year, month, today)


@dataclass
class Intent:
    """One reminder a run should send (or record as 無法通知), keyed for exactly-once."""

    step: str
    year: int
    month: int
    recipient: str  # unit:<code>, county:<code>:<login>, county:<code> (nobody), admin:<login>
    mail: str  # the mail template name
    to: str = ""  # the address; empty: 無法通知
    reason: str = ""  # why 無法通知
    name: str = ""  # who, as the history page shows it
    unit: object = None
    county: object = None
    account: object = None
    rows: list = field(default_factory=list)  # the county mail's table

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.step, steps.month_key(self.year, self.month), self.recipient)


def unit_intent(step, mail, unit, accounts, year, month) -> Intent:
    contact = unit_contact(accounts, unit.code)
    return Intent(step, year, month, f"unit:{unit.code}", mail, to=contact.email if contact else "",
                  reason="" if contact else unit_contact_problem(accounts, unit.code),
                  name=unit.name, unit=unit, account=contact)


def intents(root, today: dt.date) -> Iterator[Intent]:
    """Every reminder due on ``today`` (catch-up included), county by county, streamed."""
    closures = reminders_of(root).closures
    calendars = closures.calendars()
    national = calendars[None]
    accounts = root["accounts"]
    people = officials(accounts)
    day1 = steps.due_months(steps.DAY1, today, national)
    for county in root["counties"].values():
        work = calendars.get(county.code, national)
        county_day11 = steps.due_months(steps.DAY11, today, work)
        yield from county_intents(county, work, accounts, people.get(county.code, []), today, day1,
                                  county_day11)
    for ym in steps.due_months(steps.DAY16, today, national):
        yield from admin_intents(people.get(None, []), *ym)


def county_intents(county, work, accounts, county_officials, today, day1, county_day11):
    rows = {ym: [] for ym in county_day11}
    for unit in county.values():
        for ym in steps.candidate_months(today):
            if not unit.is_open_in(*ym) or is_done(unit, *ym, today):
                continue
            if ym in day1:
                yield unit_intent(steps.DAY1, "unit_day1", unit, accounts, *ym)
            deadline = unit.filing_deadline(*ym, today)
            if steps.is_due(steps.DAY11, *ym, today, work, deadline):
                yield unit_intent(steps.DAY11, "unit_day11", unit, accounts, *ym)
            if ym in rows and deadline < today:
                rows[ym].append(missing_row(unit, county, accounts, *ym, today))
    for ym, missing in rows.items():
        if not missing:
            continue
        if not county_officials:
            yield Intent(steps.DAY11, *ym, f"county:{county.code}", "county_day11", reason="縣市尚無開通的承辦人帳號",
                         name=county.name, county=county, rows=missing)
        for account in county_officials:
            ok = valid_email(account.email)
            yield Intent(steps.DAY11, *ym, f"county:{county.code}:{account.login}", "county_day11",
                         to=account.email if ok else "", reason="" if ok else "電子郵件地址無效",
                         name=f"{county.name} {account.name or account.login}", county=county,
                         account=account, rows=missing)


def admin_intents(admins, year, month):
    for account in admins:
        ok = valid_email(account.email)
        yield Intent(steps.DAY16, year, month, f"admin:{account.login}", "admin_day16",
                     to=account.email if ok else "", reason="" if ok else "電子郵件地址無效",
                     name=account.name or account.login, account=account)
