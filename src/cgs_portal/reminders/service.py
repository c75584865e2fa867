"""What the reminders pages show and do, one function per page or action (views call one)."""
from __future__ import annotations

import datetime as dt
from itertools import islice

from .. import calendar
from ..counties import COUNTIES
from . import mails, plan, sheets, steps
from .models import KIND_LABELS, NATIONWIDE, STATUS_LABELS, reminders_of

RUNS_PER_PAGE = 50
LINES_PER_PAGE = 500


class Refused(Exception):
    """An action refused with a message for the page."""


def default_month(today: dt.date) -> tuple[int, int]:
    """The month the reminders of ``today`` are about: the previous month."""
    return calendar.previous_month(today.year, today.month)


def month_choices(today: dt.date, count: int = 12) -> list[tuple[str, str]]:
    ym, found = default_month(today), []
    for _ in range(count):
        found.append((steps.month_key(*ym), calendar.roc_month_label(*ym)))
        ym = calendar.previous_month(*ym)
    return found


def runs_page(root, page: int) -> dict:
    runs = reminders_of(root).runs
    newest = reversed(list(runs.keys()))  # run ids sort by time; a few thousand a decade
    start = (page - 1) * RUNS_PER_PAGE
    chosen = [runs[key] for key in islice(newest, start, start + RUNS_PER_PAGE)]
    return {"runs": chosen, "page": page, "more": len(runs) > start + RUNS_PER_PAGE}


def run_lines(root, run_id: str | None, status: str | None = None) -> tuple[object, list]:
    """A run and its first lines (only those of ``status``, e.g. the 無法通知 ones, if given)."""
    ledger = reminders_of(root)
    run = ledger.runs.get(run_id) if run_id else None
    if run is None:
        return None, []
    keys = (key for key, line in run.lines.items() if status is None or line == status)
    return run, [ledger.deliveries[key] for key in islice(keys, LINES_PER_PAGE) if key in ledger.deliveries]


def step_lines(root, step: str | None, ym) -> list:
    if step is None or ym is None:
        return []
    return list(islice(reminders_of(root).deliveries_of(step, steps.month_key(*ym)), LINES_PER_PAGE))


def resend(request, root, data: dict, by: str):
    from .run import resend as resend_one

    unit = root["counties"].find_unit(data["unit"])
    if unit is None:
        raise Refused(f"找不到單位代碼 {data['unit']}。")
    if not unit.is_open_in(*data["m"]):
        raise Refused(f"{unit.name} 在 {calendar.roc_month_label(*data['m'])} 未開辦，不需填報。")
    return resend_one(request, root, data["step"], *data["m"], unit, by)


def closures_page(root) -> dict:
    entries = sorted(reminders_of(root).closures, key=lambda c: (c.day, c.county, c.kind), reverse=True)
    return {"closures": entries, "counties": [(NATIONWIDE, "全國"), *COUNTIES.items()],
            "kinds": list(KIND_LABELS.items()), "county_name": county_name}


def county_name(code: str) -> str:
    return "全國" if code == NATIONWIDE else COUNTIES.get(code, code)


def add_closure(root, data: dict, by: str, at: dt.datetime):
    closures = reminders_of(root).closures
    key = (data["day"].isoformat(), data["county"], data["kind"])
    other = "working" if data["kind"] == "closed" else "closed"
    if closures.get((data["day"].isoformat(), data["county"], other)) is not None:
        raise Refused(f"{data['day'].isoformat()} {county_name(data['county'])} 已登錄為相反的類別，請先刪除。")
    if closures.get(key) is not None:
        raise Refused(f"{data['day'].isoformat()} {county_name(data['county'])} 已登錄過。")
    return closures.add(data["day"], data["county"], data["kind"], data["note"], by, at)


def remove_closure(root, data: dict):
    removed = reminders_of(root).closures.remove((data["day"].isoformat(), data["county"], data["kind"]))
    if removed is None:
        raise Refused("找不到要刪除的日期。")
    return removed


