"""The workflow desk: the unit page's 設定狀態, bulk actions with a preview, refusals."""
from __future__ import annotations

import datetime as dt

import pytest

from cgs_portal.accounts import audit
from cgs_portal.reporting import workflow
from support import csrf_token, login

UNIT = "/counties/65000/013601/"
TAIPEI = dt.timezone(dt.timedelta(hours=8))


def state(portal, code="013601", ym=(2024, 9), county="65000", today=dt.date(2024, 10, 3)):
    with portal() as root:
        return root["counties"][county][code].month_state(*ym, today)


def events(portal, name):
    with portal() as root:
        return [e for e in audit.entries(root) if e.event == name]


def test_an_administrator_records_a_paper_filing_and_undoes_it(testapp, world, portal):
    login(testapp, world["admin"])
    page = testapp.get(UNIT)
    form = page.forms["set-state-form"]
    form["m"], form["action"], form["reason"] = "2024-09", "paper", "紙本寄達"
    page = form.submit().follow()
    assert "已登錄紙本填報" in page.text
    assert state(portal) == workflow.SUBMITTED
    assert "紙本寄達" in page.html.find(id="history-2024-09").text
    assert events(portal, "desk.state")[0].login == "admin1"
    form = page.forms["set-state-form"]
    form["m"], form["action"], form["reason"] = "2024-09", "revert", "寄錯月份"
    form.submit().follow()
    assert state(portal) == workflow.OPEN


def test_a_change_without_reason_or_from_a_wrong_state_is_refused(testapp, world, portal):
    login(testapp, world["admin"])
    token = csrf_token(testapp)
    page = testapp.post(UNIT + "set-state", {"csrf_token": token, "m": "2024-09", "action": "exempt",
                                             "reason": " "}).follow()
    assert "原因" in page.text and state(portal) == workflow.OPEN
    page = testapp.post(UNIT + "set-state", {"csrf_token": token, "m": "2024-09", "action": "reopen",
                                             "reason": "x", "until": "2024-10-20"}).follow()
    assert "尚未填報" in page.text
    page = testapp.post(UNIT + "set-state", {"csrf_token": token, "m": "2024-13", "action": "nope",
                                             "reason": "x"}).follow()
    assert "月份" in page.text
    with portal() as root:
        assert root["counties"]["65000"]["013601"].get("113") is None  # nothing created


@pytest.mark.parametrize("role", ["unit", "other_unit", "county", "helpdesk"])
def test_only_administrators_set_states(testapp, world, role, portal):
    if role == "other_unit":
        login(testapp, world["other_unit"])
    else:
        login(testapp, world[role])
    token = csrf_token(testapp)
    response = testapp.post(UNIT + "set-state", {"csrf_token": token, "m": "2024-09", "action": "exempt",
                                                 "reason": "x"}, status=404)
    assert response.status_int == 404 and state(portal) == workflow.OPEN
    testapp.get("/desk", status=403)
    testapp.post("/desk", {"csrf_token": token, "kind": "extend"}, status=403)
    assert "set-state-form" not in testapp.get(UNIT, expect_errors=True).text


