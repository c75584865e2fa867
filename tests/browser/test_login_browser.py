"""The main journey of the foundation in a real browser: log in through the captcha."""
from __future__ import annotations

from support import PASSWORD, browser_login, screenshot


def test_login_with_real_captcha_and_logout(page, live_server, world):
    page.goto(live_server + "/")
    assert page.title().startswith("登入系統")
    assert page.locator("#announcements").inner_text().count("國教署業務宣導") == 1
    screenshot(page, "login")
    browser_login(page, live_server, world["unit"], PASSWORD)
    assert page.locator("#current-unit").inner_text() == "013601"
    nav = page.locator("nav").inner_text()
    for item in ("工作填報", "資料查詢", "帳號管理", "填報幫手", "線上諮詢", "修改密碼", "登出"):
        assert item in nav
    screenshot(page, "home")
    page.click("#logout-button")
    page.wait_for_load_state("networkidle")
    assert "您已登出" in page.content()


def test_wrong_captcha_shows_generic_error_and_new_image(page, live_server, world):
    page.goto(live_server + "/login")
    page.fill("input[name=login]", world["unit"])
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=captcha]", "00000")
    page.click("button[name=submit]")
    page.wait_for_load_state("networkidle")
    assert "帳號、密碼或驗證碼錯誤" in page.locator("#login-error").inner_text()
    # the page shows a fresh captcha image that decodes to a non-empty PNG
    assert page.evaluate("document.querySelector('img.captcha-image').naturalWidth") == 160


def test_login_menu_dropdown_works_without_cdn(page, live_server):
    page.goto(live_server + "/")
    page.click("#menu-login")
    page.wait_for_selector("text=新建帳號", state="visible")
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.reload()
    assert requests and all(url.startswith(live_server) for url in requests)


def test_a_county_official_logs_in_with_the_code_page(page, live_server, world, portal):
    browser_login(page, live_server, world["county"])  # enrols on the way
    page.click("#logout-button")
    page.wait_for_load_state("networkidle")
    page.goto(live_server + "/login")
    page.wait_for_function("document.querySelector('img.captcha-image').complete")
    code = page.evaluate("async () => (await (await fetch('/test-captcha-code')).json()).code")
    page.fill("input[name=login]", world["county"])
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=captcha]", code)
    page.click("button[name=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/login-code")
    page.fill("#factor-form input[name=code]", "000000")
    page.click("#factor-form button[name=submit]")
    page.wait_for_load_state("networkidle")
    assert "驗證碼錯誤" in page.locator("#form-errors").inner_text()
    code = page.evaluate("async () => (await (await fetch('/test-factor-code')).json()).code")
    page.fill("#factor-form input[name=code]", code)
    page.click("#factor-form button[name=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#current-unit").inner_text() == world["county"]