def mails_page(root, request, name: str | None) -> dict:
    chosen = name or "unit_day1"
    subject, body = mails.current_text(root, request, chosen)
    stored = reminders_of(root).templates.get(chosen)
    return {"mails": mails.MAILS, "chosen": chosen, "subject": subject, "body": body, "stored": stored,
            "fields": mails.MAILS[chosen][1], "previous": list(reversed(stored.previous)) if stored else []}


def preview_intent(root, request, name: str, code: str, today: dt.date):
    """An intent for a real unit (unit mails), county (county mail) or the admin (day 16)."""
    ym = default_month(today)
    accounts = root["accounts"]
    if name.startswith("unit_"):
        unit = root["counties"].find_unit(code) if code else None
        if unit is None:
            raise Refused("預覽請輸入一個單位代碼（6 碼）。")
        return plan.unit_intent(name.removeprefix("unit_"), name, unit, accounts, *ym)
    if name == "county_day11":
        county = root["counties"].get(code) if code else None
        if county is None:
            raise Refused("預覽請輸入縣市代碼（5 碼，例如 65000）。")
        rows = list(islice(plan.missing_units(root, *ym, today, county), 200))
        return plan.Intent(steps.DAY11, *ym, f"county:{county.code}", name, name=county.name, county=county,
                           account=request.identity, rows=rows)
    return plan.Intent(steps.DAY16, *ym, "admin:preview", name, account=request.identity)


def preview(root, request, data: dict, today: dt.date) -> dict:
    problems = mails.problems(data["name"], data["subject"], data["body"])
    if problems:
        raise Refused(" ".join(problems))
    intent = preview_intent(root, request, data["name"], data["unit"], today)
    subject, body, attachments = mails.compose(request, root, intent, today, (data["subject"], data["body"]))
    return {"subject": subject, "body": body, "attachments": [a[0] for a in attachments]}


def save_mail(root, request, data: dict, by: str, at: dt.datetime):
    problems = mails.problems(data["name"], data["subject"], data["body"])
    if problems:
        raise Refused(" ".join(problems))
    return mails.save_text(root, request, data["name"], data["subject"], data["body"], by, at)


def national_page(root, ym, today: dt.date) -> dict:
    rows = list(plan.missing_units(root, *ym, today))
    groups = {"national": [r for r in rows if r.group == "national"],
              "county": [r for r in rows if r.group == "county"]}
    return {"month": steps.month_key(*ym), "month_label": calendar.roc_month_label(*ym), "groups": groups,
            "total": len(rows), "unreachable": sum(1 for r in rows if not r.reachable),
            "choices": month_choices(today), "as_of": calendar.roc_date(today)}


def national_xlsx(root, ym, today: dt.date) -> bytes:
    return sheets.national_list(*ym, today, plan.missing_units(root, *ym, today))


def county_page(root, county, ym, today: dt.date) -> dict:
    """A county official's view: its units not filed, and the day-11 and day-16 records."""
    ledger = reminders_of(root)
    month = steps.month_key(*ym)
    prefix = f"county:{county.code}"
    county_mails = [d for d in ledger.deliveries_of(steps.DAY11, month)
                    if d.recipient == prefix or d.recipient.startswith(prefix + ":")]
    unit_mails = {d.unit_code: d for d in ledger.deliveries_of(steps.DAY11, month) if d.county_code == county.code}
    calendars = ledger.closures.calendars()
    work = calendars.get(county.code, calendars[None])
    return {"county": county, "month": month, "month_label": calendar.roc_month_label(*ym),
            "rows": list(plan.missing_units(root, *ym, today, county)), "county_mails": county_mails,
            "unit_mails": unit_mails, "choices": month_choices(today),
            "day11": calendar.roc_date(steps.day11_date(*ym, work)),
            "day16": calendar.roc_date(steps.day16_date(*ym, calendars[None])),
            "as_of": calendar.roc_date(today), "status_labels": STATUS_LABELS}


def last_reminded(root, unit_code: str):
    found = reminders_of(root).last_reminded.get(unit_code)
    if found is None:
        return None
    at, step, month = found
    ym = calendar.parse_month(month)
    return {"at": calendar.roc_datetime(at), "step": steps.STEP_LABELS[step],
            "month": calendar.roc_month_label(*ym) if ym else month}
