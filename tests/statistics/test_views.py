"""統計查詢 and 資料查詢 through the pages: every scope, every filter, refusals, forged input."""
from __future__ import annotations

import io

import openpyxl
import pytest
from stats_fixture import OCT, OCT_SERVICES, SEP, SEP_SERVICES

from support import login

RUN = {"run": "1", "year": "113", "month": ["9", "10"]}


@pytest.fixture
def data(world, filed):
    filed("013601", 2024, 9, SEP, SEP_SERVICES)
    filed("013601", 2024, 10, OCT, OCT_SERVICES)
    # 臺北 333601: four students of 情緒困擾, one month
    rows = [dict(SEP[0], student_code=f"P{i}", sub_categories=(0,), grade=2, sex=1 + i % 2) for i in range(4)]
    filed("333601", 2024, 9, rows, ())
    return world


def query(testapp, page="stats-cases", **params):
    return testapp.get(f"/{page}", {**RUN, **params})


def table_values(page, index=0):
    """{row header: [cell texts]} of a result table."""
    table = page.html.select_one(f"#stats-table-{index}")
    return {tr.th.get_text(strip=True): [td.get_text(strip=True) for td in tr.select("td")]
            for tr in table.select("tbody tr")}


def row_total(page, row, index=0):
    return table_values(page, index)[row][-1]


def test_a_unit_sees_its_own_exact_figures(testapp, data):
    login(testapp, data["unit"])
    page = query(testapp)
    assert "新北市立示範光明國民小學" in page.html.select_one("#stats-scope").text
    assert row_total(page, "人際困擾") == "1"  # exact: no protection for the unit itself
    assert row_total(page, "合計") == "8"
    assert page.html.select_one("#download") is not None
    # the grade columns are the unit's own (國小 1–6)
    headers = [th.text for th in page.html.select("#stats-table-0 thead th[scope=colgroup]")]
    assert headers == ["一年級", "二年級", "三年級", "四年級", "五年級", "六年級", "合計"]


def test_no_parameter_widens_a_units_scope(testapp, data):
    login(testapp, data["other_unit"])
    page = query(testapp, unit="013601", county="65000", scope="nation", group="county")
    assert row_total(page, "合計") == "4"  # its own four students, nothing of 013601
    assert "臺北市立示範中正國民小學" in page.html.select_one("#stats-scope").text
    assert page.html.select_one("#group") is None


def test_a_county_official_sees_the_county_protected(testapp, data):
    login(testapp, data["county"])
    page = query(testapp, measure="persons")
    assert page.html.select_one("#stats-scope").text.count("新北市") == 1
    values = table_values(page)
    assert values["人際困擾"][-1] == "<3"
    assert values["合計"][-1] == "3"  # three students: shown
    # 臺北's four students are not in 新北's figures, whatever the query string says
    page = query(testapp, measure="persons", county="63000", unit="333601")
    assert table_values(page)["合計"][-1] == "3"


def test_a_county_official_groups_by_unit_and_level(testapp, data):
    login(testapp, data["county"])
    page = query(testapp, group="unit")
    rows = table_values(page)
    assert any(label.startswith("013601") for label in rows)
    assert not any(label.startswith("333601") for label in rows)
    page = query(testapp, group="level")
    assert "國小" in table_values(page)


def test_national_administrators_see_the_nation_by_county(testapp, data):
    login(testapp, data["admin"])
    page = query(testapp, group="county", measure="persons", table="II")
    rows = table_values(page)
    assert set(rows) >= {"臺北市", "新北市", "合計"}
    # 新北's 新案 (2 students) is protected, so 臺北's 新案 (4) is its complement (6 − 4 = 2)
    # and with it 臺北's total; the national total stays
    assert rows["臺北市"][-1] == "<3" and rows["新北市"][-1] == "<3"
    assert rows["合計"][-1] == "7"
    page = query(testapp, measure="persons")
    assert row_total(page, "合計") == "7"


def test_the_helpdesk_and_anonymous_are_refused(testapp, data):
    login(testapp, data["helpdesk"])
    page = testapp.get("/stats-cases", RUN, status=403)
    assert "沒有統計查詢的權限" in page.text
    testapp.get("/stats-download", RUN, status=403)
    assert "records-none" in testapp.get("/records").text
    testapp.post("/logout", {"csrf_token": testapp.get("/logout").html.select_one("[name=csrf_token]")["value"]})
    response = testapp.get("/stats-cases", RUN, status=302)
    assert "/login" in response.location


