"""填報紀錄 (歷史個案 / 歷史服務) pages: months, chooser, 包含 filters, sort, paging, the download,
and who may read (the unit; administrators, audited; nobody else)."""
from __future__ import annotations

import datetime as dt
import io
from urllib.parse import urlencode

import openpyxl
import pytest
import webtest

from support import login

UNIT = "/counties/65000/013601/"
CASES = UNIT + "history-cases"
SERVICES = UNIT + "history-services"
TAIPEI = dt.timezone(dt.timedelta(hours=8))


def case(i, **kw):
    row = {
        "teacher_code": f"T{i % 3 + 1:02d}", "staff_type": 1 + i % 2, "student_code": f"S{i:03d}",
        "grade": 1 + i % 6, "sex": 1 + i % 2, "student_status": (0,), "case_source": (0,),
        "case_status": 2, "referral": 2, "main_category": 5, "main_other": "0",
        "sub_categories": (0,), "sub_other": "0", "sessions": 1 + i % 4, "closure": 1,
    }
    row.update(kw)
    return row


def service(i, **kw):
    row = {"teacher_code": f"T{i % 2 + 1:02d}", "staff_type": 1, "service_item": 1 + i % 5,
           "item_other": "0", "target": 1 + i % 6, "male": i, "female": 1, "events": 1}
    row.update(kw)
    return row


def file_rows(unit, year, month, cases=(), services=(), *, version="113", no_cases=False):
    """Store a filing with these rows (the shape the workbook engine stores)."""
    from cgs_portal.reporting import intake, workflow
    from cgs_portal.reporting.models import Filing, RowStore

    filed_at = dt.datetime(year, month, 28, 10, 0, tzinfo=TAIPEI)
    report = unit.report(year, month, create=True)
    if no_cases:
        filing = Filing("no_cases", filed_at, "013601_a001", False, serial=1)
        event = "file_no_cases"
    else:
        filing = Filing("cases", filed_at, "013601_a001", False, serial=1)
        filing.version = version
        filing.rows = RowStore({"cases": list(cases), "services": list(services)})
        filing.aggregates = intake.build_aggregates("A", version, list(cases), list(services))
        event = "file"
    workflow.fire(report, event, filed_at, "013601_a001", "測試", today=filed_at.date())
    report.filings.append(filing)
    report.filing = filing
    report.serial = 1


@pytest.fixture
def filed(portal, world):
    """013601 filed 2024-09 (30 cases), 2024-10 (8 cases, odd values), 2024-11 (no cases) and,
    in 112學年度 with the 111 template (no 結案情形 / 場次), 2024-03 (3 cases); 333601 filed 2024-09."""
    with portal() as root:
        unit = root["counties"]["65000"]["013601"]
        sept = [case(i) for i in range(30)]
        sept[4].update(main_category=3, sub_categories=(5, 12))
        sept[7].update(main_category=12, sub_categories=(3,))
        file_rows(unit, 2024, 9, sept, [service(i) for i in range(12)])
        october = [case(100 + i) for i in range(8)]
        october[0].update(student_code="=HYPERLINK(\"http://evil\")", main_other="0")
        october[1].update(main_category=19, main_other="@SUM(1+1)", student_status=(8, 11))
        file_rows(unit, 2024, 10, october, [service(50, item_other="0", service_item=17)])
        file_rows(unit, 2024, 11, no_cases=True)
        old = [{k: v for k, v in case(200 + i).items() if k != "closure"} for i in range(3)]
        file_rows(unit, 2024, 3, old, [{k: v for k, v in service(1).items() if k != "events"}], version="111")
        other = root["counties"]["63000"]["333601"]
        file_rows(other, 2024, 9, [case(900, student_code="OTHER-UNIT-ROW")], [service(900)])
    return world


def q(**params):
    pairs = []
    for name, value in params.items():
        name = name.replace("__", ".")
        for v in (value if isinstance(value, (list, tuple)) else [value]):
            pairs.append((name, v))
    return "?" + urlencode(pairs)


def table(page):
    """Header texts and cell texts of the history table."""
    rows = page.html.select("#history-table tbody tr")
    heads = [th.get_text().replace("▲", "").replace("▼", "").strip()
             for th in page.html.select("#history-table thead th")]
    return heads, [[td.get_text() for td in tr.select("td")] for tr in rows]


