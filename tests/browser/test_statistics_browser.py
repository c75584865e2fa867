"""A county official runs 統計查詢 in a real browser: the chart, the download, the same figures."""
from __future__ import annotations

import io

import openpyxl
import pytest

from support import browser_login, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def settings(settings):
    return {**settings, "cgs.stats_page_size": "1"}  # the county's two schools: two pages


@pytest.fixture
def county_data(portal, world):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "statistics"))
    from stats_fixture import OCT, SEP, SEP_SERVICES
    from stats_helpers import file_rows

    with portal() as root:
        file_rows(root, "013601", 2024, 9, SEP, SEP_SERVICES)
        file_rows(root, "013601", 2024, 10, OCT, ())
        rows = [dict(SEP[0], student_code=f"N{i}", grade=7 + i % 3, sex=1 + i % 2, sub_categories=(0,))
                for i in range(9)]
        file_rows(root, "013501", 2024, 9, rows, ())
    return world


def page_table(page):
    return page.evaluate("""() => Array.from(document.querySelectorAll('#stats-table-0 tbody tr')).map(
        tr => [tr.querySelector('th').innerText.trim(), ...Array.from(tr.querySelectorAll('td')).map(td => td.innerText.trim())])""")


def test_county_official_queries_sees_the_chart_and_downloads_the_same_figures(page, live_server, county_data,
                                                                              tmp_path):
    page.set_default_timeout(60000)  # axe audits every page load; the machine is shared
    browser_login(page, live_server, county_data["county"])
    page.click("#mainmenu >> text=資料查詢")
    page.wait_for_load_state("networkidle")
    page.click("#link-stats-cases")
    page.wait_for_load_state("networkidle")
    page.check("#measure-persons")
    page.select_option("#month", ["9", "10"])
    page.select_option("#group", "unit")
    page.click("#run-query")
    page.wait_for_load_state("networkidle")
    assert "表I" in page.locator("#result-title").inner_text()
    page.wait_for_selector("#stats-chart[data-chart-ready='1']")
    assert page.locator("#stats-chart").get_attribute("role") == "img"
    assert page.locator("#stats-chart").get_attribute("aria-label")
    shown = page_table(page)
    assert [row[0][:6] for row in shown] == ["013501", "合計"]  # page 1 of 2, with the total row
    assert "第 1 / 2 頁：顯示第 1 個單位（共 2 個）" in page.locator("#stats-page-info").inner_text()
    assert "第 1 / 2 頁" in page.locator("#stats-chart").get_attribute("aria-label")
    download_link = page.locator("#download").get_attribute("href")
    page.click("#top-next-page")  # changing page is not changing the query: 下載 stays enabled
    page.wait_for_load_state("networkidle")
    page.wait_for_selector("#stats-chart[data-chart-ready='1']")
    assert page.locator("#pager-top [aria-current=page]").inner_text().split() == ["第", "2", "頁（目前頁）"]
    assert page.locator("#download").get_attribute("href") == download_link
    assert page.locator("#download").get_attribute("aria-disabled") is None
    shown += page_table(page)
    assert any(row[0].startswith("013601") and "<3" in row for row in shown)  # its small cells protected
    screenshot(page, "statistics_county")

    with page.expect_download() as info:
        page.click("#download")
    path = tmp_path / "stats.xlsx"
    info.value.save_as(str(path))
    book = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))
    cells = {row[0]: ["" if v is None else str(v) for v in row[1:]]
             for row in book["統計結果"].iter_rows(values_only=True) if row and row[0]}
    for row in shown:  # both pages: the download is the whole result
        assert cells[row[0]][: len(row) - 1] == row[1:]
    assert dict(book["查詢條件"].iter_rows(values_only=True))["計量方式"] == "人數"

    # changing a choice disables the download until 查詢 is pressed again
    page.check("#sex-female")
    assert page.locator("#download").get_attribute("aria-disabled") == "true"
    assert page.locator("#download").get_attribute("href") is None
    page.click("#run-query")
    page.wait_for_load_state("networkidle")
    assert "sex=female" in page.locator("#download").get_attribute("href")
