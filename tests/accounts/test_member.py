"""帳號管理, 修改密碼 (and the 180-day gate), 變更登入帳號 for legacy bare-code accounts."""
from __future__ import annotations

import datetime as dt

import webtest

from support import PASSWORD, add_account, add_unit, confirm_link, login, mail_link, outbox

NEW = "Blue7Sky9Lake"


def browser(app, n):
    return webtest.TestApp(app, extra_environ={"REMOTE_ADDR": f"192.0.2.{n}"})


def test_account_page_shows_the_guide_fields(testapp, world):
    login(testapp, world["unit"])
    page = testapp.get("/account")
    info = page.html.find(id="account-info").get_text()
    for text in ("帳號類別", "國小", "單位名稱", "新北市立示範光明國民小學", "013601_a001", "王老師",
                 "02-12345678", "wang@example.invalid"):
        assert text in info


def test_account_page_updates_contact_fields(testapp, world, portal, settings):
    login(testapp, world["unit"])
    form = testapp.get("/account").forms["account-form"]
    form["name"] = "王大明"
    form["phone"] = "049-2910960#3795"
    page = form.submit("submit").maybe_follow()
    assert "承辦人資訊已更新" in page.text
    with portal() as root:
        account = root["accounts"]["013601_a001"]
        assert (account.name, account.phone) == ("王大明", "049-2910960#3795")
    assert outbox(settings) == []


def test_account_page_rejects_bad_phone_and_email(testapp, world):
    login(testapp, world["unit"])
    form = testapp.get("/account").forms["account-form"]
    form["phone"] = "abc"
    form["email"] = "x@"
    page = form.submit("submit")
    assert "電話格式不正確" in page.text and "Email 格式不正確" in page.text


def test_account_page_email_change_goes_through_confirmation(app, testapp, world, portal, settings):
    other = browser(app, 30)
    login(other, world["unit"])
    login(testapp, world["unit"])
    form = testapp.get("/account").forms["account-form"]
    form["email"] = "wang.new@example.invalid"
    form["current"] = PASSWORD  # issue 10 item 4: a new address needs the current password
    page = form.submit("submit").maybe_follow()
    assert "確認信已寄至新信箱" in page.text and "1 個登入已登出" in page.text
    assert other.get("/account").status_int == 302  # the other session ended
    assert testapp.get("/account").status_int == 200  # this one goes on
    with portal() as root:
        assert root["accounts"]["013601_a001"].email == "wang@example.invalid"
    testapp.post("/logout", {"csrf_token": page.forms["account-form"]["csrf_token"].value})
    assert "信箱變更尚未確認" in login(testapp, world["unit"], status=200).text
    confirm_link(testapp, mail_link(settings, "wang.new@example.invalid"))
    assert login(testapp, world["unit"]).status_int == 302
    with portal() as root:
        assert root["accounts"]["013601_a001"].email == "wang.new@example.invalid"


def change_password(testapp, current=PASSWORD, new=NEW, repeat=None):
    form = testapp.get("/change-password").forms["change-password-form"]
    form["current"] = current
    form["password"] = new
    form["password_repeat"] = repeat if repeat is not None else new
    return form.submit("submit")


def test_change_password_ends_other_sessions_and_says_so(app, testapp, world, portal, settings):
    others = [browser(app, 31), browser(app, 32)]
    for other in others:
        login(other, world["unit"])
    login(testapp, world["unit"])
    page = change_password(testapp).maybe_follow()
    assert "其他裝置上的登入已全部登出（共 2 個）" in page.text
    for other in others:
        assert other.get("/account").status_int == 302
    assert testapp.get("/account").status_int == 200
    assert "密碼已變更" in outbox(settings)[0]["subject"]
    with portal() as root:
        assert any(e.event == "password.change" for e in root.audit_log.values())


def test_change_password_errors(testapp, world):
    login(testapp, world["unit"])
    assert "目前密碼不正確" in change_password(testapp, current="Wrong1Pass").text
    assert "最近 3 次" in change_password(testapp, new=PASSWORD).text
    assert "兩次輸入的密碼不一致" in change_password(testapp, repeat=NEW + "1").text
    text = change_password(testapp, new="a001aaaaaaaa").text
    assert "大寫" in text and "數字" in text and "個人帳號" in text