@pytest.fixture
def unit_app(app, filed):
    browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.50"})
    login(browser, filed["unit"])
    return browser


# -- months --------------------------------------------------------------------------------

def test_without_months_the_page_offers_the_filed_months_of_every_academic_year(unit_app):
    page = unit_app.get(CASES)
    legends = [x.get_text() for x in page.html.select("#choose-form legend")]
    assert legends[:2] == ["113學年度", "112學年度"]
    values = [i["value"] for i in page.html.select("#choose-form input[name=m]")]
    assert values == ["2024-09", "2024-10", "2024-11", "2024-03"]
    assert "（無個案及服務）" in page.html.select_one("label[for=m-2024-11]").get_text()
    assert not page.html.select("#history-table")


def test_months_across_academic_years_with_the_month_as_a_column(unit_app):
    page = unit_app.get(CASES + q(m=["2024-03", "2024-09", "2024-11"], size=100))
    heads, rows = table(page)
    assert heads[0] == "填報月份"
    assert len(rows) == 33
    assert rows[0][0] == "113年3月" and rows[-1][0] == "113年9月"
    assert "共 33 筆" in page.html.select_one("#summary").get_text()
    # the 111 template has no 結案情形: blank in its months
    closure = heads.index("結案情形")
    assert rows[0][closure] == "" and rows[-1][closure] == "1 持續輔導"


def test_codes_are_shown_with_their_labels(unit_app):
    page = unit_app.get(CASES + q(m="2024-10"))
    heads, rows = table(page)
    assert rows[1][heads.index("個案類別(主)")] == "19 其他"
    assert rows[1][heads.index("學生身分")] == "8 情緒行為障礙、11 自閉症"
    assert rows[0][heads.index("學生性別")] == "1 生理男"


def test_services_page(unit_app):
    page = unit_app.get(SERVICES + q(m=["2024-09", "2024-10"]))
    heads, rows = table(page)
    assert heads[:3] == ["填報月份", "教師編碼", "身分"] and "場次" in heads
    assert len(rows) == 13
    assert rows[-1][heads.index("服務項目")] == "17 其他"


def test_forged_months_are_named_and_left_out(unit_app):
    page = unit_app.get(CASES + q(m=["2024-09", "2023-01", "2024-13", "x" * 300]))
    messages = " ".join(x.get_text() for x in page.html.select(".query-message"))
    assert "112年1月 沒有本單位的填報資料" in messages
    assert "格式不正確" in messages
    assert len(table(page)[1]) == 30


def test_more_than_36_months_are_refused_with_a_message(unit_app):
    months = [f"{y}-{m:02d}" for y in range(2020, 2025) for m in range(1, 13)]
    page = unit_app.get(CASES + q(m=months))
    assert "一次最多查詢 36 個月份" in page.text
    assert page.status_int == 200


def test_another_units_rows_never_show_whatever_the_query_says(unit_app):
    page = unit_app.get(CASES + q(m="2024-09", unit="333601", county="63000", size=100))
    assert "OTHER-UNIT-ROW" not in page.text
    other = unit_app.get("/counties/63000/333601/history-cases" + q(m="2024-09"), status=404)
    assert "OTHER-UNIT-ROW" not in other.text


# -- column chooser ----------------------------------------------------------------------------

def test_column_chooser_shows_the_chosen_columns_and_keeps_them_for_the_session(unit_app):
    page = unit_app.get(CASES + q(m="2024-09"))
    form = page.forms["columns-form"]
    for box in form.fields["col"]:
        box.checked = box._value in ("month", "student_code", "main_category")
    page = form.submit()
    heads, rows = table(page)
    assert heads == ["填報月份", "學生代號", "個案類別(主)"]
    assert rows[4] == ["113年9月", "S004", "3 家庭困擾"]
    again = unit_app.get(CASES + q(m="2024-10"))  # no col in the link: the session's choice
    assert table(again)[0] == ["填報月份", "學生代號", "個案類別(主)"]
    assert table(unit_app.get(SERVICES + q(m="2024-10")))[0][1] == "教師編碼"  # per sheet


def test_column_chooser_with_nothing_ticked_says_so(unit_app):
    page = unit_app.get(CASES + q(m="2024-09", cols="1"))
    assert "請至少勾選一個要顯示的欄位" in page.text
    assert len(table(page)[0]) == 16


