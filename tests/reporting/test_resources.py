"""The resources' own behaviour: finding units and reports, and the MonthlyReport transitions."""
from __future__ import annotations

import datetime as dt

import pytest

from cgs_portal.accounts.units import find_unit
from cgs_portal.reporting import rules, workflow
from cgs_portal.reporting.evolve import step_1_queue_and_counters
from cgs_portal.resources import Counties, County, PortalRoot, Unit, unit_of

NOW = dt.datetime(2024, 10, 3, 9, 0)
TODAY = NOW.date()


@pytest.fixture
def tree():
    root = PortalRoot()
    counties = root.add("counties", Counties())
    taipei = counties.add("63000", County("63000", "臺北市"))
    new_taipei = counties.add("65000", County("65000", "新北市"))
    taipei.add("313601", Unit("313601", "臺北示範國小", "國小", "63000"))
    new_taipei.add("013601", Unit("013601", "新北示範國小", "國小", "65000", opened_on=dt.date(2024, 9, 1)))
    step_1_queue_and_counters(root, None)  # the containers an evolved database has
    return root


def test_counties_find_a_unit_in_any_county(tree):
    counties = tree["counties"]
    assert counties.find_unit("013601").name == "新北示範國小"
    assert counties.find_unit("313601").county_code == "63000"
    assert counties.find_unit("999999") is None and counties.find_unit("") is None
    assert find_unit(tree, " 013601 ") is counties.find_unit("013601")


def test_unit_report_is_found_or_created_in_its_academic_year(tree):
    unit = tree["counties"].find_unit("013601")
    assert unit.report(2024, 9) is None and "113" not in unit
    report = unit.report(2024, 9, create=True)
    assert unit["113"]["2024-09"] is report and report.state == workflow.OPEN
    assert unit.report(2024, 9) is report and unit.report(2024, 9, create=True) is report
    assert unit.report(2025, 7, create=True).__parent__ is unit["113"]
    assert unit.report(2025, 8, create=True).__parent__ is unit["114"]
    assert unit_of(report) is unit and unit_of(report.__parent__) is unit and unit_of(tree) is None


def test_expected_months_and_month_state(tree):
    unit = tree["counties"].find_unit("013601")
    assert (2024, 8) not in unit.expected_months(113) and (2024, 9) in unit.expected_months(113)
    assert unit.month_state(2024, 9, TODAY) == workflow.OPEN  # no report yet: from the calendar
    assert unit.month_state(2024, 8, TODAY) == workflow.OVERDUE
    with pytest.raises(rules.Refused) as refused:
        rules.check_fileable(unit, 2024, 8, TODAY)
    assert refused.value.code == "closed"


def test_filing_no_cases_then_refiling_is_refused(tree):
    unit = tree["counties"].find_unit("013601")
    report = unit.report(2024, 9, create=True)
    filing = report.file_no_cases("013601_a", NOW, TODAY)
    assert report.filing is filing and filing.kind == "no_cases" and not filing.late
    assert report.state_on(TODAY) == workflow.SUBMITTED_NO_CASES
    assert report.serial == 1 and report.history[-1].reason == "當期填報"
    assert unit.__parent__.filing_generation() == 1
    with pytest.raises(rules.Refused) as refused:
        report.file_no_cases("013601_a", NOW, TODAY)
    assert refused.value.code == "filed"


def test_amendment_request_decision_and_refiling(tree):
    unit = tree["counties"].find_unit("013601")
    report = unit.report(2024, 9, create=True)
    report.file_no_cases("013601_a", NOW, TODAY)
    amendment = report.request_amendment("  填錯了 ", "013601_a", NOW, TODAY)
    assert amendment.reason == "填錯了" and report.state_on(TODAY) == workflow.AMENDMENT_REQUESTED
    assert list(rules.queue(report).values()) == [report]
    with pytest.raises(rules.Refused) as refused:
        report.request_amendment("again", "013601_a", NOW, TODAY)
    assert refused.value.code == "amendment_requested"
    report.decide_amendment(True, "", "admin", NOW, days=7)
    assert amendment.open_until == dt.date(2024, 10, 10) and len(rules.queue(report)) == 0
    assert report.state_on(TODAY) == workflow.AMENDMENT_OPEN
    with pytest.raises(rules.Refused) as refused:
        report.decide_amendment(False, "", "admin", NOW)
    assert refused.value.code == "decided"
    report.file_no_cases("013601_a", NOW, TODAY)
    assert report.history[-1].reason == "核准修改後重新填報" and amendment.outcome == "refiled"
    assert [s.event for s in report.history] == ["file_no_cases", "request_amendment", "approve_amendment",
                                                 "file_no_cases"]


def test_amendment_outside_the_semester_or_unfiled_is_refused(tree):
    unit = tree["counties"].find_unit("013601")
    report = unit.report(2024, 9, create=True)
    with pytest.raises(rules.Refused) as refused:
        report.request_amendment("x", "013601_a", NOW, TODAY)
    assert refused.value.code == "not_filed"
    report.file_no_cases("013601_a", NOW, TODAY)
    with pytest.raises(rules.Refused) as refused:
        report.request_amendment("x", "013601_a", NOW, dt.date(2025, 3, 11))
    assert refused.value.code == "other_semester"
    report.request_amendment("x", "013601_a", NOW, TODAY)
    report.decide_amendment(False, "不需修改", "admin", NOW)
    assert report.state_on(TODAY) == workflow.SUBMITTED_NO_CASES and report.amendment.decision == "refused"
