"""The back office in a real browser: a county official drills from the county into a unit and
is refused another county; an administrator reopens a month for a county through a preview."""
from __future__ import annotations

import datetime as dt

from support import PASSWORD, browser_login, screenshot

TAIPEI = dt.timezone(dt.timedelta(hours=8))


def test_county_official_drills_into_a_unit_and_is_refused_another_county(page, live_server, world, portal):
    with portal() as root:
        root["counties"]["65000"]["013601"].report(2024, 9, create=True).admin_record(
            "paper", "紙本寄達", "admin1", dt.datetime(2024, 10, 2, 9, tzinfo=TAIPEI))
    browser_login(page, live_server, world["county"], PASSWORD)
    page.click(".card >> text=本縣市填報率")
    page.wait_for_load_state("networkidle")
    assert "新北市填報率" in page.locator("h1").inner_text()
    assert "1 / 3，33.3 %" in page.locator("#county-summary").inner_text()
    page.click("#unit-table-013601 a")
    page.wait_for_load_state("networkidle")
    assert "013601" in page.locator("h1").inner_text()
    assert "王老師" in page.locator("#contacts").inner_text()
    page.click("#history-2024-09 summary")
    assert "紙本寄達" in page.locator("#history-2024-09").inner_text()
    screenshot(page, "desk_unit_page_county")
    response = page.goto(live_server + "/counties/63000/")
    assert response.status == 404
    assert "臺北市填報率" not in page.content()


def test_administrator_reopens_a_month_for_a_county_with_a_preview(page, live_server, world, portal, clock):
    with portal() as root:
        root["counties"]["65000"]["013601"].report(2024, 9, create=True).admin_record(
            "paper", "紙本", "admin1", dt.datetime(2024, 10, 2, 9, tzinfo=TAIPEI))
    browser_login(page, live_server, world["admin"], PASSWORD)
    assert "全國填報率" in page.locator("h1").inner_text()
    page.wait_for_selector("#rate-chart")
    page.goto(live_server + "/desk")
    page.wait_for_load_state("networkidle")
    page.select_option("#ro-scope", "65000")
    page.fill("#ro-m", "2024-09")
    page.fill("#ro-until", "2024-10-31")
    page.fill("#ro-reason", "颱風停班停課")
    page.click("#reopen-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "確認" in page.locator("h1").inner_text()
    assert "將開放重新填報" in page.locator("#item-013601").inner_text()
    screenshot(page, "desk_reopen_preview")
    page.click("#confirm-form button[name=apply]")
    page.wait_for_load_state("networkidle")
    assert "1 個單位開放重新填報" in page.content()
    page.goto(live_server + "/counties/65000/013601/")
    assert "開放修改中" in page.locator("#month-2024-09").inner_text()
