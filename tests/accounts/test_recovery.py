"""忘記密碼, 變更信箱 and 帳號查詢: same answers whatever the account, mail does the telling."""
from __future__ import annotations

import datetime as dt

import webtest

from support import PASSWORD, captcha_code, confirm_link, login, mail_link, outbox, relative

NEW = "Blue7Sky9Lake"


def forgot(testapp, login_id="013601_a001", email="wang@example.invalid", password=NEW, repeat=None):
    form = testapp.get("/forgot-password").forms["forgot-form"]
    form["login"] = login_id
    form["email"] = email
    form["password"] = password
    form["password_repeat"] = repeat if repeat is not None else password
    return form.submit("submit")


def confirm_password_link(testapp, url, password=NEW):
    """Open a 忘記密碼 link, type the new password again (issue 10 item 3) and press 確認."""
    form = testapp.get(relative(url)).forms["confirm-form"]
    form["password"] = password
    return form.submit("confirm", status=302)


def test_forgot_password_takes_effect_only_after_the_link(testapp, world, settings, portal):
    answer = forgot(testapp).maybe_follow()
    assert "申請已受理" in answer.text
    mail = outbox(settings)[0]
    assert mail["to"] == "wang@example.invalid" and "確認新密碼" in mail["subject"]
    # the old password still works until the link is clicked
    other = webtest.TestApp(testapp.app, extra_environ={"REMOTE_ADDR": "192.0.2.11"})
    assert login(other, "013601_a001", PASSWORD).status_int == 302
    confirm_password_link(testapp, mail_link(settings, "wang@example.invalid"))
    assert "帳號、密碼或驗證碼錯誤" in login(testapp, "013601_a001", PASSWORD, status=200).text
    assert login(testapp, "013601_a001", NEW).status_int == 302
    # the confirmation ended the other browser's session
    assert other.get("/account").status_int == 302
    with portal() as root:
        events = {e.event for e in root.audit_log.values()}
    assert {"password.forgot", "password.reset"} <= events


def test_forgot_password_answers_the_same_for_unknown_accounts(testapp, world, settings):
    known = forgot(testapp).maybe_follow()
    unknown = forgot(testapp, login_id="999999_nobody").maybe_follow()
    wrong_mail = forgot(testapp, email="someone@example.invalid").maybe_follow()
    assert "申請已受理" in unknown.text and "申請已受理" in wrong_mail.text
    strip = lambda page: page.html.find(id="main").get_text()  # noqa: E731
    assert strip(known).replace(" ", "") == strip(unknown).replace(" ", "") == strip(wrong_mail).replace(" ", "")
    assert len(outbox(settings)) == 1  # only the real, matching one got mail


def test_forgot_password_recent_password_is_said_by_mail_only(testapp, world, settings, portal):
    answer = forgot(testapp, password=PASSWORD).maybe_follow()
    assert "申請已受理" in answer.text
    mail = outbox(settings)[0]
    assert "申請未完成" in mail["subject"] and "最近 3 次" in mail["body"]
    assert "/confirm" not in mail["body"]


def test_forgot_password_field_errors(testapp, world):
    response = forgot(testapp, password="weak", repeat="weak2")
    assert "8 至 20 碼" in response.text
    response = forgot(testapp, password=NEW, repeat=NEW + "x")
    assert "兩次輸入的密碼不一致" in response.text
    assert "Email 格式不正確" in forgot(testapp, email="nope").text
    # the password may not contain the unit code or personal id taken from the login text
    response = forgot(testapp, password="A001sky013601", repeat="A001sky013601")
    assert "單位代碼" in response.text and "個人帳號" in response.text


def test_forgot_password_is_rate_limited_per_account(testapp, world, settings):
    for _ in range(3):
        forgot(testapp)
    assert "操作過於頻繁" in forgot(testapp).text
    assert len(outbox(settings)) == 3


def test_forgot_password_link_expires(testapp, world, settings, clock):
    forgot(testapp)
    clock.advance(dt.timedelta(days=1, seconds=1))
    page = testapp.get(relative(mail_link(settings)))
    assert "已逾期" in page.text
    page.forms["resend-form"].submit("resend")
    confirm_password_link(testapp, mail_link(settings))
    assert login(testapp, "013601_a001", NEW).status_int == 302


def change_email(testapp, login_id="013601_a001", password=PASSWORD, new="new@example.invalid", repeat=None):
    form = testapp.get("/change-email").forms["change-email-form"]
    form["login"] = login_id
    form["password"] = password
    form["email"] = new
    form["email_repeat"] = repeat if repeat is not None else new
    form["captcha"] = captcha_code(testapp)  # issue 10 item 5: the page has a captcha now
    return form.submit("submit")


