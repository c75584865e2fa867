"""申請修改, the review queue, re-filing with a diff, expiry, and 逾期補填 through a whole year."""
from __future__ import annotations

import datetime as dt

import pytest
import webtest
from helpers import UNIT, at, month_page, no_cases, upload

from cgs_portal.reporting import workflow
from support import login, outbox

pytestmark = pytest.mark.all_storages  # also on ZEO and RelStorage (tests/storages)


def report(root, key="2024-09", ay="113"):
    return root["counties"]["65000"]["013601"][ay][key]


def request_change(testapp, key, reason="個案數填錯"):
    form = testapp.get(UNIT + "amend").forms["amend-form"]
    form["m"] = key
    form["reason"] = reason
    return form.submit()


def admin_browser(app, world):
    admin = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.60"})
    login(admin, world["admin"])
    return admin


def decide(admin, decision, note=""):
    page = admin.get("/amendments")
    form = next(f for f in page.forms.values() if "report" in f.fields)
    form["note"] = note
    return form.submit("decision", value=decision).follow()


def test_amendment_approved_refiled_with_a_diff(app, testapp, world, portal, clock, make_workbook, settings):
    login(testapp, world["unit"])
    upload(testapp, "2024-09", make_workbook(cases=5, seed=3))
    # not filed yet → nothing to amend; missing reason → message beside the field
    page = request_change(testapp, "2024-09", reason="")
    assert "請說明修改原因" in page.html.select_one(".invalid-feedback").text
    page = request_change(testapp, "2024-09").follow()
    assert "已送出 113年9月 的修改申請" in page.text
    with portal() as root:
        assert report(root).state == workflow.AMENDMENT_REQUESTED
    # while the request waits, the month cannot be filed
    assert "審核中" in month_page(testapp, "2024-09").html.select_one("#refusal").text

    admin = admin_browser(app, world)
    assert "個案數填錯" in admin.get("/amendments").html.select_one("#queue-table").text
    page = decide(admin, "approve", "請於期限內重新上傳")
    assert "已核准" in page.text and "queue-empty" in page.text
    mail = outbox(settings)[0]
    assert "已核准" in mail["subject"] and "wang@example.invalid" in mail["to"]
    assert "113/10/17" in mail["body"]  # 14 days

    with portal() as root:
        assert report(root).state == workflow.AMENDMENT_OPEN
    overdue = testapp.get(UNIT + "overdue")
    assert "113年9月" in overdue.html.select_one("#overdue-table").text
    page = month_page(testapp, "2024-09")
    assert "amendment-open" in page.text
    assert "個案\n            5 筆" in page.html.select_one("#no-cases-replaces").text
    page = upload(testapp, "2024-09", make_workbook(cases=7, seed=3))
    changes = page.html.select_one("#changes").text
    assert "尚未完成填報" in page.text
    cells = [td.text for td in page.html.select("#changes tbody tr")[0].select("td")]
    assert cells[:3] == ["當月個案", "5", "7"]
    with portal() as root:  # nothing replaced until the unit confirms
        assert report(root).filing.counts["cases"] == 5
    assert "原" in changes
    page = page.forms["confirm-form"].submit().follow()
    assert "已完成填報" in page.text
    with portal() as root:
        r = report(root)
        assert r.state == workflow.SUBMITTED
        assert r.filing.counts["cases"] == 7
        assert len(r.filings) == 2 and r.filings[0].counts["cases"] == 5  # history kept
        events = [step.event for step in r.history]
        assert events == ["file", "request_amendment", "approve_amendment", "file"]
        assert r.history[-1].reason == "核准修改後重新填報"
        assert r.amendment.outcome == "refiled"


def test_amendment_refused_is_mailed_and_the_filing_stands(app, testapp, world, portal, settings):
    login(testapp, world["unit"])
    no_cases(testapp, "2024-09")
    request_change(testapp, "2024-09")
    decide(admin_browser(app, world), "refuse", "資料無誤")
    mail = outbox(settings)[0]
    assert "未核准" in mail["subject"] and "資料無誤" in mail["body"]
    with portal() as root:
        assert report(root).state == workflow.SUBMITTED_NO_CASES
        assert report(root).history[-1].event == "refuse_amendment"
    assert "已於" in month_page(testapp, "2024-09").html.select_one("#refusal").text


def test_an_approved_amendment_expires_after_14_days(app, testapp, world, portal, clock, make_workbook):
    login(testapp, world["unit"])
    upload(testapp, "2024-09", make_workbook())
    request_change(testapp, "2024-09")
    decide(admin_browser(app, world), "approve")
    clock.advance(dt.timedelta(days=15))  # 113/10/18: nothing re-filed, no cron ran
    page = month_page(testapp, "2024-09")
    refusal = page.html.select_one("#refusal").text
    assert "修改期限已於 113/10/17 截止" in refusal and "維持有效" in refusal
    year = testapp.get(UNIT + "year")
    assert year.html.select_one("#month-2024-09 .state").text == "已填報"
    # the next write records the expiry in the history
    request_change(testapp, "2024-09", "再次申請")
    with portal() as root:
        events = [step.event for step in report(root).history]
        assert events[-2:] == ["expire_amendment", "request_amendment"]