def test_unknown_columns_are_named(unit_app):
    page = unit_app.get(CASES + q(m="2024-09", col=["student_code", "password", "__class__"]))
    assert "沒有「password」這個欄位" in page.text
    assert table(page)[0] == ["學生代號"]


# -- filters (包含) ------------------------------------------------------------------------------

def test_filter_form_offers_the_values_present_with_labels(unit_app):
    page = unit_app.get(CASES + q(m="2024-09"))
    form = page.forms["filter-form"]
    form["fcol"] = "main_category"
    page = form.submit()
    options = [o.get_text() for o in page.html.select("#filter-values option")]
    assert options == ["3 家庭困擾（1 筆）", "5 情緒困擾（28 筆）", "12 學習困擾（1 筆）"]
    assert "包含" in page.html.select_one("label[for=filter-values]").get_text()
    form = page.forms["filter-form"]
    form["f.main_category"] = ["3", "12"]
    page = form.submit()
    heads, rows = table(page)
    assert [r[heads.index("學生代號")] for r in rows] == ["S004", "S007"]
    assert "個案類別(主) 包含 3 家庭困擾、12 學習困擾" in page.html.select_one("#active-filters").get_text()


def test_multi_valued_codes_match_when_any_code_is_chosen(unit_app):
    page = unit_app.get(CASES + q(m="2024-09", f__sub_categories=["3", "5"]))
    heads, rows = table(page)
    assert [r[heads.index("學生代號")] for r in rows] == ["S004", "S007"]
    assert rows[0][heads.index("個案類別(副)")] == "5 情緒困擾、12 學習困擾"


def test_filters_combine(unit_app):
    page = unit_app.get(CASES + q(m=["2024-09", "2024-10"], f__sex="2", f__teacher_code="T01"))
    heads, rows = table(page)
    assert rows and all(r[heads.index("學生性別")] == "2 生理女" and r[heads.index("教師編碼")] == "T01"
                        for r in rows)
    expected = [i for i in list(range(30)) + list(range(100, 108)) if i % 2 == 1 and i % 3 == 0]
    assert len(rows) == len(expected)


def test_filter_on_the_month_column(unit_app):
    page = unit_app.get(CASES + q(m=["2024-09", "2024-10"], f__month="2024-10"))
    assert len(table(page)[1]) == 8


def test_clear_filters_and_remove_one(unit_app):
    page = unit_app.get(CASES + q(m="2024-09", f__sex="2", f__main_category="5"))
    assert len(table(page)[1]) == 14
    one = unit_app.get(page.html.select("#active-filters a")[0]["href"])
    assert "學生性別" not in one.html.select_one("#active-filters").get_text()
    cleared = unit_app.get(page.html.select_one("#clear-filters")["href"])
    assert len(table(cleared)[1]) == 30 and not cleared.html.select("#active-filters")


def test_an_empty_result_says_so_and_offers_to_clear(unit_app):
    page = unit_app.get(CASES + q(m="2024-09", f__student_code="nobody"))
    assert "沒有符合條件的資料" in page.html.select_one("#empty-result").get_text()
    assert page.html.select_one("#empty-result a")


def test_forged_filter_values_and_columns_are_named(unit_app):
    page = unit_app.get(CASES + q(m="2024-09", f__main_category=["3", "99", "x"], **{"f__no_such": "1"}))
    text = " ".join(x.get_text() for x in page.html.select(".query-message"))
    assert "「個案類別(主)」沒有「99」這個選項" in text and "沒有「no_such」這個欄位" in text
    assert len(table(page)[1]) == 1


def test_more_than_50_values_per_filter_are_cut_with_a_message(unit_app):
    page = unit_app.get(CASES + q(m="2024-09", f__student_code=[f"S{i:03d}" for i in range(80)]))
    assert "最多 50 個值" in page.text
    assert len(table(page)[1]) == 30  # S000–S029 are among the first 50


# -- sort and paging ---------------------------------------------------------------------------

