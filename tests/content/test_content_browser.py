"""In a real browser (axe on every page load): the announcement on the login page, the Q&A
search, an administrator scheduling an announcement, and a question asked before login."""
from __future__ import annotations

import datetime as dt

import pytest

from browser.conftest import accessibility, browser, live_server, page  # noqa: F401 - the browser fixtures
from support import browser_login, screenshot

pytestmark = pytest.mark.browser


def test_login_announcement_and_qa_search(page, live_server, world, portal):  # noqa: F811
    from cgs_portal.site.announcements import Announcement

    with portal() as root:
        root.announcements.append(Announcement("10 月 5 日系統維護", important=False, order=1,
                                               starts_on=dt.date(2024, 10, 1)))
    page.goto(live_server + "/login")
    box = page.locator("#announcements").inner_text()
    assert "國教署業務宣導" in box and "10 月 5 日系統維護" in box
    page.goto(live_server + "/faq")
    page.fill("#faq-q", "密碼")
    page.click("#faq-search button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "忘記密碼怎麼辦" in page.content() and "每月什麼時候要填報" not in page.content()
    screenshot(page, "content-faq-search")


def test_an_anonymous_question_then_an_administrator_schedules_an_announcement(page, live_server, world):  # noqa: F811
    page.goto(live_server + "/contact")
    page.wait_for_function("document.querySelector('img.captcha-image').complete")
    code = page.evaluate("async () => (await (await fetch('/test-captcha-code')).json()).code")
    page.fill("input[name=name]", "陳老師")
    page.fill("input[name=email]", "chen@example.invalid")
    page.fill("input[name=subject]", "表格下載")
    page.fill("textarea[name=body]", "學生 A123456789 的資料要怎麼填？")
    page.fill("input[name=captcha]", code)
    page.click("button[name=submit]")
    page.wait_for_load_state("networkidle")
    assert "請勿填寫可識別個人身分之資料" in page.locator("#form-errors").inner_text()
    browser_login(page, live_server, world["admin"])
    page.goto(live_server + "/content-announcements")
    page.fill("textarea[name=text]", "11 月起請使用新版表格")
    page.fill("input[name=starts_on]", "113/10/01")
    page.fill("input[name=ends_on]", "113/11/30")
    page.click("button[name=submit]")
    page.wait_for_load_state("networkidle")
    assert "已新增公告" in page.content()
    screenshot(page, "content-announcements")
    page.goto(live_server + "/content-faq")
    page.goto(live_server + "/content-documents")
    page.goto(live_server + "/content-templates")
    page.goto(live_server + "/units?q=%E7%A4%BA%E7%AF%84")
    page.goto(live_server + "/unit-view?code=013601")
    page.goto(live_server + "/units-import")
    page.goto(live_server + "/consult-desk")
