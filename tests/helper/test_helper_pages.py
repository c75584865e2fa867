"""填報幫手 pages: the landing page, the four tools, and their refusals for every other role."""
from __future__ import annotations

import io
import os

import openpyxl
import pytest
import webtest
from helpertools import UNIT, at, case, file_month, workbook

from cgs_portal.workbook import FilingContext, validate_workbook
from support import csrf_token, login

TOOLS = ["helper-carry", "helper-carry.xlsx?m=2024-10", "helper-merge", "helper-check", "helper-codes",
         "helper-codes?q=%E7%B6%B2"]
POSTS = ["helper-merge", "helper-check", "helper-merge-download", "helper-merge-file"]
CTX_OCT = FilingContext("013601", "新北市立示範光明國民小學", "國小", 113, 10, 113)


@pytest.fixture
def filed(portal, world, clock):
    """013601 filed September 2024: 6 cases (2 still in 持續輔導), clock in October's window."""
    with portal() as root:
        file_month(root, "013601", 2024, 9, workbook([case(i, closure=1 + i % 3) for i in range(6)]))
    at(clock, 2024, 11, 5)
    return world


def last_transaction(app):
    return app.registry._zodb_databases[""].storage.lastTransaction()


# -- landing ----------------------------------------------------------------------------------

def test_the_landing_page_links_the_four_tools_of_the_unit(testapp, world):
    login(testapp, world["unit"])
    page = testapp.get("/helper")
    for name in ("helper-carry", "helper-merge", "helper-check", "helper-codes"):
        assert page.html.find(id=f"go-{name}")["href"].endswith(UNIT + name)
    assert "尚在建置中" not in page.text


@pytest.mark.parametrize("role", ["county", "helpdesk", "admin"])
def test_other_roles_are_told_the_landing_page_is_not_for_them(testapp, world, role):
    login(testapp, world[role])
    page = testapp.get("/helper", status=403)
    assert page.html.find(id="not-a-unit") is not None
    assert page.html.find(id="helper-tools") is None


def helper_links(page):
    """The links to 填報幫手 on a page: the member menu's entry, the home page's card."""
    return [a["href"] for a in page.html.find_all("a") if a.get_text(strip=True) == "填報幫手"]


@pytest.mark.parametrize("role", ["unit", "other_unit"])
def test_the_menu_and_home_page_offer_the_helper_to_unit_accounts(testapp, world, role):
    login(testapp, world[role])
    home = testapp.get("/")
    assert home.html.find(id="mainmenu").find("a", string="填報幫手") is not None
    links = helper_links(home)
    assert len(links) == 2  # the menu entry and the home page's card
    for link in set(links):
        assert testapp.get(link).html.find(id="helper-tools") is not None


@pytest.mark.parametrize("role", ["county", "helpdesk", "admin"])
def test_the_menu_and_home_page_hide_the_helper_from_other_roles(testapp, world, role):
    """They would be refused (403) on click; the rest of the member menu stays."""
    login(testapp, world[role])
    for path in ("/", "/contact", "/change-password"):
        page = testapp.get(path)
        menu = page.html.find(id="mainmenu")
        assert menu.find("a", string="線上諮詢") is not None and menu.find("a", string="修改密碼") is not None
        assert helper_links(page) == [], path
        assert "/helper" not in [a["href"].removeprefix("http://localhost") for a in page.html.find_all("a")]


def test_anonymous_goes_to_the_login_page(testapp, world):
    assert "/login?came_from=" in testapp.get("/helper", status=302).location
    for name in TOOLS:
        assert "/login" in testapp.get(UNIT + name, status=302).location


@pytest.mark.parametrize("role", ["county", "helpdesk", "admin", "other_unit"])
def test_the_tools_are_the_units_own(testapp, filed, role):
    """Inside the tree a refusal is the 404 page; the administrator, who may file for any unit,
    has no 填報幫手 either."""
    login(testapp, filed[role])
    for name in TOOLS:
        testapp.get(UNIT + name, status=404)
    token = csrf_token(testapp)
    for name in POSTS:
        testapp.post(UNIT + name, {"csrf_token": token}, status=404)


# -- 預填下月檔 ---------------------------------------------------------------------------------

def test_carry_forward_page_and_download(testapp, filed):
    login(testapp, filed["unit"])
    page = testapp.get(UNIT + "helper-carry")
    row = page.html.find(id="carry-2024-10")
    assert "113年9月" in row.text and "2" in row.find("strong").text and "已結案或轉出 4 筆" in row.text
    assert "升一級" in page.html.find(id="boundary-note").text
    response = testapp.get(row.find("a")["href"])
    assert response.content_type.endswith("spreadsheetml.sheet")
    result = validate_workbook(response.body, CTX_OCT)
    assert [r["student_code"] for r in result.rows["cases"]] == ["S000", "S003"]
    assert all(r["case_status"] == 2 and r["sessions"] is None for r in result.rows["cases"])


