"""The workflow table and the derived states, without the web layer."""
from __future__ import annotations

import datetime as dt

import pytest

from cgs_portal import calendar
from cgs_portal.reporting import rules, service, workflow
from cgs_portal.reporting.models import Amendment, Filing
from cgs_portal.resources import MonthlyReport, Unit
from cgs_portal.statistics import totals as stats

NOW = dt.datetime(2024, 10, 3, 9, 0)


def test_date_states_are_derived_from_the_calendar():
    assert workflow.date_state(2024, 10, dt.date(2024, 10, 10)) == workflow.NOT_DUE
    assert workflow.date_state(2024, 10, dt.date(2024, 10, 11)) == workflow.OPEN
    assert workflow.date_state(2024, 10, dt.date(2024, 11, 10)) == workflow.OPEN
    assert workflow.date_state(2024, 10, dt.date(2024, 11, 11)) == workflow.OVERDUE
    assert workflow.effective_state(None, 2024, 9, dt.date(2024, 10, 3)) == workflow.OPEN


def test_every_transition_is_in_the_table_and_recorded():
    report = MonthlyReport(2024, 9)
    with pytest.raises(workflow.TransitionError):
        workflow.fire(report, "request_amendment", NOW, "u")
    step = workflow.fire(report, "file", NOW, "u", "當期填報")
    report.filing = Filing("cases", NOW, "u", False)
    assert (step.from_state, step.to_state, step.by, step.at) == (workflow.OPEN, workflow.SUBMITTED, "u", NOW)
    with pytest.raises(workflow.TransitionError):
        workflow.fire(report, "file", NOW, "u")  # already filed
    report.amendment = Amendment("typo", NOW, "u")
    workflow.fire(report, "request_amendment", NOW, "u", "typo")
    with pytest.raises(workflow.TransitionError):
        workflow.fire(report, "file", NOW, "u")
    workflow.fire(report, "approve_amendment", NOW, "admin")
    report.amendment.open_until = dt.date(2024, 10, 17)
    assert report.state_on(dt.date(2024, 10, 17)) == workflow.AMENDMENT_OPEN
    assert report.state_on(dt.date(2024, 10, 18)) == workflow.SUBMITTED  # expired, no cron needed
    workflow.settle(report, dt.date(2024, 10, 18), NOW)
    assert report.state == workflow.SUBMITTED
    assert [s.event for s in report.history] == ["file", "request_amendment", "approve_amendment",
                                                 "expire_amendment"]
    assert set(workflow.TRANSITIONS) == set(workflow.EVENT_LABELS)


def test_filing_rules_say_why():
    unit = Unit("013601", "示範國小", "國小", "65000", opened_on=dt.date(2024, 9, 1))
    with pytest.raises(rules.Refused) as refused:
        rules.check_fileable(unit, 2024, 8, dt.date(2024, 10, 3))
    assert refused.value.code == "closed"
    with pytest.raises(rules.Refused) as refused:
        rules.check_fileable(unit, 2024, 11, dt.date(2024, 10, 3))
    assert refused.value.code == "not_open"
    with pytest.raises(rules.Refused) as refused:
        rules.check_fileable(unit, 2024, 9, dt.date(2025, 8, 11))
    assert refused.value.code == "other_year"
    rules.check_fileable(unit, 2024, 9, dt.date(2024, 9, 11))  # early filing is fine
    assert calendar.current_filing_month(dt.date(2025, 8, 10)) == (2025, 7)
    assert calendar.current_academic_year(dt.date(2025, 8, 10)) == 113
    assert calendar.current_academic_year(dt.date(2025, 8, 11)) == 114


def test_check_serial_refuses_a_stale_form():
    report = MonthlyReport(2024, 9)
    rules.check_serial(report, "0")
    report.serial = 1
    with pytest.raises(rules.Refused) as refused:
        rules.check_serial(report, "0")
    assert refused.value.code == "stale"
    report.filing = Filing("no_cases", NOW, "u", False)
    with pytest.raises(rules.Refused) as refused:
        rules.check_serial(report, "0")
    assert "113/10/03 09:00" in refused.value.message


def test_row_changes_by_unique_key():
    old = {"cases": [{"teacher_code": "T1", "student_code": "S1", "sessions": 1, "_row": 6},
                     {"teacher_code": "T1", "student_code": "S2", "sessions": 1, "_row": 7}],
           "services": []}
    new = {"cases": [{"teacher_code": "T1", "student_code": "S1", "sessions": 2, "_row": 6},
                     {"teacher_code": "T2", "student_code": "S3", "sessions": 1, "_row": 7}],
           "services": []}
    changes = service.row_changes("113", old, new)["cases"]
    assert (changes["added"], changes["removed"], changes["changed"]) == (1, 1, 1)


def test_statistics_merge_keeps_students_distinct():
    a = {"counts": {"cases": 2, "services": 1, "sessions": 3}, "I_main": {"5|7|1|1": 2},
         "students": [("S1", 7, 1, 1, 1), ("S2", 7, 2, 1, 1)], "teachers": {"1": ["T1"]}}
    b = {"counts": {"cases": 1, "services": 0, "sessions": 1}, "I_main": {"5|7|1|1": 1},
         "students": [("S1", 7, 1, 2, 1)], "teachers": {"1": ["T1"]}}
    total = stats.empty()
    stats.add(total, a, "013601")
    stats.add(total, b, "013601")
    other = stats.add(stats.empty(), b, "013501")
    merged = stats.merge([total, other])
    figures = stats.headline(merged)
    assert figures["students"] == 3  # S1 of 013601 once across months, S1 of 013501 apart
    assert figures["case_rows"] == 4 and merged["I_main"]["5|7|1|1"] == 4
    assert figures["teachers"] == 2
    assert stats.filing_status([("submitted", False), ("submitted", True), ("submitted_no_cases", False),
                                ("overdue", False)]) == {"filed": 1, "filed_late": 1, "no_cases": 1,
                                                         "not_filed": 1}