def test_change_email_must_be_confirmed_before_logging_in_again(testapp, world, settings, portal):
    other = webtest.TestApp(testapp.app, extra_environ={"REMOTE_ADDR": "192.0.2.12"})
    login(other, "013601_a001")
    assert other.get("/account").status_int == 200
    answer = change_email(testapp).maybe_follow()
    assert "確認信已寄至新信箱" in answer.text
    # every session ended, and no new login until confirmed
    assert other.get("/account").status_int == 302
    assert "信箱變更尚未確認" in login(testapp, "013601_a001", status=200).text
    to_new = [m for m in outbox(settings) if m["to"] == "new@example.invalid"]
    to_old = [m for m in outbox(settings) if m["to"] == "wang@example.invalid"]
    assert to_new and to_old and "變更信箱通知" in to_old[0]["subject"]
    confirm_link(testapp, mail_link(settings, "new@example.invalid"))
    assert login(testapp, "013601_a001").status_int == 302
    with portal() as root:
        account = root["accounts"]["013601_a001"]
        assert account.email == "new@example.invalid" and account.awaiting_email is None
        events = {e.event for e in root.audit_log.values()}
    assert {"email.change", "email.confirm"} <= events


def test_change_email_refuses_wrong_password_and_mismatch(testapp, world, settings):
    assert "帳號或密碼錯誤" in change_email(testapp, password="Wrong1Pass").text
    assert "帳號或密碼錯誤" in change_email(testapp, login_id="nobody_x").text
    assert "兩次輸入的 Email 不一致" in change_email(testapp, repeat="other@example.invalid").text
    assert "Email 格式不正確" in change_email(testapp, new="bad@", repeat="bad@").text
    assert outbox(settings) == []


def test_change_email_locks_after_repeated_wrong_passwords(testapp, world):
    for _ in range(5):
        change_email(testapp, password="Wrong1Pass")
    assert "失敗次數過多" in change_email(testapp).text


def lookup(testapp, category="國小", q="光明", unit_code="013601"):
    page = testapp.get("/lookup", params={"category": category, "q": q})
    form = page.forms["lookup-form"]
    form["unit_code"].force_value(unit_code)
    return form.submit("submit")


def test_lookup_mails_the_login_and_never_shows_it(testapp, world, settings):
    answer = lookup(testapp).maybe_follow()
    assert "查詢已受理" in answer.text
    assert "013601_a001" not in answer.text
    mail = outbox(settings)[0]
    assert mail["to"] == "wang@example.invalid" and "013601_a001" in mail["body"]


def test_lookup_answers_the_same_for_a_unit_without_account(testapp, world, settings, portal):
    from support import add_unit

    with portal() as root:
        add_unit(root, "013602", "新北市立示範光明二國民小學", "國小", "65000")
    answer = lookup(testapp, unit_code="013602").maybe_follow()
    assert "查詢已受理" in answer.text
    assert outbox(settings) == []


def test_lookup_refuses_unknown_unit_and_other_category(testapp, world):
    assert "查無此單位代碼" in lookup(testapp, unit_code="999999").text
    assert "不屬於帳號類別" in lookup(testapp, unit_code="013501").text


def test_lookup_is_rate_limited(testapp, world, settings):
    for _ in range(3):
        lookup(testapp)
    assert "操作過於頻繁" in lookup(testapp).text
    assert len(outbox(settings)) == 3


def test_production_mail_goes_to_the_maildir_queue(settings, tmp_path):
    from cgs_portal import main
    from support import add_account

    settings = {k: v for k, v in settings.items() if k != "mail.debug_dir"}
    settings["mail.queue_path"] = str(tmp_path / "queue")
    settings["cgs.public_url"] = "https://cgs.example.invalid/"
    app = main({}, **settings)
    try:
        from support import open_root

        with open_root(app) as root:
            add_account(root, "ntpc_gov", role="county", county_code="65000", email="ntpc@example.invalid")
        testapp = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.50"})
        forgot(testapp, login_id="ntpc_gov", email="ntpc@example.invalid")
        queued = list((tmp_path / "queue" / "new").iterdir())
        assert len(queued) == 1
        body = queued[0].read_bytes()
        assert b"ntpc@example.invalid" in body
        import email
        import email.policy

        message = email.message_from_bytes(body, policy=email.policy.default)
        assert "https://cgs.example.invalid/confirm?t=" in message.get_body().get_content()
    finally:
        for db in getattr(app.registry, "_zodb_databases", {}).values():
            db.close()
