"""Outside the caller's scope, an existing report and a missing one get the same answer.

A 403 for another unit's existing month and a 404 for a month it never filed told a
school which months another unit had filed (issue 10, item 18). Inside the county/unit
tree, a resource the caller may not use is answered like one that does not exist.
"""
from __future__ import annotations

import re

import webtest
from helpers import UNIT

from support import csrf_token, login

OTHER = "/counties/63000/333601/"


def file_september_of_the_other_unit(app, login_id):
    """333601 files September as having no cases; it has no October report."""
    other = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.77"})
    login(other, login_id)
    form = other.get(OTHER + "month", {"m": "2024-09"}).forms["no-cases-form"]
    form["confirm"] = "yes"
    assert "已完成填報" in form.submit().follow().text


def normalised(response) -> tuple:
    """Status and body with what differs per request (CSRF tokens) blanked."""
    return response.status_int, re.sub(r'value="[0-9a-f]{40}"', 'value=""', response.text)


def test_another_units_existing_and_missing_reports_look_the_same(app, testapp, world, clock):
    file_september_of_the_other_unit(app, world["other_unit"])
    login(testapp, world["unit"])
    token = csrf_token(testapp)
    pairs = [
        (OTHER + "113/2024-09/", OTHER + "113/2024-10/"),
        (OTHER + "113/2024-09/rows", OTHER + "113/2024-10/rows"),
        (OTHER + "113/2024-09/original?upload=1", OTHER + "112/2024-09/original?upload=1"),
        (OTHER + "month?m=2024-09", "/counties/63000/999999/month?m=2024-09"),
        (OTHER + "year", "/counties/63000/999999/year"),
    ]
    for existing, missing in pairs:
        a = testapp.get(existing, status="*", expect_errors=True)
        b = testapp.get(missing, status="*", expect_errors=True)
        assert a.status_int == 404, existing
        assert normalised(a) == normalised(b), (existing, missing)
    posted = testapp.post(OTHER + "no-cases", {"m": "2024-09", "serial": "1", "confirm": "yes",
                                                "csrf_token": token}, status="*", expect_errors=True)
    assert posted.status_int == 404
    assert "找不到網頁" in posted.text


def test_anonymous_visitors_go_to_the_login_page_for_both(app, world):
    browser = webtest.TestApp(app)
    file_september_of_the_other_unit(app, world["other_unit"])
    existing = browser.get(OTHER + "113/2024-09/", status=302)
    missing = browser.get(OTHER + "113/2024-10/", status=302)
    assert "/login?came_from=" in existing.location and "/login?came_from=" in missing.location


def test_pages_of_the_root_still_say_no_permission(testapp, world):
    login(testapp, world["unit"])
    assert "無權限" in testapp.get("/amendments", status=403).text
    assert "找不到網頁" in testapp.get("/no-such-page", status=404).text
    assert testapp.get(UNIT + "current").status_int == 200