def test_a_password_older_than_180_days_forces_the_change(testapp, world, clock):
    clock.set_now(dt.datetime(2025, 3, 1, 9, 0))  # 181 days after 2024-09-01
    response = login(testapp, world["unit"])
    assert response.headers["Location"].endswith("/change-password")
    for path in ("/", "/account", "/faq", "/counties/65000/013601/"):
        redirect = testapp.get(path, status=302)
        assert redirect.headers["Location"].endswith("/change-password"), path
    assert "超過 180 天" in testapp.get("/change-password").text
    assert testapp.get("/static/portal.css").status_int == 200
    change_password(testapp)
    assert testapp.get("/account").status_int == 200


def test_gated_account_can_still_log_out(testapp, world, clock):
    clock.set_now(dt.datetime(2025, 3, 1, 9, 0))
    login(testapp, world["unit"])
    page = testapp.get("/change-password")
    token = page.forms["change-password-form"]["csrf_token"].value
    testapp.post("/logout", {"csrf_token": token}, status=302)
    assert testapp.get("/faq").status_int == 200


def legacy(portal):
    with portal() as root:
        add_unit(root, "013502", "新北市立示範舊制國民中學", "國中", "65000")
        add_account(root, "013502", unit_code="013502", name="舊承辦人", email="old@example.invalid")
        add_account(root, "013502_gone", unit_code="013502", personal_id="gone", status="disabled")
        root["accounts"]["013502_gone"].status = "disabled"


def change_login(testapp, personal_id):
    form = testapp.get("/change-login").forms["change-login-form"]
    form["personal_id"] = personal_id
    return form.submit("submit")


def test_legacy_account_must_set_a_personal_id(testapp, world, portal):
    legacy(portal)
    response = login(testapp, "013502")
    assert response.headers["Location"].endswith("/change-login")
    assert testapp.get("/account", status=302).headers["Location"].endswith("/change-login")
    assert testapp.get("/change-password", status=302).headers["Location"].endswith("/change-login")
    assert "4 至 8 碼" in change_login(testapp, "AB").text
    assert "以前使用過" in change_login(testapp, "gone").text
    page = change_login(testapp, "lin9").maybe_follow()
    assert "登入帳號已變更為「013502_lin9」" in page.text
    # still logged in under the new login, free to use the portal
    assert testapp.get("/account").html.find(id="account-info").get_text().count("013502_lin9") == 1
    with portal() as root:
        accounts = root["accounts"]
        assert "013502" not in accounts and accounts["013502_lin9"].personal_id == "lin9"
        assert list(accounts.by_unit["013502"]) == ["013502", "013502_gone", "013502_lin9"]
        assert {"lin9", "gone"} <= accounts.personal_ids_used("013502")
        assert any(e.event == "login.change" for e in root.audit_log.values())
    testapp.reset()
    assert login(testapp, "013502_lin9").status_int == 302
    assert "帳號、密碼或驗證碼錯誤" in login(testapp, "013502", status=200).text


def test_change_login_when_not_needed_goes_home(testapp, world):
    login(testapp, world["unit"])
    assert testapp.get("/change-login", status=302).follow().status_int == 200


def test_other_sessions_of_a_renamed_legacy_account_end(app, testapp, world, portal):
    legacy(portal)
    other = browser(app, 33)
    login(other, "013502")
    login(testapp, "013502")
    change_login(testapp, "lin9")
    assert other.get("/change-login").status_int == 302
    assert "/login" in other.get("/change-login").headers["Location"]


def test_account_page_can_cancel_a_pending_email_change(testapp, world, portal, settings):
    login(testapp, world["unit"])
    form = testapp.get("/account").forms["account-form"]
    form["email"] = "typo@example.invaild"
    form["current"] = PASSWORD  # issue 10 item 4
    form.submit("submit")
    link = mail_link(settings, "typo@example.invaild")
    form = testapp.get("/account").forms["account-form"]
    assert form["email"].value == "typo@example.invaild"
    form["email"] = "wang@example.invalid"
    assert "已取消信箱變更" in form.submit("submit").maybe_follow().text
    with portal() as root:
        assert root["accounts"]["013601_a001"].awaiting_email is None
    from support import relative

    assert "已失效" in testapp.get(relative(link)).text
