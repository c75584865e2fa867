"""Privacy: two units using the same pseudonyms; nothing of one appears in the other's files."""
from __future__ import annotations

import webtest
from helpertools import UNIT, at, case, file_month, workbook

from cgs_portal.workbook import FilingContext, validate_workbook
from support import csrf_token, login

OTHER = "/counties/63000/333601/"
TAIPEI_NAME = "臺北市立示範中正國民小學"


def test_carried_and_merged_files_hold_only_the_units_own_rows(app, portal, world, clock):
    with portal() as root:
        file_month(root, "013601", 2024, 9, workbook([case(i, teacher="T01", main_category=5) for i in range(5)]))
        file_month(root, "333601", 2024, 9, workbook([case(i, teacher="T09", main_category=12, grade=6)
                                                      for i in range(8)], unit_code="333601", unit_name=TAIPEI_NAME))
    at(clock, 2024, 11, 5)
    mine = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.31"})
    login(mine, world["unit"])
    body = mine.get(UNIT + "helper-carry.xlsx?m=2024-10").body
    rows = validate_workbook(body, FilingContext("013601", "x", "國小", 113, 10, 113)).rows["cases"]
    assert len(rows) == 5 and {r["teacher_code"] for r in rows} == {"T01"}
    assert {r["main_category"] for r in rows} == {5} and {r["grade"] for r in rows} == {3}
    assert b"333601" not in body and TAIPEI_NAME.encode() not in body
    # the other unit's file is refused by the merge and the check, with the engine's message
    theirs = workbook([case(0, teacher="T09")], month=10, unit_code="333601", unit_name=TAIPEI_NAME)
    token = csrf_token(mine)
    page = mine.post(UNIT + "helper-merge", {"csrf_token": token, "m": "2024-10"},
                     upload_files=[("workbooks", "a.xlsx", workbook([case(0)], month=10)),
                                   ("workbooks", "b.xlsx", theirs)])
    assert page.html.find(id="merge-refused") is not None and "merged-download-form" not in page.forms
    checked = mine.post(UNIT + "helper-check", {"csrf_token": token, "m": "2024-10"},
                        upload_files=[("workbook", "b.xlsx", theirs)])
    assert checked.html.find(id="fatal") is not None and "T09" not in checked.text
    # and the other unit sees only its own
    other = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.32"})
    login(other, world["other_unit"])
    body = other.get(OTHER + "helper-carry.xlsx?m=2024-10").body
    rows = validate_workbook(body, FilingContext("333601", "x", "國小", 113, 10, 113)).rows["cases"]
    assert len(rows) == 8 and {r["teacher_code"] for r in rows} == {"T09"}
    other.get(UNIT + "helper-carry.xlsx?m=2024-10", status=404)


def test_the_helper_pages_write_nothing_on_get(app, testapp, portal, world, clock):
    with portal() as root:
        file_month(root, "013601", 2024, 9, workbook([case(i) for i in range(3)]))
    at(clock, 2024, 11, 5)
    login(testapp, world["unit"])
    testapp.get("/helper")
    before = app.registry._zodb_databases[""].storage.lastTransaction()
    for name in ("helper-carry", "helper-carry.xlsx?m=2024-10", "helper-merge", "helper-check", "helper-codes",
                 "helper-codes?q=%E7%B6%B2"):
        testapp.get(UNIT + name)
    testapp.get("/helper")
    assert app.registry._zodb_databases[""].storage.lastTransaction() == before
