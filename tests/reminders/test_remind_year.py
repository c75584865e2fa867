"""A simulated academic year (114: Aug 2025 – Jul 2026), walked day by day with the clock.

Every day the reminders run; the test asserts exactly which mails go to whom on which date.
The dates of day 11 and day 16 below were worked out by hand from the office calendar
(weekends, 春節 2026-02-14..22) — the calendar this suite tests.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from remind_helpers import TAIPEI, messages, remind

from support import add_account, add_unit, login

D = dt.date
# filing month -> the date its day-11 and day-16 steps fall on (national calendar)
DAY11 = {(2025, 8): D(2025, 9, 11), (2025, 9): D(2025, 10, 13), (2025, 10): D(2025, 11, 11),
         (2025, 11): D(2025, 12, 11), (2025, 12): D(2026, 1, 12), (2026, 1): D(2026, 2, 11),
         (2026, 2): D(2026, 3, 11), (2026, 3): D(2026, 4, 13), (2026, 4): D(2026, 5, 11),
         (2026, 5): D(2026, 6, 11), (2026, 6): D(2026, 7, 13), (2026, 7): D(2026, 8, 11)}
DAY16 = {(2025, 8): D(2025, 9, 16), (2025, 9): D(2025, 10, 16), (2025, 10): D(2025, 11, 17),
         (2025, 11): D(2025, 12, 16), (2025, 12): D(2026, 1, 16), (2026, 1): D(2026, 2, 23),
         (2026, 2): D(2026, 3, 16), (2026, 3): D(2026, 4, 16), (2026, 4): D(2026, 5, 18),
         (2026, 5): D(2026, 6, 16), (2026, 6): D(2026, 7, 16), (2026, 7): D(2026, 8, 17)}
TYPHOON = D(2025, 11, 11)  # entered by an admin for 新北 only: its day-11 mails move to 11/12
MONTHS = sorted(DAY11)


def next_of(ym):
    return (ym[0] + 1, 1) if ym[1] == 12 else (ym[0], ym[1] + 1)


@pytest.fixture
def year_world(portal, world):
    with portal() as root:
        add_account(root, "013501_c001", unit_code="013501", personal_id="c001", name="陳老師",
                    email="chen@example.invalid", phone="02-2222")
        add_unit(root, "014301", "新北市立示範高級中學", "高中", "65000", closed_on=D(2026, 1, 31))
        add_account(root, "014301_d001", unit_code="014301", personal_id="d001", name="林老師",
                    email="lin@example.invalid")
        add_unit(root, "013502", "新北市立新設國民中學", "國中", "65000", opened_on=D(2026, 3, 1))
        add_account(root, "013502_e001", unit_code="013502", personal_id="e001", name="張老師",
                    email="chang@example.invalid")
        add_account(root, "tpe_gov", role="county", county_code="63000", name="臺北承辦",
                    email="tpe@example.invalid")
    return world


def file_month(app, portal, code, ym, day):
    app.registry.cgs_clock.set_now(dt.datetime.combine(day, dt.time(8, 0), TAIPEI))
    with portal() as root:
        report = root["counties"].find_unit(code).report(*ym, create=True)
        report.file_no_cases(code + "_x", dt.datetime.combine(day, dt.time(8, 0), TAIPEI), day)


def expected_mails(day):
    """(address, step, month) of every mail due on ``day``, from the rules of the guide."""
    found = set()
    for ym in MONTHS:
        key = f"{ym[0]:04d}-{ym[1]:02d}"
        first = D(*next_of(ym), 1)
        # who has not filed by the step: 013601 skips only 2025-11; 333601 files on the 3rd (after day 1)
        open_units = {"wang@example.invalid": True, "chen@example.invalid": True,
                      "li@example.invalid": True,
                      "lin@example.invalid": ym <= (2026, 1), "chang@example.invalid": ym >= (2026, 3)}
        if day == first:
            found |= {(a, "day1", key) for a, is_open in open_units.items() if is_open}
        day11_ntpc = D(2025, 11, 12) if ym == (2025, 10) else DAY11[ym]
        if day == day11_ntpc:
            late = {"chen@example.invalid", "ntpc@example.invalid"}
            late |= {"lin@example.invalid"} if ym <= (2026, 1) else set()
            late |= {"chang@example.invalid"} if ym >= (2026, 3) else set()
            late |= {"wang@example.invalid"} if ym == (2025, 11) else set()
            found |= {(a, "day11", key) for a in late}
        if day == DAY16[ym]:
            found.add(("admin@example.invalid", "day16", key))
    return found


STEP_OF_SUBJECT = (("已彙整", "day16"), ("轄內尚未完成", "day11"), ("尚未完成", "day11"), ("請於", "day1"))


def step_of(message):
    return next(step for word, step in STEP_OF_SUBJECT if word in message["subject"])


def test_a_whole_academic_year_day_by_day(app, portal, year_world, settings, testapp):
    login(testapp, "admin1")
    page = testapp.get("/reminders-closures")
    form = page.forms["closure-form"]
    form["day"], form["county"], form["kind"], form["note"] = TYPHOON.isoformat(), "65000", "closed", "颱風停班停課"
    form.submit("submit").follow()
    seen, wrong = set(), []
    by_day = defaultdict(set)
    day = D(2025, 9, 1)
    while day <= D(2026, 8, 31):
        if day.day == 3:  # 臺北 files the previous month on the 3rd
            file_month(app, portal, "333601", (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12), day)
        if day.day == 5 and (day.year, day.month) != (2025, 12):  # 013601 never files 2025-11
            file_month(app, portal, "013601", (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12), day)
        remind(app, day)
        for message in messages(settings, seen):
            seen.add(message["id"])
            by_day[day].add((message["to"], step_of(message)))
        expected = {(a, s) for a, s, _m in expected_mails(day)}
        if by_day[day] != expected:
            wrong.append((day.isoformat(), sorted(by_day[day] - expected), sorted(expected - by_day[day])))
        day += dt.timedelta(days=1)
    assert not wrong, "\n".join(map(str, wrong))
    assert len(seen) == sum(len(v) for v in by_day.values()) > 90
    assert ("ntpc@example.invalid", "day11") in by_day[D(2025, 11, 12)] and not by_day[TYPHOON]
    # the unit without an account was never mailed, and is listed 無法通知 for every month
    with portal() as root:
        ledger = root.reminders.deliveries
        centre = [d for d in ledger.values() if d.unit_code == "01C001"]
        assert len(centre) == 24 and {d.status for d in centre} == {"unreachable"}
        assert {d.reason for d in centre} == {"尚無帳號"}
        # 臺北's official got nothing: its one unit always filed on the 3rd
        assert not [d for d in ledger.values() if d.recipient.startswith("county:63000")]


def test_the_day11_county_mail_lists_every_unit_and_attaches_the_xlsx(app, portal, year_world, settings):
    from io import BytesIO

    from openpyxl import load_workbook

    remind(app, D(2025, 10, 13))
    county_mail = next(m for m in messages(settings) if m["to"] == "ntpc@example.invalid")
    assert "114年9月" in county_mail["subject"]
    for code in ("013601", "013501", "01C001", "014301"):
        assert code in county_mail["body"]
    assert "陳老師" in county_mail["body"] and "02-2222" in county_mail["body"]
    (name, data), = county_mail["attachments"].items()
    assert name.endswith(".xlsx")
    sheet = load_workbook(BytesIO(data)).active
    codes = {row[1] for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert codes == {"013601", "013501", "01C001", "014301"}