def test_a_month_with_nothing_to_carry_offers_the_plain_template(testapp, world, clock):
    at(clock, 2024, 11, 5)
    login(testapp, world["unit"])
    row = testapp.get(UNIT + "helper-carry").html.find(id="carry-2024-10")
    assert "沒有含個案的填報資料" in row.text and "無可預填的個案" in row.text
    body = testapp.get(row.find("a")["href"]).body
    assert "沒有任何個案或服務資料" in validate_workbook(body, CTX_OCT).fatal


def test_no_cases_months_are_skipped_and_named(testapp, filed, portal, clock):
    at(clock, 2024, 12, 5)
    with portal() as root:
        unit = root["counties"].find_unit("013601")
        import datetime as dt

        now = dt.datetime(2024, 11, 2, 9)
        unit.report(2024, 10, create=True).file_no_cases("test", now, now.date())
    login(testapp, filed["unit"])
    row = testapp.get(UNIT + "helper-carry").html.find(id="carry-2024-11")
    assert "113年9月" in row.text and "113年10月 為無個案填報" in row.text


def test_a_forged_month_is_refused_with_a_message(testapp, filed):
    login(testapp, filed["unit"])
    for m in ("2023-01", "2024-12", "2024-11"):
        assert "預填下月檔無法用於" in testapp.get(UNIT + "helper-carry.xlsx", {"m": m}).follow().text
    # an unreadable month is "not given": the month now due
    assert "2024-10" in testapp.get(UNIT + "helper-carry.xlsx", {"m": "2024-13"}).content_disposition
    assert "預填下月檔無法用於" in testapp.get(UNIT + "helper-carry.xlsx?m=2023-01").follow().text


def test_the_academic_year_boundary_on_the_page(testapp, portal, world, clock):
    with portal() as root:
        file_month(root, "013601", 2025, 7, workbook([case(0, grade=5), case(1, grade=6)], roc_year=114, month=7))
    at(clock, 2025, 8, 5)  # July is due
    at(clock, 2025, 9, 5)  # August is due: a new academic year
    login(testapp, world["unit"])
    row = testapp.get(UNIT + "helper-carry").html.find(id="carry-2025-08")
    assert "畢業或離開本學制 1 筆" in row.text and "年級已升 1 級" in row.text
    body = testapp.get(row.find("a")["href"]).body
    rows = validate_workbook(body, FilingContext("013601", "x", "國小", 114, 8, 114)).rows["cases"]
    assert [(r["student_code"], r["grade"]) for r in rows] == [("S000", 6)]


# -- 檢查檔案 ----------------------------------------------------------------------------------

def check(testapp, data, m="2024-10", action="check", filename="check.xlsx"):
    form = testapp.get(UNIT + "helper-check").forms["check-form"]
    form["m"] = m
    form["workbook"] = webtest.Upload(filename, data)
    return form.submit("action", value=action)


def test_check_shows_the_problem_table_and_stores_nothing(testapp, filed, app, portal, settings):
    login(testapp, filed["unit"])
    spoiled = workbook([case(0, sessions=""), case(1, main_category=19)], roc_year=113, month=10)
    spool = app.registry.settings["cgs.spool_dir"]
    before_files = sorted(os.listdir(spool))
    before = last_transaction(app)
    page = check(testapp, spoiled)
    assert last_transaction(app) == before
    table = page.html.find(id="problem-table")
    assert "當月晤談累積次數" in table.text and "其他說明" in table.text
    assert page.html.find(id="annotated-hint") is not None
    annotated = check(testapp, spoiled, action="annotated")
    assert last_transaction(app) == before
    assert annotated.content_type.endswith("spreadsheetml.sheet")
    assert "檢核結果" in openpyxl.load_workbook(io.BytesIO(annotated.body)).sheetnames
    assert sorted(os.listdir(spool)) == before_files  # the request's folder is gone
    with portal() as root:
        assert root["counties"].find_unit("013601").report(2024, 10) is None


def test_check_a_good_file_any_month_of_this_or_last_year(testapp, filed, app):
    login(testapp, filed["unit"])
    page = check(testapp, workbook([case(0)], roc_year=112, month=10, version="111"), m="2023-10")
    assert page.html.find(id="check-ok") is not None and page.html.find(id="count-cases").text == "1"
    wrong = check(testapp, workbook([case(0)], roc_year=113, month=9), m="2024-10")
    assert "月" in wrong.html.find(id="fatal").text


