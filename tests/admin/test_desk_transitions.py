"""The administrators' events: each allowed only from the states the workflow table names."""
from __future__ import annotations

import datetime as dt

import pytest

from cgs_portal.reporting import ledger, rules, workflow
from support import add_unit

TAIPEI = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2024, 10, 20, 9, 0, tzinfo=TAIPEI)  # September is overdue, October open early


def test_the_table_names_the_admin_events():
    for event in workflow.ADMIN_EVENTS:
        assert event in workflow.TRANSITIONS and event in workflow.EVENT_LABELS
    assert workflow.TRANSITIONS["admin_exempt"][0] == workflow.DATE_STATES
    assert workflow.TRANSITIONS["admin_reopen"][0] == workflow.FILED
    assert workflow.STATE_LABELS[workflow.EXEMPT] == "無需填報"


@pytest.fixture
def unit(portal):
    with portal() as root:
        add_unit(root, "100001", "甲國小", "國小", "65000")
    return lambda root: root["counties"]["65000"]["100001"]


def state(root, unit, ym=(2024, 9)):
    return unit(root).month_state(*ym, NOW.date())


def test_exempt_then_revert(portal, unit):
    with portal() as root:
        report = unit(root).report(2024, 9, create=True)
        report.admin_exempt("併校", "admin1", NOW)
        assert state(root, unit) == workflow.EXEMPT
        step = report.history[-1]
        assert (step.event, step.from_state, step.by, step.reason) == ("admin_exempt", "overdue", "admin1", "併校")
        assert ledger.entry(root["counties"]["65000"], "100001", 2024, 9).state == workflow.EXEMPT
        with pytest.raises(rules.Refused):  # the unit can no longer file it
            rules.check_fileable(unit(root), 2024, 9, NOW.date())
        with pytest.raises(rules.Refused):  # not twice
            report.admin_exempt("again", "admin1", NOW)
        report.admin_revert("誤設", "admin1", NOW)
        assert state(root, unit) == workflow.OVERDUE


def test_every_change_needs_a_reason(portal, unit):
    with portal() as root:
        report = unit(root).report(2024, 9, create=True)
        for call in (lambda: report.admin_exempt(" ", "a", NOW),
                     lambda: report.admin_record("paper", "", "a", NOW),
                     lambda: report.admin_revert("", "a", NOW),
                     lambda: report.admin_reopen(dt.date(2024, 11, 1), "", "a", NOW)):
            with pytest.raises(rules.Refused):
                call()
        assert list(report.history) == []


def test_paper_filing_reopen_and_revert(portal, unit):
    with portal() as root:
        report = unit(root).report(2024, 9, create=True)
        with pytest.raises(rules.Refused):  # not filed: nothing to reopen or revert… revert of a date state
            report.admin_reopen(dt.date(2024, 11, 1), "x", "admin1", NOW)
        with pytest.raises(rules.Refused):
            report.admin_revert("x", "admin1", NOW)
        filing = report.admin_record("paper", "紙本寄達", "admin1", NOW)
        assert filing.late and state(root, unit) == workflow.SUBMITTED
        with pytest.raises(rules.Refused):  # filed: no second record, no exemption
            report.admin_record("no_cases", "x", "admin1", NOW)
        with pytest.raises(rules.Refused):
            report.admin_exempt("x", "admin1", NOW)
        with pytest.raises(rules.Refused):  # the end date must not be past
            report.admin_reopen(dt.date(2024, 10, 1), "x", "admin1", NOW)
        report.admin_reopen(dt.date(2024, 11, 1), "誤植", "admin1", NOW)
        assert state(root, unit) == workflow.AMENDMENT_OPEN
        assert unit(root).filing_deadline(2024, 9, NOW.date()) == dt.date(2024, 11, 1)
        rules.check_fileable(unit(root), 2024, 9, NOW.date())  # the unit may refile now
        report.admin_revert("整月撤銷", "admin1", NOW)
        assert state(root, unit) == workflow.OVERDUE
        assert report.filing is None and report.reverted[-1] is filing
        assert [s.event for s in report.history] == ["admin_record_paper", "admin_reopen", "admin_revert"]
        assert ledger.differences(root["counties"]["65000"]) == []


def test_no_cases_on_behalf_and_closed_months(portal, unit):
    with portal() as root:
        u = unit(root)
        u.report(2024, 9, create=True).admin_record("no_cases", "電話告知", "admin1", NOW)
        assert state(root, unit) == workflow.SUBMITTED_NO_CASES
        u.closed_on = dt.date(2024, 9, 30)
        with pytest.raises(rules.Refused):
            u.report(2024, 10, create=True).admin_record("paper", "x", "admin1", NOW)


def test_an_extension_moves_the_deadline_and_keeps_the_month_open(portal, unit):
    from cgs_portal.admin import extensions

    with portal() as root:
        assert state(root, unit) == workflow.OVERDUE
        extensions.put(root, "65000", 2024, 9, dt.date(2024, 10, 25), "颱風", "admin1", NOW)
        assert unit(root).filing_deadline(2024, 9, NOW.date()) == dt.date(2024, 10, 25)
        assert state(root, unit) == workflow.OPEN
        filing = unit(root).report(2024, 9, create=True).file_no_cases("u", NOW, NOW.date())
        assert not filing.late
        extensions.put(root, extensions.NATION, 2024, 8, dt.date(2025, 9, 30), "x", "admin1", NOW)
        assert unit(root).filing_deadline(2024, 8, NOW.date()) == dt.date(2025, 9, 30)
        assert unit(root).filing_deadline(2024, 10, NOW.date()) == dt.date(2024, 11, 10)
