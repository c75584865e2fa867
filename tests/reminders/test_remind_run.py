"""The exactly-once run: twice the same day, a crash half-way, two runs at once, dry run, cron."""
from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import pytest
from remind_helpers import TAIPEI, messages, remind, run_env

from cgs_portal.reminders.run import Runner, SimulatedCrash
from support import add_account, add_unit, write_ini

D = dt.date
DAY = D(2025, 10, 13)  # day 11 of 2025-09 (the 11th is a Saturday)


@pytest.fixture
def many(portal, world):
    """30 more units in 新北 with a contact each; nobody has filed 2025-09."""
    with portal() as root:
        for n in range(30):
            code = f"0136{n + 10:02d}"
            add_unit(root, code, f"新北市立測試{n}國小", "國小", "65000")
            add_account(root, f"{code}_t001", unit_code=code, personal_id="t001", name=f"老師{n}",
                        email=f"t{n}@example.invalid")
    return world


def recipients(settings):
    return Counter(message["to"] for message in messages(settings))


def test_running_twice_the_same_day_sends_nothing_twice(app, many, settings):
    first = remind(app, DAY)
    assert first.counts["sent"] == 30 + 2 + 1  # the units with a contact, plus the 新北 official
    assert first.counts["unreachable"] == 3  # 013501 and 01C001 have no account, 333601's county has none
    again = remind(app, DAY)
    assert again.done == 0 and again.skipped == first.done
    assert set(recipients(settings).values()) == {1}


def test_a_crash_half_way_then_a_second_run_leaves_no_duplicate_and_no_gap(app, many, settings, portal):
    with pytest.raises(SimulatedCrash):
        remind(app, DAY, batch_size=4, fail_after=10)
    sent_before = recipients(settings)
    assert sum(sent_before.values()) == 6  # two batches of 4 committed (2 of them 無法通知); the third died
    with portal() as root:
        assert len(root.reminders.deliveries) == 8
    remind(app, DAY, batch_size=4)
    after = recipients(settings)
    assert set(after.values()) == {1}
    assert len(after) == 33
    with portal() as root:
        assert len(root.reminders.deliveries) == 36


def test_two_runs_at_once_send_each_mail_once(app, many, settings):
    """Run B commits its batches while run A, started earlier, holds the same keys uncommitted."""
    outer_day = DAY
    with run_env(app) as (request_a, root_a, tm_a):
        runner_a = Runner(request_a, root_a, tm_a, outer_day, batch_size=100)
        seen_b = []

        def run_b_once(_runner):
            if not seen_b:
                seen_b.append(remind(app, outer_day))

        # A records everything in one batch; before it commits, B runs to the end
        original_commit = runner_a._commit

        def commit_after_b():
            run_b_once(runner_a)
            original_commit()

        runner_a._commit = commit_after_b
        outcome_a = runner_a.perform()
    assert seen_b[0].done == 36
    assert outcome_a.done == 0  # A's first attempt conflicted, its mails were dropped; the retry skipped all
    assert set(recipients(settings).values()) == {1}


def test_dry_run_prints_and_changes_nothing(app, many, settings, portal):
    outcome = remind(app, DAY, dry_run=True)
    assert len(outcome.lines) == 36
    assert any("無法通知" in line and "01C001" in line for line in outcome.lines)
    assert messages(settings) == []
    with portal() as root:
        assert len(root.reminders.deliveries) == 0 and len(root.reminders.runs) == 0


def test_a_pending_or_disabled_contact_is_unreachable_not_a_crash(app, portal, world):
    with portal() as root:
        add_account(root, "013501_p001", unit_code="013501", personal_id="p001", status="pending",
                    email="pending@example.invalid")
        root["accounts"]["333601_b001"].email = "not an address"
    remind(app, DAY)
    with portal() as root:
        ledger = root.reminders.deliveries
        assert ledger[("day11", "2025-09", "unit:013501")].reason == "帳號未開通或已停用"
        assert ledger[("day11", "2025-09", "unit:333601")].reason == "電子郵件地址無效"
        assert ledger[("day11", "2025-09", "unit:013601")].status == "sent"


def test_a_filed_month_gets_no_day11_and_an_open_amendment_moves_it(app, portal, world, settings):
    from cgs_portal.reporting import workflow

    now = dt.datetime(2025, 10, 3, 9, 0, tzinfo=TAIPEI)
    with portal() as root:
        unit = root["counties"]["65000"]["013601"]
        unit.report(2025, 9, create=True).file_no_cases("013601_a001", now, now.date())
        other = root["counties"]["63000"]["333601"]
        report = other.report(2025, 9, create=True)
        report.file_no_cases("333601_b001", now, now.date())
        report.request_amendment("更正", "333601_b001", now, now.date())
        report.decide_amendment(True, "", "admin1", now, days=14)  # open until 2025-10-17 (a Friday)
        assert report.state_on(DAY) == workflow.AMENDMENT_OPEN
    remind(app, DAY)
    to = recipients(settings)
    assert "wang@example.invalid" not in to and "li@example.invalid" not in to
    for day in (D(2025, 10, 14), D(2025, 10, 17)):
        remind(app, day)
        assert "li@example.invalid" not in recipients(settings)
    remind(app, D(2025, 10, 20))  # the first working day after the amendment's end
    # the amendment expired unfiled: the earlier filing stands, so the month is done again
    assert "li@example.invalid" not in recipients(settings)


def test_an_amendment_still_open_is_not_done(app, portal, world, settings):
    now = dt.datetime(2025, 10, 3, 9, 0, tzinfo=TAIPEI)
    with portal() as root:
        report = root["counties"]["63000"]["333601"].report(2025, 9, create=True)
        report.file_no_cases("333601_b001", now, now.date())
        report.request_amendment("更正", "333601_b001", now, now.date())
        report.decide_amendment(True, "", "admin1", now, days=60)  # open until 2025-12-02
    from cgs_portal.reminders import plan

    with portal() as root:
        rows = {r.code for r in plan.missing_units(root, 2025, 9, DAY)}
    assert "333601" in rows


def test_the_console_script(tmp_path, capsys):
    from cgs_portal.scripts import init
    from cgs_portal.scripts import remind as script

    ini = write_ini(tmp_path, clock="2025-10-13T07:00:00")
    assert init.main([ini]) == 0
    out = io.StringIO()
    assert script.main([ini, "--dry-run"], out=out) == 0
    assert "dry run" in out.getvalue()
    out = io.StringIO()
    assert script.main([ini, "--date", "2025-10-13"], out=out) == 0
    assert "cgs-remind 2025-10-13" in out.getvalue()
    with pytest.raises(SystemExit):
        script.main([ini, "--date", "2025-13-40"])
