"""填報幫手 in a real browser: download the carried-forward file, fill the sessions with
openpyxl, upload it through 當期填報 and file it (every page is checked with axe)."""
from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import openpyxl
import pytest
from helpertools import at, case, file_month, workbook

from cgs_portal.workbook.schema import VERSIONS
from support import PASSWORD, browser_login, screenshot


def _browser_fixtures():
    """The browser suite's fixtures (live server, chromium, axe on every page load)."""
    path = Path(__file__).resolve().parents[1] / "browser" / "conftest.py"
    spec = importlib.util.spec_from_file_location("helper_browser_fixtures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_fixtures = _browser_fixtures()
live_server, browser, accessibility, page = (_fixtures.live_server, _fixtures.browser, _fixtures.accessibility,
                                             _fixtures.page)
pytestmark = pytest.mark.browser


def test_carry_forward_fill_upload_and_file(page, live_server, world, portal, clock, tmp_path):
    with portal() as root:
        file_month(root, "013601", 2024, 9, workbook([case(i, closure=1 + i % 3) for i in range(9)]))
    at(clock, 2024, 11, 5)  # October is due
    browser_login(page, live_server, world["unit"], PASSWORD)
    page.click("nav >> text=填報幫手")
    page.wait_for_load_state("networkidle")
    page.click("#go-helper-carry")
    page.wait_for_load_state("networkidle")
    assert "113年9月" in page.locator("#carry-2024-10").inner_text()
    screenshot(page, "helper_carry")
    with page.expect_download() as info:
        page.click("#download-2024-10")
    path = tmp_path / "carried.xlsx"
    info.value.save_as(str(path))

    spec = VERSIONS["113"].sheet("cases")
    letters = {c.key: spec.letters[j] for j, c in enumerate(spec.columns)}
    book = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))
    sheet = book[spec.title]
    rows = [r for r in range(spec.first_data_row, sheet.max_row + 1) if sheet[f"C{r}"].value]
    assert [sheet[f"C{r}"].value for r in rows] == ["S000", "S003", "S006"]
    for n, r in enumerate(rows, start=1):
        assert sheet[f"{letters['sessions']}{r}"].value is None
        sheet[f"{letters['sessions']}{r}"] = n
        sheet[f"{letters['closure']}{r}"] = 1
    services = book[VERSIONS["113"].sheet("services").title]
    for j, value in enumerate(("T01", 1, 4, "0", 13, 0, 2, 1), start=1):
        services.cell(5, j, value)
    filled = tmp_path / "113年10月填報.xlsx"
    book.save(str(filled))

    page.goto(live_server + "/counties/65000/013601/current")
    page.wait_for_load_state("networkidle")
    assert page.locator("#month-label").inner_text() == "113年10月"
    page.set_input_files("#workbook", str(filled))
    page.click("#upload-button")
    page.wait_for_load_state("networkidle")
    assert "已完成填報" in page.locator("#filed").inner_text()
    assert page.locator("#count-cases").inner_text() == "3"
    screenshot(page, "helper_carried_filed")


def test_the_other_helper_pages_in_a_browser(page, live_server, world, clock, tmp_path):
    at(clock, 2024, 11, 5)
    good = tmp_path / "a.xlsx"
    good.write_bytes(workbook([case(0), case(1)], month=10))
    other = tmp_path / "b.xlsx"
    other.write_bytes(workbook([case(2, teacher="T02")], month=10))
    browser_login(page, live_server, world["unit"], PASSWORD)
    base = live_server + "/counties/65000/013601/"
    page.goto(base + "helper-codes")
    page.fill("#code-q", "網路")
    page.click("#code-search-button")
    page.wait_for_load_state("networkidle")
    assert "網路沉迷" in page.locator("#code-main_category").inner_text()
    page.goto(base + "helper-check")
    page.set_input_files("#check-workbook", str(good))
    page.select_option("#check-month", "2024-10")
    page.click("#check-button")
    page.wait_for_load_state("networkidle")
    assert page.locator("#check-ok").count() == 1
    page.goto(base + "helper-merge")
    page.set_input_files("#merge-workbooks", [str(good), str(other)])
    page.click("#merge-button")
    page.wait_for_load_state("networkidle")
    assert "當月個案 3 筆" in page.locator("#merged-counts").inner_text()
    screenshot(page, "helper_merged")
    page.click("#merged-file")
    page.wait_for_load_state("networkidle")
    assert "已完成填報" in page.locator("#filed").inner_text()