@pytest.mark.parametrize("params, row, expected", [
    ({"table": "III"}, "合計", "11"),
    ({"table": "II", "measure": "persons"}, "合計", "3"),
    ({"table": "IV"}, "合計", "3"),
    ({"table": "V"}, "無轉介", "3"),
    ({"table": "VI", "measure": "persons"}, "合計", "3"),
    ({"table": "VIII", "measure": "persons"}, "合計", "2"),
    ({"table": "IX"}, "逾期補填", "0"),
    ({"category": "main"}, "合計", "5"),
    ({"category": "sub"}, "合計", "3"),
    ({"staff": "2"}, "合計", "3"),
    ({"grades": "3"}, "合計", "5"),
    ({"sex": "female"}, "合計", "1"),
    ({"sex": "total"}, "合計", "8"),
    ({"period": "ay", "ay": "113"}, "合計", "8"),
    ({"month": "9"}, "合計", "6"),
])
def test_every_filter_of_the_cases_page(testapp, data, params, row, expected):
    login(testapp, data["unit"])
    assert row_total(query(testapp, **params), row) == expected


def test_the_monthly_layout_and_the_comparison(testapp, data):
    login(testapp, data["unit"])
    page = query(testapp, layout="monthly", measure="persons")
    heads = [th.text for th in page.html.select("#stats-table-0 thead th[scope=colgroup]")]
    assert heads == ["113年9月", "113年10月", "合計"]
    assert table_values(page)["合計"][-3:] == ["2", "1", "3"]  # 男 2 女 1 計 3, distinct
    page = query(testapp, compare="true")
    assert "去年同期" in page.html.select_one("#stats-table-0 thead").text
    assert table_values(page)["合計"][-1] == "0"


def test_the_services_page_and_its_targets(testapp, data):
    login(testapp, data["unit"])
    page = query(testapp, "stats-services")
    assert row_total(page, "團體輔導") == "11"
    page = query(testapp, "stats-services", targets="13")
    assert row_total(page, "合計") == "3"
    page = query(testapp, "stats-services", table="I")  # not a table of this page
    assert "統計資料表不是可選的項目" in page.text
    assert page.html.select_one("#stats-result") is None


@pytest.mark.parametrize("params, message", [
    ({"table": "XII"}, "統計資料表不是可選的項目"),
    ({"month": "13"}, "月超出範圍"),
    ({"month": "x"}, "月格式不正確"),
    ({"year": ["110", "111", "112", "113"], "month": [str(m) for m in range(1, 13)]}, "最多 36 個月"),
    ({"month": [str(m) for m in range(1, 13)] * 3}, "選項過多"),
    ({"measure": "sum"}, "計量方式不是可選的項目"),
    ({"year": "9" * 400}, "年超出範圍"),
    ({"year": "1e309"}, "年格式不正確"),
    ({"table": "i"}, "不適用於您的單位"),
    ({"year": "114"}, "所選的月份尚未開放填報，還沒有資料：請選擇 113年10月（含）以前的月份"),
])
def test_forged_filters_get_a_clear_message(testapp, data, params, message):
    login(testapp, data["unit"])
    page = query(testapp, **params)
    assert message in page.html.select_one("#stats-errors").text
    assert page.html.select_one("#download") is None
    response = testapp.get("/stats-download", {**RUN, **params})
    assert response.content_type == "text/html"


def test_an_academic_year_in_progress_stops_at_this_month(testapp, data):
    # 2024-10-03: 113學年度 so far is Aug–Oct; Nov–Jul are left out and the page says so
    login(testapp, data["unit"])
    page = testapp.get("/stats-cases", {"run": "1", "period": "ay", "ay": "113", "layout": "monthly"})
    months = [th.get_text(strip=True) for th in page.html.select("#stats-table-0 thead th[scope=colgroup]")]
    assert months == ["113年8月", "113年9月", "113年10月", "合計"]
    assert page.html.select_one("#period-note").get_text(strip=True) == "尚未開放填報的月份不列入查詢：113年11月起共 9 個月。"
    assert row_total(page, "合計") == "8"
    download = testapp.get(page.html.select_one("#download")["href"])
    sheet = openpyxl.load_workbook(io.BytesIO(download.body)).worksheets[0]
    assert "113年11月" not in {c.value for row in sheet.iter_rows() for c in row}
    # a past academic year is whole, with no note (and no data here)
    page = testapp.get("/stats-cases", {"run": "1", "period": "ay", "ay": "112", "layout": "monthly"})
    assert page.html.select_one("#period-note") is None
    assert page.html.select_one("#stats-empty") is not None