def test_sort_by_any_column_both_ways(unit_app):
    page = unit_app.get(CASES + q(m=["2024-09", "2024-10"], size=100))
    link = page.html.select_one("th[data-key=sessions] a")["href"]
    page = unit_app.get(link)
    heads, rows = table(page)
    sessions = [int(r[heads.index("當月晤談累積次數(人次)")]) for r in rows]
    assert sessions == sorted(sessions)
    assert page.html.select_one("th[data-key=sessions]")["aria-sort"] == "ascending"
    page = unit_app.get(page.html.select_one("th[data-key=sessions] a")["href"])
    heads, rows = table(page)
    assert [int(r[heads.index("當月晤談累積次數(人次)")]) for r in rows] == sorted(sessions, reverse=True)
    assert page.html.select_one("th[data-key=sessions]")["aria-sort"] == "descending"


def test_sort_codes_numerically_and_text_as_text(unit_app):
    page = unit_app.get(CASES + q(m="2024-09", sort="main_category", desc="1", size=100))
    heads, rows = table(page)
    assert rows[0][heads.index("個案類別(主)")] == "12 學習困擾"
    page = unit_app.get(CASES + q(m="2024-09", sort="student_code", desc="1", size=100))
    assert table(page)[1][0][table(page)[0].index("學生代號")] == "S029"


def test_paging_on_the_server(unit_app):
    page = unit_app.get(CASES + q(m=["2024-09", "2024-10"], size="25"))
    assert len(table(page)[1]) == 25
    assert "第 1 / 2 頁" in page.html.select_one("#pager").get_text()
    second = unit_app.get(page.html.select_one("#next-page")["href"])
    heads, rows = table(second)
    assert len(rows) == 13 and rows[-1][heads.index("學生代號")] == "S107"
    beyond = unit_app.get(CASES + q(m="2024-09", page="999"))
    assert len(table(beyond)[1]) == 30  # the last page
    odd = unit_app.get(CASES + q(m="2024-09", page="-3", size="7"))
    assert "頁碼有誤" in odd.text and "每頁筆數只能是" in odd.text


def test_page_size_form(unit_app):
    page = unit_app.get(CASES + q(m="2024-09", sort="grade"))
    form = page.forms["size-form"]
    form["size"] = "25"
    page = form.submit()
    assert len(table(page)[1]) == 25 and "sort=grade" in page.request.url


def test_edit_reopens_the_choice_with_the_current_months_ticked(unit_app):
    page = unit_app.get(CASES + q(m=["2024-09", "2024-03"], f__sex="1"))
    page = unit_app.get(page.html.select_one("#edit-query")["href"])
    ticked = [i["value"] for i in page.html.select("#choose-form input[name=m][checked]")]
    assert ticked == ["2024-09", "2024-03"]
    form = page.forms["choose-form"]
    form.get("m", index=0).checked = False  # 2024-09 off, 2024-10 on
    form.get("m", index=1).checked = True
    page = form.submit()
    heads, rows = table(page)
    assert {r[0] for r in rows} == {"113年3月", "113年10月"}
    assert all(r[heads.index("學生性別")] == "1 生理男" for r in rows)  # the filter stayed


# -- the download ------------------------------------------------------------------------------

def open_download(response):
    assert response.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    return openpyxl.load_workbook(io.BytesIO(response.body)).active


def test_download_is_exactly_what_is_shown_all_pages(unit_app):
    link = CASES + q(m=["2024-09", "2024-10"], col=["month", "student_code", "main_category", "student_status"],
                     f__teacher_code=["T01", "T02", "T03"], sort="student_code", desc="1", size="25")
    page = unit_app.get(link)
    heads, first_page = table(page)
    sheet = open_download(unit_app.get(page.html.select_one("#download")["href"]))
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = {row[0]: row[1] for row in values[:6]}
    assert header["單位"] == "013601 新北市立示範光明國民小學"
    assert header["月份"] == "113年9月、113年10月"
    assert header["篩選條件"] == "教師編碼 包含 T01、T02、T03"
    start = values.index(heads)
    body = values[start + 1:]
    matched = int(header["筆數"])
    assert len(body) == matched > 25  # all pages, not only the first
    assert body[:25] == first_page
    assert body[-1][1] == "'=HYPERLINK(\"http://evil\")"  # text sorts before S…: last, descending
    assert any(r[heads.index("學生身分")] == "8 情緒行為障礙、11 自閉症" for r in body)


