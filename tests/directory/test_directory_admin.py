"""單位名錄 in the back office: search, view, add, edit (and move), close/reopen, the CSV import
previewed then confirmed; every change dated and audited; every other role refused."""
from __future__ import annotations

import datetime as dt
import re

import pytest
import webtest

from cgs_portal.accounts.audit import entries
from cgs_portal.directory_admin import units
from cgs_portal.resources import AcademicYear, MonthlyReport
from support import login

HEADER = "學年度,代碼,學校名稱,公/私立,縣市名稱,地址,電話,網址,備註\n"


def token_of(page):
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


@pytest.fixture
def admin(testapp, world):
    login(testapp, world["admin"])
    return testapp


PAGES = ["/units", "/units?q=%E7%A4%BA%E7%AF%84", "/unit-view?code=013601", "/unit-edit?code=013601", "/unit-add",
         "/units-import"]


@pytest.mark.parametrize("role", ["unit", "county", "helpdesk"])
def test_every_other_role_is_refused(app, world, role):
    browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.70"})
    login(browser, world[role])
    for path in PAGES:
        browser.get(path, status=403)
    token = token_of(browser.get("/contact"))
    for path in ("/unit-close", "/unit-reopen", "/units-import-confirm"):
        browser.post(path, {"csrf_token": token, "code": "013601", "closed_on": "113/10/01",
                            "token": "x" * 20}, status=403)


def test_anonymous_is_sent_to_login(testapp, world):
    for path in PAGES:
        assert "/login?came_from=" in testapp.get(path, status=302).headers["Location"]


def test_search_by_name_code_county_and_level(admin):
    page = admin.get("/units", params={"q": "台北"})  # 臺 and 台 alike
    assert "333601" in page.text and "013601" not in page.text
    page = admin.get("/units", params={"county": "65000", "level": "國中"})
    assert "013501" in page.text and "013601" not in page.text
    assert "013601" in admin.get("/units", params={"q": "013601"}).text
    assert "共 0 個單位" in admin.get("/units", params={"q": "沒有這所學校"}).text
    page = admin.get("/units", params={"county": "99999", "level": "大學"})  # forged: ignored
    assert "共 4 個單位" in page.text


def test_unknown_codes_are_404(admin):
    admin.get("/unit-view?code=999999", status=404)
    admin.get("/unit-edit?code=../x", status=404)


def test_add_a_unit_dated_and_audited(admin, portal):
    form = admin.get("/unit-add").forms["unit-form"]
    form["code"] = "014602"
    form["name"] = "新北市立新設國民小學"
    form["level"] = "國小"
    form["county_code"] = "65000"
    form["opened_on"] = "113/11/01"
    page = form.submit("submit").follow()
    assert "已新增單位" in page.text and "新設國民小學" in page.text and "113/11/01" in page.text
    with portal() as root:
        unit = root["counties"]["65000"]["014602"]
        assert unit.expected_months(113)[0] == (2024, 11)
        assert [c.event for c in units.history(root, "014602")] == ["unit.add"]
        assert entries(root, event="unit.add")[0].detail.startswith("014602")
    form = admin.get("/unit-add").forms["unit-form"]
    form["code"] = "014602"
    form["name"] = "重複"
    form["level"] = "國小"
    form["county_code"] = "65000"
    assert "已存在" in form.submit("submit").text
    form["code"] = "12"
    assert "6 碼教育部代碼" in form.submit("submit").text


def test_edit_a_unit_and_move_it_to_another_county_with_its_reports(admin, portal):
    with portal() as root:
        unit = root["counties"]["65000"]["013601"]
        unit.add("113", AcademicYear(113)).add("2024-09", MonthlyReport(2024, 9, state="filed"))
        before = (root["counties"]["65000"].filing_generation(), root["counties"]["63000"].filing_generation())
    form = admin.get("/unit-edit?code=013601").forms["unit-form"]
    assert form["name"].value == "新北市立示範光明國民小學"
    form["name"] = "臺北市立示範光明國民小學"
    form["county_code"] = "63000"
    form["phone"] = "02-23456789"
    form["public"] = False
    page = form.submit("submit").follow()
    assert "已更新單位資料" in page.text
    assert "名稱：新北市立示範光明國民小學 → 臺北市立示範光明國民小學" in page.text
    assert "縣市：新北市 → 臺北市" in page.text and "公私立：公立 → 私立" in page.text
    with portal() as root:
        assert "013601" not in root["counties"]["65000"]
        moved = root["counties"]["63000"]["013601"]
        assert moved.county_code == "63000" and moved["113"]["2024-09"].state == "filed"
        assert root["counties"].find_unit("013601") is moved
        after = (root["counties"]["65000"].filing_generation(), root["counties"]["63000"].filing_generation())
        assert after[0] > before[0] and after[1] > before[1]  # both counties' roll-ups recomputed
        assert entries(root, event="unit.edit")
    # the unit's own address follows it
    admin.get("/counties/63000/013601/", status="*")
    assert "資料沒有變動" in admin.get("/unit-edit?code=013601").forms["unit-form"].submit("submit").follow().text


