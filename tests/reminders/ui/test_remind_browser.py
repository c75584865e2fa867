"""The reminders pages in Chromium, each checked with axe (WCAG 2.1 AA) on load."""
from __future__ import annotations

import datetime as dt

import pytest
from remind_helpers import TAIPEI, remind

from support import browser_login

pytestmark = pytest.mark.browser


def goto(page, url, text):
    page.goto(url)
    page.wait_for_load_state("networkidle")
    assert text in page.content(), url


def test_the_reminders_pages_are_accessible(page, live_server, world, app, clock, browser):
    remind(app, dt.date(2025, 10, 13))
    clock.set_now(dt.datetime(2025, 10, 14, 9, 0, tzinfo=TAIPEI))
    browser_login(page, live_server, world["admin"])
    goto(page, live_server + "/reminders", "稽催紀錄")
    page.click("#runs a")
    page.wait_for_load_state("networkidle")
    assert "無法通知" in page.content()
    goto(page, live_server + "/reminders?step=day11&m=2025-09", "每月11日")
    goto(page, live_server + "/reminders-closures", "停班停課")
    page.fill("#c-day", "2025-11-11")
    page.select_option("#c-county", "65000")
    page.click("#closure-form button[name=submit]")
    page.wait_for_load_state("networkidle")
    assert "已新增" in page.content()
    goto(page, live_server + "/reminders-mails?name=unit_day11", "稽催信件內容")
    page.fill("#m-unit", "013601")
    page.click("button[value=preview]")
    page.wait_for_load_state("networkidle")
    assert "預覽（尚未儲存）" in page.content()
    goto(page, live_server + "/reminders-missing?m=2025-09", "未完成填報名單")
    county = browser.new_context(locale="zh-TW").new_page()
    browser_login(county, live_server, world["county"])
    goto(county, live_server + "/county-reminders", "新北市 稽催狀況")
    unit = browser.new_context(locale="zh-TW").new_page()
    browser_login(unit, live_server, world["unit"])
    goto(unit, live_server + "/", "最近一次稽催提醒")
    county.context.close()
    unit.context.close()