def test_download_neutralises_formula_like_text(unit_app):
    response = unit_app.get(UNIT + "history-cases.xlsx" + q(m="2024-10"))
    book = openpyxl.load_workbook(io.BytesIO(response.body))
    sheet = book.active
    texts = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(c.value == "'=HYPERLINK(\"http://evil\")" for c in texts)
    assert any(c.value == "'@SUM(1+1)" for c in texts)
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_download_without_months_goes_back_to_the_choice(unit_app):
    response = unit_app.get(UNIT + "history-services.xlsx", status=302)
    assert response.location.split("?")[0].endswith("/history-services")


def test_services_download_keeps_numbers_as_numbers(unit_app):
    sheet = open_download(unit_app.get(UNIT + "history-services.xlsx" + q(m="2024-09", sort="male")))
    rows = list(sheet.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r and r[0] == "填報月份")
    males = [r[rows[start].index("服務人次(男)")] for r in rows[start + 1:]]
    assert males == list(range(12))


# -- who may read --------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["county", "helpdesk", "other_unit"])
def test_others_are_refused_with_the_404_page(app, filed, role):
    browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.51"})
    login(browser, filed[role])
    for path in ("history-cases", "history-services", "history-cases.xlsx", "history-services.xlsx"):
        response = browser.get(UNIT + path + q(m="2024-09"), status=404)
        assert "S001" not in response.text


def test_anonymous_goes_to_the_login_page(app, filed):
    response = webtest.TestApp(app).get(CASES + q(m="2024-09"), status=302)
    assert "/login?came_from=" in response.location


def test_the_unit_reads_without_an_audit_entry(portal, unit_app):
    unit_app.get(CASES + q(m="2024-09"))
    with portal() as root:
        from cgs_portal.accounts import audit

        assert not audit.entries(root, event="records.read")


def test_an_administrators_read_and_download_are_audited(app, portal, filed):
    from cgs_portal.accounts import audit

    browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.52"})
    login(browser, filed["admin"])
    choice = browser.get(CASES)
    assert "國家管理者身分" in choice.text
    with portal() as root:  # the month choice shows no rows: nothing to record yet
        assert not audit.entries(root, event="records.read")
    page = browser.get(CASES + q(m=["2024-09", "2024-03"]))
    assert len(table(page)[1]) == 33
    browser.get(UNIT + "history-services.xlsx" + q(m="2024-10"))
    with portal() as root:
        entries = audit.entries(root, event="records.read")
        assert [e.login for e in entries] == ["admin1", "admin1"]
        # the test clock stands still: both entries have the same time, in either order
        read = next(e for e in entries if "歷史個案查詢" in e.detail)
        download = next(e for e in entries if "歷史服務下載" in e.detail)
        assert "013601" in read.detail and "113/03、113/09" in read.detail
        assert "113/10" in download.detail and download.label == "查閱單位填報紀錄"


# -- the fixed names at the root ------------------------------------------------------------------

def test_root_names_send_a_unit_to_its_own_page(unit_app):
    assert unit_app.get("/records-history-cases", status=302).location.endswith(CASES)
    assert unit_app.get("/records-history-services?unit=333601", status=302).location.endswith(SERVICES)


@pytest.mark.parametrize("role", ["county", "helpdesk"])
def test_root_names_refuse_officials_and_the_helpdesk_clearly(app, filed, role):
    browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.53"})
    login(browser, filed[role])
    response = browser.get("/records-history-cases?unit=013601", status=403)
    assert "只提供各學校及輔諮中心查詢自己的資料" in response.text


def test_root_names_let_an_administrator_pick_a_unit(app, filed):
    browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.54"})
    login(browser, filed["admin"])
    page = browser.get("/records-history-services")
    form = page.forms["where-form"]
    form["unit"] = "013601"
    assert form.submit(status=302).location.endswith(SERVICES)
    assert "找不到這個單位代碼" in browser.get("/records-history-cases?unit=999999").text
    assert "6 碼英數字" in browser.get("/records-history-cases?unit=../x").text


def test_a_units_reads_and_downloads_write_nothing(app, unit_app):
    storage = app.registry._zodb_databases[""].storage
    unit_app.get(CASES)
    before = storage.lastTransaction()
    for path in (CASES + q(m=["2024-09", "2024-03"], sort="grade", f__sex="1", fcol="main_category"),
                 SERVICES + q(m="2024-10", col=["month", "target"]),
                 UNIT + "history-cases.xlsx" + q(m="2024-09"), "/records-history-cases"):
        unit_app.get(path, status="*")
    assert storage.lastTransaction() == before
