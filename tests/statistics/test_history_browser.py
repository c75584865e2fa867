"""A unit uses 填報紀錄 in a real browser: months, the column chooser, the 包含 filter, the
download (compared with the page), with and without JavaScript. axe checks every page."""
from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import openpyxl
import pytest

from support import browser_login, screenshot

# The browser fixtures (live server, audited Chromium, axe on every load) of tests/browser.
_spec = importlib.util.spec_from_file_location(
    "history_browser_fixtures", Path(__file__).resolve().parents[1] / "browser" / "conftest.py")
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)
live_server, browser, accessibility, page = (_fixtures.live_server, _fixtures.browser,
                                              _fixtures.accessibility, _fixtures.page)

pytestmark = pytest.mark.browser


@pytest.fixture
def filed(portal, world):
    from test_history import case, file_rows, service

    with portal() as root:
        unit = root["counties"]["65000"]["013601"]
        rows = [case(i) for i in range(40)]
        rows[4].update(main_category=3, sub_categories=(5, 12))
        rows[9].update(main_category=12)
        file_rows(unit, 2024, 9, rows, [service(i) for i in range(5)])
        file_rows(unit, 2024, 3, [{k: v for k, v in case(300).items() if k != "closure"}],
                  [service(1)], version="111")
    return world


def table_of(page):
    heads = [t.replace("▲", "").replace("▼", "").strip()
             for t in page.locator("#history-table thead th").all_inner_texts()]
    body = [r.locator("td").all_inner_texts() for r in page.locator("#history-table tbody tr").all()]
    return heads, body


def test_unit_chooses_columns_filters_with_contains_and_downloads(page, live_server, filed):
    browser_login(page, live_server, filed["unit"])
    page.goto(live_server + "/records-history-cases")
    page.wait_for_load_state("networkidle")
    page.check("#m-2024-09")
    page.check("#m-2024-03")
    page.click("#choose-submit")
    page.wait_for_load_state("networkidle")
    assert "共 41 筆" in page.locator("#summary").inner_text()

    # the column chooser: open the header area, tick three columns
    page.click("#column-chooser summary")
    page.click("text=全不選")
    for key in ("month", "student_code", "main_category", "sub_categories"):
        page.check(f"#col-{key}")
    page.click("#columns-apply")
    page.wait_for_load_state("networkidle")
    assert table_of(page)[0] == ["填報月份", "學生代號", "個案類別(主)", "個案類別(副)"]

    # the filter: pick a column (the script shows its values at once), pick values, 包含
    page.select_option("#filter-column", "main_category")
    page.wait_for_selector("#filter-values")
    assert "包含" in page.locator("label[for=filter-values]").inner_text()
    page.select_option("#filter-values", ["3", "12"])
    page.click("#filter-apply")
    page.wait_for_load_state("networkidle")
    heads, body = table_of(page)
    assert [r[1] for r in body] == ["S004", "S009"]
    assert "個案類別(主) 包含 3 家庭困擾、12 學習困擾" in page.locator("#active-filters").inner_text()
    screenshot(page, "history_filtered")

    with page.expect_download() as info:
        page.click("#download")
    sheet = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes())).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    start = values.index(heads)
    assert [[str(v) for v in r] for r in values[start + 1:]] == body
    assert values[3][1] == "個案類別(主) 包含 3 家庭困擾、12 學習困擾"

    page.click("#clear-filters")
    page.wait_for_load_state("networkidle")
    assert "符合篩選條件 41 筆" in page.locator("#summary").inner_text()
    page.click("#edit-query")
    page.wait_for_load_state("networkidle")
    assert page.is_checked("#m-2024-09") and page.is_checked("#m-2024-03")


def test_the_filter_works_without_javascript(browser, page, live_server, filed):
    browser_login(page, live_server, filed["unit"])  # then the same session, scripts off
    context = browser.new_context(locale="zh-TW", java_script_enabled=False,
                                  storage_state=page.context.storage_state())
    plain = context.new_page()
    try:
        plain.goto(live_server + "/counties/65000/013601/history-cases?m=2024-09")
        plain.select_option("#filter-column", "main_category")
        plain.click("#filter-pick")
        plain.wait_for_load_state()
        plain.select_option("#filter-values", ["3"])
        plain.click("#filter-apply")
        plain.wait_for_load_state()
        heads, body = table_of(plain)
        assert [r[heads.index("學生代號")] for r in body] == ["S004"]
        plain.click("#column-chooser summary")
        plain.uncheck("#col-teacher_code")
        plain.click("#columns-apply")
        plain.wait_for_load_state()
        assert "教師編碼" not in table_of(plain)[0] and len(table_of(plain)[1]) == 1
    finally:
        context.close()
