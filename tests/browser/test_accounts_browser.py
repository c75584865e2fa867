"""The account journey in a real browser: register → activation mail → login → change password."""
from __future__ import annotations

import re

from support import add_unit, browser_login, outbox, screenshot

FIRST = "Blue7Sky9Lake"
SECOND = "Green8Hill3Road"


def test_register_activate_login_change_password(page, live_server, world, portal, settings):
    with portal() as root:
        add_unit(root, "010301", "國立華僑高級中等學校（示範）", "高中", "65000")
    errors = []
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 and not r.url.endswith("favicon.ico") else None)
    page.goto(live_server + "/register")
    # the script searches in place and fills the unit choice
    page.select_option("#search-category", "高中職")
    page.fill("#search-keyword", "華僑")
    page.click("#search-button")
    page.wait_for_selector("select[name=unit_code] option[value='010301']", state="attached")
    assert page.input_value("select[name=unit_code]") == "010301"
    assert page.input_value("#register-form select[name=category]") == "高中職"
    page.fill("input[name=personal_id]", "hsu01")
    assert page.inner_text("#login-preview") == "010301_hsu01"  # shown live
    assert page.inner_text("#unit-code-display") == "010301"
    page.fill("input[name=password]", FIRST)
    page.fill("input[name=password_repeat]", FIRST)
    page.fill("input[name=name]", "許老師")
    page.fill("input[name=phone]", "049-2910960#3795")
    page.fill("input[name=email]", "hsu@example.invalid")
    screenshot(page, "register")
    page.click("#register-form button[name=submit]")
    page.wait_for_load_state("networkidle")
    assert "註冊完成" in page.content()
    assert not errors, errors

    mail = outbox(settings)[0]
    assert mail["to"] == "hsu@example.invalid"
    link = re.search(r"https?://\S+/confirm\?t=\S+", mail["body"]).group(0)
    page.goto(link.replace("http://localhost", live_server) if link.startswith("http://localhost") else link)
    page.click("#confirm-form button")
    page.wait_for_load_state("networkidle")
    assert "帳號已開通" in page.content()

    browser_login(page, live_server, "010301_hsu01", FIRST)
    assert page.inner_text("#current-unit") == "010301"
    page.goto(live_server + "/change-password")
    page.fill("input[name=current]", FIRST)
    page.fill("input[name=password]", SECOND)
    page.fill("input[name=password_repeat]", SECOND)
    page.click("#change-password-form button[name=submit]")
    page.wait_for_load_state("networkidle")
    assert "密碼已變更" in page.content() and "其他裝置上的登入已全部登出" in page.content()
    screenshot(page, "password-changed")
    page.click("#logout-button")
    page.wait_for_load_state("networkidle")
    browser_login(page, live_server, "010301_hsu01", SECOND)
    assert page.inner_text("#current-unit") == "010301"


def test_register_works_without_javascript(browser, live_server, world, portal, settings):
    with portal() as root:
        add_unit(root, "010301", "國立華僑高級中等學校（示範）", "高中", "65000")
    context = browser.new_context(java_script_enabled=False, locale="zh-TW")
    page = context.new_page()
    try:
        page.goto(live_server + "/register")
        page.select_option("#search-category", "高中職")
        page.fill("#search-keyword", "華僑")
        page.click("#search-button")
        page.wait_for_load_state("networkidle")
        assert page.input_value("select[name=unit_code]") == "010301"
        page.fill("input[name=personal_id]", "hsu01")
        page.fill("input[name=password]", FIRST)
        page.fill("input[name=password_repeat]", "Mismatch1x")
        page.fill("input[name=name]", "許老師")
        page.fill("input[name=phone]", "049-2910960#3795")
        page.fill("input[name=email]", "hsu@example.invalid")
        page.click("#register-form button[name=submit]")
        page.wait_for_load_state("networkidle")
        assert "兩次輸入的密碼不一致" in page.content()
        assert page.inner_text("#login-preview") == "010301_hsu01"
    finally:
        context.close()


def test_an_official_enrols_the_second_factor_and_the_back_office_pages_are_accessible(
        page, live_server, world, portal):
    """First login of an administrator: the enrolment page (QR code, recovery codes) by hand,
    then the code page on a second login, then the account back-office pages (axe on each)."""
    page.goto(live_server + "/login")
    page.wait_for_function("document.querySelector('img.captcha-image').complete")
    code = page.evaluate("async () => (await (await fetch('/test-captcha-code')).json()).code")
    page.fill("input[name=login]", world["admin"])
    page.fill("input[name=password]", "Counsel2024ok")
    page.fill("input[name=captcha]", code)
    page.click("button[name=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/login-enrol")
    assert page.locator("svg[role=img]").count() == 1
    assert page.locator("#recovery-codes li").count() == 10
    screenshot(page, "factor-enrol")
    code = page.evaluate("async () => (await (await fetch('/test-factor-code')).json()).code")
    page.fill("#factor-form input[name=code]", code)
    page.click("#factor-form button[name=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#current-unit").count() == 1
    with portal() as root:
        assert root["accounts"][world["admin"]].totp_secret is not None
    page.click("#logout-button")
    page.wait_for_load_state("networkidle")
    browser_login(page, live_server, world["admin"])  # the code page this time
    assert page.locator("#current-unit").count() == 1
    for path in ("/two-factor", "/officials", "/helpdesk?q=013601", "/helpdesk?unit=013601",
                 "/helpdesk-account?login=013601_a001", "/factor-resets", "/audit-log?event=factor"):
        page.goto(live_server + path)
        page.wait_for_load_state("networkidle")
        assert page.locator("h1").count() == 1, path
    page.goto(live_server + "/officials")
    page.click("#staff-ntpc_gov button")
    page.wait_for_load_state("networkidle")
    assert "已停用帳號" in page.content()
