"""Login, captcha, lockout, session rotation/expiry and logout (functional)."""
from __future__ import annotations

import datetime as dt

from support import PASSWORD, captcha_code, csrf_token, login


def test_login_page_has_guide_elements(testapp):
    page = testapp.get("/")
    text = page.text
    for label in ("帳號", "密碼", "驗證", "登入", "忘記密碼", "登入相關", "新建帳號", "帳號查詢",
                  "變更信箱", "操作文件下載", "Q&amp;A", "線上諮詢"):
        assert label in text, label
    assert "本系統僅蒐集有關個案專業服務的相關資料" in text
    assert "請點擊 Email 中開通帳號的連結" in text
    assert "必須點擊 Email 中新的開通帳號連結" in text
    assert "國教署業務宣導" in text  # the seeded announcement
    assert 'src="http://localhost/captcha.png"' in text


def test_captcha_image_is_png_and_regenerated(testapp):
    first = testapp.get("/captcha.png")
    assert first.content_type == "image/png"
    assert first.body[:8] == b"\x89PNG\r\n\x1a\n"
    code1 = testapp.get("/test-captcha-code").json["code"]
    testapp.get("/captcha.png")
    code2 = testapp.get("/test-captcha-code").json["code"]
    assert len(code1) == 5 and code1.isdigit()
    # 1 in 100,000 chance of an identical draw; regenerate until different to stay deterministic
    for _ in range(3):
        if code2 != code1:
            break
        testapp.get("/captcha.png")
        code2 = testapp.get("/test-captcha-code").json["code"]
    assert code1 != code2
    assert "no-store" in first.headers["Cache-Control"]


def test_captcha_code_not_readable_from_cookie(testapp):
    testapp.get("/captcha.png")
    code = testapp.get("/test-captcha-code").json["code"]
    import base64

    cookie = testapp.cookies["cgs_session"]
    raw = base64.urlsafe_b64decode(cookie + "=" * (-len(cookie) % 4))
    # the test hook stores the clear code only when cgs.testing is on; the real key is an HMAC
    assert b"cgs.captcha\"" in raw or b"cgs.captcha" in raw
    # The payload is JSON after the signature: apart from the test hook's copy, the code must
    # appear nowhere (matching the parsed values, not bytes, so a digit run in the HMAC or the
    # timestamp cannot make this fail by chance).
    import json

    payload = json.loads(raw[64:].decode())  # after the 64-byte HMAC-SHA512 signature
    data = payload[-1]
    assert data.pop("cgs.captcha.test") == code
    record = data["cgs.captcha"]
    assert code not in [str(value) for value in record] and code not in json.dumps(data).split('"')


def test_login_success_and_logout(testapp, world):
    response = login(testapp, world["unit"])
    assert response.status_int == 302
    home = response.follow()
    assert "013601" in home.text and "工作填報" in home.text and "登出" in home.text
    token = csrf_token(testapp)
    out = testapp.post("/logout", {"csrf_token": token}).follow()
    assert "您已登出" in out.text
    assert "登入系統" in testapp.get("/account").follow().text


def test_wrong_password_and_unknown_account_get_same_message(testapp, world):
    bad = login(testapp, world["unit"], "Wrong12345x")
    unknown = login(testapp, "999999_nobody", "Wrong12345x")
    assert bad.status_int == unknown.status_int == 200
    message = "帳號、密碼或驗證碼錯誤，請重新輸入。"
    assert message in bad.text and message in unknown.text


def test_wrong_captcha_refused_even_with_right_password(testapp, world):
    response = login(testapp, world["unit"], PASSWORD, captcha="00000x")
    assert "帳號、密碼或驗證碼錯誤" in response.text
    # the code is used up: replaying the old code fails too
    code = captcha_code(testapp)
    login(testapp, world["unit"], "Wrong12345x", captcha=code)
    again = login(testapp, world["unit"], PASSWORD, captcha=code)
    assert again.status_int == 200 and "帳號、密碼或驗證碼錯誤" in again.text


def test_five_failures_lock_the_account_for_fifteen_minutes(testapp, world, clock, app):
    for _ in range(5):
        login(testapp, world["unit"], "Wrong12345x")
    locked = login(testapp, world["unit"], PASSWORD)
    assert locked.status_int == 200 and "登入失敗次數過多" in locked.text
    clock.advance(dt.timedelta(minutes=16))
    assert login(testapp, world["unit"], PASSWORD).status_int == 302


def test_five_failures_from_one_address_lock_that_address(app, world):
    import webtest

    attacker = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "198.51.100.7"})
    for i in range(5):
        login(attacker, f"99999{i}_x", "Wrong12345x")
    assert "登入失敗次數過多" in login(attacker, world["unit"], PASSWORD).text
    other = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "198.51.100.8"})
    assert login(other, world["unit"], PASSWORD).status_int == 302


def test_lockout_does_not_reveal_account_existence(testapp, world):
    for _ in range(5):
        login(testapp, "777777_ghost", "Wrong12345x")
    assert "登入失敗次數過多" in login(testapp, "777777_ghost", "Wrong12345x").text


def test_session_rotated_on_login(testapp, world):
    testapp.get("/login")
    before = testapp.cookies.get("cgs_session")
    login(testapp, world["unit"])
    after = testapp.cookies.get("cgs_session")
    assert before and after and before != after


def test_session_expires_after_thirty_idle_minutes(app, world, monkeypatch):
    import time

    import webtest

    browser = webtest.TestApp(app)
    login(browser, world["unit"])
    assert browser.get("/").text.count("登出") >= 1
    # The signed cookie session carries its own timestamp: shift real time forward.
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 31 * 60)
    page = browser.get("/account", status=302)
    assert "/login" in page.location


def test_logout_invalidates_a_copied_session_cookie(app, world):
    import webtest

    browser = webtest.TestApp(app)
    login(browser, world["unit"])
    stolen = browser.cookies["cgs_session"]
    browser.post("/logout", {"csrf_token": csrf_token(browser)})
    thief = webtest.TestApp(app)
    thief.set_cookie("cgs_session", stolen)
    assert thief.get("/account", status=302).location.startswith("http://localhost/login")


def test_pending_account_cannot_log_in(testapp, portal, world):
    from support import add_account

    with portal() as root:
        add_account(root, "013501_newb", unit_code="013501", personal_id="newb", status="pending")
    response = login(testapp, "013501_newb")
    assert response.status_int == 200 and "帳號尚未開通" in response.text


def test_post_without_csrf_is_refused_with_message(testapp, world):
    login(testapp, world["unit"])
    response = testapp.post("/logout", {}, status=400)
    assert "表單已失效" in response.text


def test_login_audited(testapp, world, portal):
    login(testapp, world["unit"], "Wrong12345x")
    login(testapp, world["unit"])
    from cgs_portal.accounts.audit import entries

    with portal() as root:
        events = [e.event for e in entries(root)]
    assert "login.failed" in events and "login.ok" in events


def test_login_returns_to_the_page_asked_for(testapp, world):
    page = testapp.get("/records", status=302).follow()
    form = page.forms["login-form"]
    form["login"] = world["unit"]
    form["password"] = PASSWORD
    form["captcha"] = captcha_code(testapp)
    response = form.submit("submit", status=302)
    assert response.location == "http://localhost/records"


def test_login_refuses_offsite_came_from(testapp, world):
    page = testapp.get("/login?came_from=//evil.example/x")
    form = page.forms["login-form"]
    form["login"] = world["unit"]
    form["password"] = PASSWORD
    form["captcha"] = captcha_code(testapp)
    assert form.submit("submit", status=302).location == "http://localhost/"