def test_close_with_a_date_then_reopen(admin, portal):
    page = admin.get("/unit-view?code=013501")
    form = page.forms["close-form"]
    form["closed_on"] = "113/10/15"
    page = form.submit().follow()
    assert "已登記裁撤" in page.text and "113/10/15" in page.text
    with portal() as root:
        unit = root["counties"]["65000"]["013501"]
        assert unit.closed_on == dt.date(2024, 10, 15)
        assert (2024, 10) in unit.expected_months(113) and (2024, 11) not in unit.expected_months(113)
    page = page.forms["reopen-form"].submit().follow()
    assert "已恢復為使用中" in page.text
    with portal() as root:
        assert root["counties"]["65000"]["013501"].closed_on is None
        assert [c.event for c in units.history(root, "013501")] == ["unit.reopen", "unit.close"]
        assert entries(root, event="unit.close") and entries(root, event="unit.reopen")


def test_a_bad_closing_date_is_refused(admin, portal):
    token = token_of(admin.get("/unit-view?code=013501"))
    page = admin.post("/unit-close", {"csrf_token": token, "code": "013501", "closed_on": "1/2"}).follow()
    assert "請以民國年輸入裁撤日期" in page.text
    page = admin.post("/unit-close", {"csrf_token": token, "code": "013501", "closed_on": "100/01/01"}).follow()
    assert "不可早於設立日期" in page.text
    page = admin.post("/unit-reopen", {"csrf_token": token, "code": "013501"}).follow()
    assert "此單位並未裁撤" in page.text
    with portal() as root:
        assert root["counties"]["65000"]["013501"].closed_on is None


def upload_csv(admin, text, name="directory.csv", level=""):
    form = admin.get("/units-import").forms["import-form"]
    form["file"] = webtest.Upload(name, text.encode("utf-8"), "text/csv")
    form["level"] = level
    return form.submit("submit")


CSV = (HEADER
       + "113,013601,新北市立示範光明實驗國民小學,公立,[01]新北市,,,,\n"   # renamed
       + "113,014603,新北市立新設國民小學,公立,[01]新北市,,,,\n"          # added
       + "113,333601,臺北市立示範中正國民小學,公立,[33]臺北市,,,,\n")     # unchanged


def test_the_import_previews_and_applies_nothing_before_confirmation(admin, portal):
    page = upload_csv(admin, CSV)
    report = page.html.select_one("#import-report").text
    assert "added    014603" in report and "renamed  013601" in report and "missing  013501" in report
    assert "尚未套用任何異動" in page.text
    with portal() as root:
        assert root["counties"].find_unit("014603") is None
        assert root["counties"]["65000"]["013601"].name == "新北市立示範光明國民小學"
    page = page.forms["confirm-form"].submit().follow()
    assert "已匯入名錄" in page.text
    with portal() as root:
        assert root["counties"]["65000"]["014603"].name == "新北市立新設國民小學"
        assert root["counties"]["65000"]["013601"].name == "新北市立示範光明實驗國民小學"
        assert root["counties"]["65000"]["013501"].closed_on is None  # missing: reported only
        assert "summary" in entries(root, event="units.import")[0].detail
        assert len(root.directory_imports) == 0
        assert "名稱：新北市立示範光明國民小學 → 新北市立示範光明實驗國民小學" in units.history(root, "013601")[0].detail
        assert units.history(root, "014603")[0].detail.endswith("新增 新北市立新設國民小學")


def test_the_import_can_close_the_missing_units(admin, portal):
    page = upload_csv(admin, CSV)
    form = page.forms["confirm-form"]
    form["close_missing"] = True
    form.submit()
    with portal() as root:
        assert root["counties"]["65000"]["013501"].closed_on == dt.date(2024, 10, 3)


def test_a_confirmation_is_single_use_and_refused_when_the_directory_changed(admin, portal):
    page = upload_csv(admin, CSV)
    token = page.forms["confirm-form"]["token"].value
    with portal() as root:  # someone renames a unit between preview and confirmation
        root["counties"]["65000"]["013601"].name = "改過的名稱"
    page = page.forms["confirm-form"].submit()
    assert "預覽後名錄資料已有變動" in page.text
    with portal() as root:
        assert root["counties"].find_unit("014603") is None
    csrf = token_of(admin.get("/units-import"))
    assert "預覽已失效" in admin.post("/units-import-confirm", {"csrf_token": csrf, "token": "x" * 20}).text
    page = upload_csv(admin, CSV)
    fresh = page.forms["confirm-form"]["token"].value
    assert fresh != token
    page.forms["confirm-form"].submit()
    again = admin.post("/units-import-confirm", {"csrf_token": csrf, "token": fresh})
    assert "預覽已失效" in again.text


def test_a_bad_file_gets_the_importers_message(admin):
    assert "找不到「代碼」欄位" in upload_csv(admin, "a,b,c\n1,2,3\n").text
    csrf = token_of(admin.get("/units-import"))
    assert "請選擇教育部學校名錄" in admin.post("/units-import", {"csrf_token": csrf, "submit": "submit"}).text