def test_reopen_a_county_month_with_a_preview(testapp, world, portal, clock):
    with portal() as root:
        root["counties"]["65000"]["013601"].report(2024, 9, create=True).admin_record(
            "paper", "紙本", "admin1", dt.datetime(2024, 10, 2, 9, tzinfo=TAIPEI))
    clock.set_now(dt.datetime(2024, 10, 20, 9, 0))
    login(testapp, world["admin"])
    form = testapp.get("/desk").forms["reopen-form"]
    form["scope"], form["m"], form["until"], form["reason"] = "65000", "2024-09", "2024-10-31", "颱風停班停課"
    preview = form.submit()
    assert "確認" in preview.text and "將開放重新填報" in preview.html.find(id="item-013601").text
    assert "可於延長期限內填報" in preview.html.find(id="item-013501").text
    assert preview.html.find(id="item-333601") is None  # another county
    assert state(portal, today=dt.date(2024, 10, 20)) == workflow.SUBMITTED  # nothing applied yet
    confirm = preview.forms["confirm-form"]
    page = confirm.submit().follow()
    assert "1 個單位開放重新填報" in page.text and "填報期限延長" in page.text
    assert state(portal, today=dt.date(2024, 10, 20)) == workflow.AMENDMENT_OPEN
    assert state(portal, "013501", today=dt.date(2024, 10, 20)) == workflow.OPEN  # not overdue: extended
    with portal() as root:
        assert root["counties"]["65000"]["013501"].filing_deadline(2024, 9, dt.date(2024, 10, 20)) == dt.date(2024, 10, 31)
    again = confirm.submit()  # a double submit applies nothing
    assert again.status_int == 302 and "已經套用過" in again.follow().text
    assert len(events(portal, "desk.bulk")) == 1


def test_extend_for_the_nation(testapp, world, portal, clock):
    clock.set_now(dt.datetime(2024, 10, 20, 9, 0))
    login(testapp, world["admin"])
    form = testapp.get("/desk").forms["extend-form"]
    form["scope"], form["m"], form["until"], form["reason"] = "*", "2024-09", "2024-10-25", "系統維護"
    preview = form.submit()
    assert "儲存延長期限" in preview.text and preview.html.find(id="item-333601") is not None
    page = preview.forms["confirm-form"].submit().follow()
    assert "113/10/25" in page.html.find(id="extensions").text
    assert state(portal, "333601", county="63000", today=dt.date(2024, 10, 20)) == workflow.OPEN
    testapp.get("/logout")
    testapp.reset()
    login(testapp, world["unit"])  # the filing page shows the new deadline
    assert "113/10/25" in testapp.get(UNIT + "year").html.find(id="month-2024-09").text


def test_a_stale_preview_is_shown_again(testapp, world, portal, clock):
    clock.set_now(dt.datetime(2024, 10, 20, 9, 0))
    login(testapp, world["admin"])
    form = testapp.get("/desk").forms["exempt-form"]
    form["scope"], form["m"], form["codes"], form["reason"] = "65000", "2024-09", "013601, 013501\n999999 333601", "併校"
    preview = form.submit()
    assert "找不到此單位" in preview.html.find(id="item-999999").text
    assert "找不到此單位" in preview.html.find(id="item-333601").text  # another county than chosen
    with portal() as root:  # meanwhile 013501 files
        root["counties"]["65000"]["013501"].report(2024, 9, create=True).admin_record(
            "no_cases", "x", "admin1", dt.datetime(2024, 10, 20, 9, tzinfo=TAIPEI))
    again = preview.forms["confirm-form"].submit()
    assert again.html.find(id="plan-changed") is not None
    assert "不變更" in again.html.find(id="item-013501").text
    again.forms["confirm-form"].submit().follow()
    assert state(portal, today=dt.date(2024, 10, 20)) == workflow.EXEMPT
    assert state(portal, "013501", today=dt.date(2024, 10, 20)) == workflow.SUBMITTED_NO_CASES


def test_bad_bulk_input_gets_a_message(testapp, world):
    login(testapp, world["admin"])
    token = csrf_token(testapp)
    for data in ({"kind": "reopen", "m": "2024-09", "scope": "*", "until": "2024-12-01", "reason": "x"},
                 {"kind": "extend", "m": "2024-09", "scope": "65000", "until": "2024-01-01", "reason": "x"},
                 {"kind": "exempt", "m": "2024-09", "scope": "65000", "codes": "", "reason": "x"},
                 {"kind": "extend", "m": "2024-09", "scope": "99999", "until": "2024-12-01", "reason": "x"},
                 {"kind": "zzz", "m": "bad", "reason": ""}):
        page = testapp.post("/desk", {"csrf_token": token, **data}).follow()
        assert page.html.select(".alert-danger"), data