def test_check_refusals_have_messages(testapp, filed):
    login(testapp, filed["unit"])
    token = csrf_token(testapp)
    page = testapp.post(UNIT + "helper-check", {"csrf_token": token, "m": "2024-10"}).follow()
    assert "請選擇要上傳的 Excel 檔" in page.text
    page = testapp.post(UNIT + "helper-check", {"csrf_token": token, "m": "2021-10"},
                        upload_files=[("workbook", "a.xlsx", b"PK")]).follow()
    assert "檢查檔案無法用於" in page.text
    page = testapp.post(UNIT + "helper-check", {"csrf_token": token, "m": "2024-10"},
                        upload_files=[("workbook", "a.xlsx", b"")]).follow()
    assert "空的" in page.text


# -- 合併檔案 ----------------------------------------------------------------------------------

def merge(testapp, files, m="2024-10"):
    token = csrf_token(testapp)
    return testapp.post(UNIT + "helper-merge", {"csrf_token": token, "m": m},
                        upload_files=[("workbooks", name, data) for name, data in files])


def test_merge_then_file_it_in_one_click(testapp, filed, portal):
    login(testapp, filed["unit"])
    a = workbook([case(0, teacher="T02"), case(1, teacher="T02")], month=10)
    b = workbook([case(2, teacher="T01"), case(0, teacher="T01")], month=10)
    page = merge(testapp, [("王.xlsx", a), ("李.xlsx", b)])
    files = page.html.find(id="merge-files")
    assert "王.xlsx" in files.text and "通過" in files.text
    assert "合併後：當月個案 4 筆" in page.html.find(id="merged-counts").text
    assert "S000" in page.html.find(id="shared-students").text
    assert "王.xlsx、李.xlsx" in page.html.find(id="summed-services").text
    download = page.forms["merged-download-form"].submit()
    rows = validate_workbook(download.body, CTX_OCT).rows["cases"]
    assert [r["teacher_code"] for r in rows] == ["T01", "T01", "T02", "T02"]
    filed_page = page.forms["merged-file-form"].submit().follow()
    assert filed_page.html.find(id="filed") is not None
    with portal() as root:
        report = root["counties"].find_unit("013601").report(2024, 10)
        assert report.filing is not None and len(report.filing.rows.cases) == 4
    # the same form again: the serial has moved, refused with the filing's own message
    again = page.forms["merged-file-form"].submit().follow()
    assert "完成填報" in again.text


def test_merge_conflicts_are_listed_and_cannot_be_filed_before_fixing(testapp, filed):
    login(testapp, filed["unit"])
    a = workbook([case(0, sessions=2)], month=10)
    b = workbook([case(0, sessions=7)], month=10)
    page = merge(testapp, [("a.xlsx", a), ("b.xlsx", b)])
    assert "當月晤談累積次數" in page.html.find(id="conflicts").text
    assert "merged-file-form" not in page.forms and "merged-download-form" in page.forms


def test_merge_refuses_a_file_of_another_unit_or_month(testapp, filed):
    login(testapp, filed["unit"])
    mine = workbook([case(0)], month=10)
    theirs = workbook([case(1)], month=10, unit_code="333601", unit_name="臺北市立示範中正國民小學")
    page = merge(testapp, [("mine.xlsx", mine), ("theirs.xlsx", theirs), ("sept.xlsx", workbook([case(2)]))])
    assert page.html.find(id="merge-refused") is not None
    rows = page.html.find(id="merge-files").find_all("tr")
    assert "單位" in rows[2].text and "月" in rows[3].text
    assert "merged-download-form" not in page.forms


def test_merge_counts_and_forged_copies(testapp, filed):
    login(testapp, filed["unit"])
    one = merge(testapp, [("a.xlsx", workbook([case(0)], month=10))]).follow()
    assert "2–20 個檔案" in one.text
    token = csrf_token(testapp)
    forged = testapp.post(UNIT + "helper-merge-file", {"csrf_token": token, "m": "2024-10", "serial": "0",
                                                       "merged": "UEsDBA==", "sig": "0" * 64}).follow()
    assert "合併檔案已失效" in forged.text


# -- 代碼查詢 ----------------------------------------------------------------------------------

def test_code_lookup_lists_codes_rules_and_searches_without_js(testapp, world):
    login(testapp, world["unit"])
    page = testapp.get(UNIT + "helper-codes")
    grade = page.html.find(id="code-grade")
    assert "本單位（國小）可填：1 一年級" in grade.text and "非本單位（國小）年級" in grade.text
    assert "僅限高中階段" in page.html.find(id="code-case_source").text
    found = page.forms["code-search"].submit(params={"q": "網路"}) if False else testapp.get(
        UNIT + "helper-codes", {"q": "網路"})
    assert "網路沉迷" in found.text and found.html.find(id="code-closure") is None
    assert found.html.find(id="no-match") is None
    assert testapp.get(UNIT + "helper-codes", {"q": "沒有這種"}).html.find(id="no-match") is not None
    assert testapp.get(UNIT + "helper-codes", {"q": "x" * 80}).html.find(id="bad-query") is not None
