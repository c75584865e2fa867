"""A unit files a month in a real browser: errors, the annotated workbook, the fix, filed."""
from __future__ import annotations

import io

import openpyxl

from support import PASSWORD, browser_login, screenshot


def test_unit_files_a_month_with_errors_then_fixed(page, live_server, world, tmp_path):
    from support import workbook

    def spoil(cases, services):
        cases[0][3] = 9  # a grade 9 pupil at a primary school
        cases[1][0] = ""  # a missing teacher code

    broken = tmp_path / "113年9月填報.xlsx"
    broken.write_bytes(workbook(mutate=spoil))
    fixed = tmp_path / "113年9月填報-修正.xlsx"
    fixed.write_bytes(workbook())

    browser_login(page, live_server, world["unit"], PASSWORD)
    page.click("text=工作填報")
    page.wait_for_load_state("networkidle")
    assert page.locator("#template-versions .in-force").count() == 2
    page.click("#tab-current")
    page.wait_for_load_state("networkidle")
    assert page.locator("#month-label").inner_text() == "113年9月"

    page.set_input_files("#workbook", str(broken))
    page.click("#upload-button")
    page.wait_for_load_state("networkidle")
    assert "尚未完成填報" in page.locator("#errors").inner_text()
    assert page.locator("#problem-table tbody tr").count() >= 2
    screenshot(page, "reporting_errors")

    with page.expect_download() as info:
        page.click("#annotated-download")
    annotated = info.value
    path = tmp_path / "annotated.xlsx"
    annotated.save_as(str(path))
    assert annotated.suggested_filename.endswith("_檢核結果.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))
    sheet = book[[n for n in book.sheetnames if n.startswith("表A-1")][0]]
    assert sheet["D6"].comment is not None and sheet["A7"].comment is not None

    page.set_input_files("#workbook", str(fixed))
    page.click("#upload-button")
    page.wait_for_load_state("networkidle")
    assert "已完成填報" in page.locator("#filed").inner_text()
    assert page.locator("#count-cases").inner_text() == "5"
    screenshot(page, "reporting_filed")
    page.click("#view-rows")
    page.wait_for_load_state("networkidle")
    assert page.locator("#sheet-cases tbody tr").count() == 5
    page.click("#tab-year") if page.locator("#tab-year").count() else page.goto(
        live_server + "/counties/65000/013601/year")
    page.wait_for_load_state("networkidle")
    assert page.locator("#month-2024-09 .state").inner_text() == "已填報"
    screenshot(page, "reporting_year")