def test_an_empty_result_says_so(testapp, data):
    login(testapp, data["unit"])
    page = query(testapp, year="112")
    assert "放寬篩選條件" in page.html.select_one("#stats-empty").text


def test_the_download_is_the_result_shown(testapp, data):
    login(testapp, data["county"])
    page = query(testapp, measure="persons", group="unit")
    link = page.html.select_one("#download")["href"]
    assert "measure=persons" in link and "group=unit" in link and "run" not in link
    response = testapp.get(link)
    assert response.content_type.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(response.body))
    sheet = book["統計結果"]
    cells = {row[0]: [("" if v is None else str(v)) for v in row[1:]]
             for row in sheet.iter_rows(values_only=True) if row and row[0]}
    for label, values in table_values(page).items():
        assert cells[label][: len(values)] == values
    info = {row[0]: row[1] for row in book["查詢條件"].iter_rows(values_only=True)}
    assert info["計量方式"] == "人數" and info["資料範圍（單位）"] == "新北市"
    assert info["資料日期"] == "113/10/03"


def test_text_cells_of_the_download_are_neutralised(testapp, data, portal):
    from cgs_portal.resources import Unit

    with portal() as root:
        root["counties"]["65000"].add("013602", Unit("013602", "=HYPERLINK(\"x\")國小", "國小", "65000"))
    login(testapp, data["county"])
    link = query(testapp, group="unit").html.select_one("#download")["href"]
    book = openpyxl.load_workbook(io.BytesIO(testapp.get(link).body))
    labels = [row[0] for row in book["統計結果"].iter_rows(values_only=True) if row and row[0]]
    assert not any(str(v).startswith("=") for v in labels)


def test_the_page_says_preparing_while_the_index_is_built(testapp, data, monkeypatch):
    from cgs_portal.statistics.views import query as views

    monkeypatch.setattr(views, "current_index", lambda request: None)
    login(testapp, data["unit"])
    page = query(testapp)
    assert page.status_int == 200
    assert "統計資料準備中" in page.html.select_one("#stats-preparing").text
    assert page.html.select_one("#retry")["href"].endswith("run=1&year=113&month=9&month=10")


def test_without_run_the_page_shows_the_form_only(testapp, data):
    login(testapp, data["unit"])
    page = testapp.get("/stats-cases")
    assert page.html.select_one("#stats-form") is not None
    assert page.html.select_one("#stats-result") is None
    assert page.html.select_one("#year option[selected]")["value"] == "113"
    assert page.html.select_one("#month option[selected]")["value"] == "9"


def test_the_records_landing(testapp, data):
    login(testapp, data["unit"])
    page = testapp.get("/records")
    ids = {a["id"] for a in page.html.select("#records-page a")}
    assert ids == {"link-stats-cases", "link-stats-services", "link-records-history-cases",
                   "link-records-history-services"}
    assert "coming-soon" not in page.text


def test_the_records_landing_for_a_county_has_no_row_level_records(testapp, data):
    login(testapp, data["county"])
    ids = {a["id"] for a in testapp.get("/records").html.select("#records-page a")}
    assert ids == {"link-stats-cases", "link-stats-services"}


def test_a_new_filing_shows_at_once(testapp, data, filed, clock):
    clock.set_now("2024-12-03T09:00:00")  # November is being filed
    login(testapp, data["unit"])
    assert query(testapp, month="11").html.select_one("#stats-empty") is not None
    filed("013601", 2024, 11, OCT, ())
    assert row_total(query(testapp, month="11"), "合計") == "2"


def test_a_centre_gets_the_centre_tables(testapp, world, portal, filed):
    from support import add_account

    with portal() as root:
        add_account(root, "01C001_c001", unit_code="01C001", personal_id="c001", email="c@example.invalid")
    row = dict(SEP[0], school_code="013601", service_mode=1)
    row.pop("referral")
    filed("01C001", 2024, 9, [row, dict(row, school_code="013501")], ())
    login(testapp, "01C001_c001")
    page = query(testapp, table="i", measure="persons")
    assert "表i" in page.html.select_one("#result-title").text
    assert row_total(page, "合計") == "2"  # the same code at two schools: two students
    page = query(testapp, table="v")
    assert row_total(page, "直接服務") == "2"
