"""The rate pages: national (and / for administrators), county, a unit's page; refusals."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from support import login

TAIPEI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def filed(portal, world):
    """013601 filed September on time (paper), 013501 filed it late (無個案)."""
    with portal() as root:
        county = root["counties"]["65000"]
        county["013601"].report(2024, 9, create=True).admin_record(
            "paper", "紙本", "admin1", dt.datetime(2024, 10, 2, 9, tzinfo=TAIPEI))
        county["013501"].report(2024, 9, create=True).admin_record(
            "no_cases", "電話", "admin1", dt.datetime(2024, 10, 2, 9, tzinfo=TAIPEI))
    return world


def test_the_administrators_home_is_the_national_dashboard(testapp, filed):
    login(testapp, filed["admin"])
    page = testapp.get("/?m=2024-09")
    assert "全國填報率" in page.text
    summary = page.html.find(id="national-summary").text
    # 國小 013601, 國中 013501, 輔諮中心 01C001 in 新北, 國小 333601 in 臺北: 4 expected, 2 on time
    assert "2 / 4，50.0 %" in summary
    row = page.html.find(id="county-table").find("a", string="新北市").find_parent("tr")
    assert "2 / 3，66.7 %" in row.text
    assert page.html.find(id="rate-chart")["role"] == "img"
    assert page.html.find(id="month-grid") is not None
    assert testapp.get("/rates").status_int == 200


@pytest.mark.parametrize("role", ["unit", "county", "helpdesk"])
def test_others_get_no_national_dashboard(testapp, filed, role):
    login(testapp, filed[role])
    assert "全國填報率" not in testapp.get("/").text
    testapp.get("/rates", status=403)
    testapp.get("/rates.xlsx", status=403)


def test_a_county_official_sees_their_county_and_drills_into_a_unit(testapp, filed):
    login(testapp, filed["county"])
    page = testapp.get("/counties/65000/?m=2024-09")
    assert "2 / 3，66.7 %" in page.html.find(id="county-summary").text
    unit = page.click(href="/counties/65000/013601/")
    assert "王老師" in unit.html.find(id="contacts").text
    assert "已填報" in unit.html.find(id="month-2024-09").text
    assert "紙本" in unit.html.find(id="history-2024-09").text
    assert unit.html.find(id="set-state-form") is None  # no desk for a county official
    testapp.get("/counties/63000/", status=404)  # another county: the tree's refusal page
    testapp.get("/counties/63000/333601/", status=404)


def test_a_unit_account_keeps_its_own_home(testapp, filed):
    login(testapp, filed["unit"])
    assert testapp.get("/counties/65000/013601/", status=302).location.endswith("/year")
    testapp.get("/counties/65000/", status=404)


@pytest.mark.parametrize(("url", "table", "first"), [
    ("/rates.xlsx", "counties", "縣市代碼"), ("/rates.xlsx", "levels", "學制"), ("/rates.xlsx", "months", "縣市"),
    ("/counties/65000/rates.xlsx", "units", "單位代碼"), ("/counties/65000/rates.xlsx", "months", "縣市")])
def test_every_table_downloads(testapp, filed, url, table, first):
    login(testapp, filed["admin"])
    response = testapp.get(url, {"m": "2024-09", "table": table})
    book = openpyxl.load_workbook(__import__("io").BytesIO(response.body))
    sheet = book.active
    assert sheet.cell(1, 1).value == first


def test_a_forged_query_falls_back_to_the_defaults(testapp, filed):
    login(testapp, filed["admin"])
    for query in ("?m=2024-13", "?ay=abc", "?ay=99999&m=x", "?table=%00", "?m=1999-01"):
        assert testapp.get("/rates" + query).status_int == 200
    assert testapp.get("/rates.xlsx?table=nope").status_int == 200  # unknown: the month grid