def test_other_semester_months_are_refused_with_the_office_contact(testapp, world, clock, make_workbook):
    login(testapp, world["unit"])
    at(clock, 2024, 10, 3)
    no_cases(testapp, "2024-09")
    at(clock, 2025, 3, 3)  # 下學期 (the month due is February)
    page = request_change(testapp, "2024-09")
    refusal = page.html.select_one("#refusal").text
    assert "不屬於目前的學期" in refusal
    assert "04-7222121" in refusal and "rd@chsh.chc.edu.tw" in refusal


def test_overdue_banner_and_late_filing(testapp, world, portal, clock, make_workbook):
    at(clock, 2024, 10, 15)
    login(testapp, world["unit"])
    home = testapp.get("/")
    assert "目前應填報 113年10月，狀態：填報中" in home.html.select_one("#unit-status").text
    banner = home.html.select_one("#overdue-banner").text
    assert "113年8月" in banner and "113年9月" in banner
    overdue = testapp.get(UNIT + "overdue")
    assert [tr.select("td")[0].text for tr in overdue.html.select("#overdue-table tbody tr")] == [
        "113年8月", "113年9月"]
    page = upload(testapp, "2024-09", make_workbook())
    assert "已完成填報" in page.text
    no_cases(testapp, "2024-08")
    assert "overdue-banner" not in testapp.get("/").text
    assert "no-overdue" in testapp.get(UNIT + "overdue").text
    with portal() as root:
        assert report(root).filing.late is True
        assert report(root).history[-1].reason == "逾期補填"
    year = testapp.get(UNIT + "year")
    assert "逾期填報" in year.html.select_one("#month-2024-09").text


def test_a_whole_academic_year(testapp, world, portal, clock, make_workbook):
    """Move the clock through 113學年度: each month is open, filed (some late), and stays filed."""
    login(testapp, world["unit"])
    months = [(2024, m) for m in range(8, 13)] + [(2025, m) for m in range(1, 8)]
    for i, (y, m) in enumerate(months):
        key = f"{y:04d}-{m:02d}"
        at(clock, y, m, 5)
        assert "尚未開放" in month_page(testapp, key).html.select_one("#refusal").text
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        late = i % 4 == 2
        at(clock, ny, nm, 12 if late else 4)
        page = month_page(testapp, key)
        assert page.html.select_one("#month-state").text == ("逾期未填" if late else "填報中")
        if m in (7, 8):
            no_cases(testapp, key)
        else:
            upload(testapp, key, make_workbook(roc_year=y - 1911, month=m, cases=3 + i % 3, seed=i))
        assert "已於" in month_page(testapp, key).html.select_one("#refusal").text
    at(clock, 2025, 8, 9)
    year = testapp.get(UNIT + "year", {"ay": "113"})
    states = [tr.select_one(".state").text for tr in year.html.select("#year-table tbody tr")]
    assert states == ["已填報（無個案及服務）"] + ["已填報"] * 10 + ["已填報（無個案及服務）"]
    assert len(year.html.select("#year-table .badge")) == 3  # late filings are marked
    # 114學年度 begins with the 113 template still in force, and July is the month due until the 10th
    at(clock, 2025, 8, 11)
    assert testapp.get(UNIT + "current").html.select_one("#month-label").text == "114年8月"
    with portal() as root:
        from cgs_portal.statistics.rollups import county_total

        county = root["counties"]["65000"]
        total = county_total(county, months)
        assert total["reports"] == 10
        again = county_total(county, months)
        assert again is total  # cached until the next filing in the county


def test_the_amendment_period_is_configurable(app, world, portal):
    app.registry.settings["cgs.amendment_days"] = "3"  # the ini setting
    testapp = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.62"})
    login(testapp, world["unit"])
    no_cases(testapp, "2024-09")
    request_change(testapp, "2024-09")
    decide(admin_browser(app, world), "approve")
    with portal() as root:
        assert report(root).amendment.open_until == dt.date(2024, 10, 6)


def test_refiling_lists_the_rows_added_removed_and_changed(app, testapp, world, portal, make_workbook):
    """Issue 10, item 25: the diff names the rows by the sheet's key, not only counts them."""
    login(testapp, world["unit"])
    upload(testapp, "2024-09", make_workbook(cases=5, seed=3))
    request_change(testapp, "2024-09").follow()
    decide(admin_browser(app, world), "approve")

    def edit(cases, services):
        cases[1][13] = 37                       # changed: 晤談 of the second row
        del cases[2]                            # removed
        for i in range(25):                     # added: 25 rows, 20 listed
            cases.append([*cases[0][:2], f"N{i:02d}", *cases[0][3:]])
    page = upload(testapp, "2024-09", make_workbook(cases=5, seed=3, mutate=edit))
    listed = page.html.select_one("#changes-cases")
    assert listed is not None
    added = listed.select_one(".changes-added")
    assert len(added.select("li")) == 20 and "N00" in added.text
    assert "另有 5 筆" in added.text
    removed = listed.select_one(".changes-removed").text
    changed = listed.select_one(".changes-changed").text
    assert "教師編碼" in removed and "學生代號" in removed
    assert "當月晤談累積次數" in changed and "37" in changed
