"""The login captcha: single use on the server, short-lived, checked before any password work,
and a wrong captcha counts against the address only (issue 10, items 1, 5, 7)."""
from __future__ import annotations

import datetime as dt

import webtest

from support import PASSWORD, captcha_code, login


def _login_form(testapp, login_id, password, code):
    form = testapp.get("/login").forms["login-form"]
    form["login"] = login_id
    form["password"] = password
    form["captcha"] = code
    return form


def test_a_replayed_cookie_does_not_bring_a_solved_captcha_back(app, world):
    browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.21"})
    form = _login_form(browser, world["unit"], PASSWORD, "")
    form["captcha"] = captcha_code(browser)
    saved = dict(browser.cookies)  # the cookie carrying the solved captcha
    assert form.submit("submit").status_int == 302
    replay = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.21"})
    for name, value in saved.items():
        replay.set_cookie(name, value)
    form2 = _login_form(replay, world["unit"], PASSWORD, form["captcha"].value)
    # the GET of /login keeps the captcha of the replayed cookie: only the server can refuse it
    again = form2.submit("submit")
    assert again.status_int == 200
    assert "帳號、密碼或驗證碼錯誤" in again.text


def test_a_captcha_expires_after_a_few_minutes(testapp, world, clock):
    code = captcha_code(testapp)
    form = _login_form(testapp, world["unit"], PASSWORD, code)
    clock.advance(dt.timedelta(minutes=6))
    response = form.submit("submit")
    assert response.status_int == 200 and "帳號、密碼或驗證碼錯誤" in response.text


def test_the_test_only_code_view_still_works(testapp):
    code = captcha_code(testapp)
    assert len(code) == 5 and code.isdigit()


def test_a_wrong_captcha_skips_the_password_check(testapp, world, monkeypatch):
    from cgs_portal.accounts import login as login_module

    calls = []
    monkeypatch.setattr(login_module, "verify_password", lambda *a: calls.append(a) or True)
    response = login(testapp, world["unit"], PASSWORD, captcha="00000")
    assert response.status_int == 200 and "帳號、密碼或驗證碼錯誤" in response.text
    assert calls == []


def test_wrong_captchas_do_not_lock_the_account(app, world):
    attacker = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "198.51.100.40"})
    for _ in range(6):
        login(attacker, world["unit"], "Wrong12345x", captcha="00000")
    # the attacker's address is locked …
    assert "登入失敗次數過多" in login(attacker, world["unit"], PASSWORD).text
    # … the account is not: its owner logs in from elsewhere
    owner = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "198.51.100.41"})
    assert login(owner, world["unit"], PASSWORD).status_int == 302


def _change_email_form(testapp, login_id, password):
    form = testapp.get("/change-email").forms["change-email-form"]
    form["login"] = login_id
    form["password"] = password
    form["email"] = form["email_repeat"] = "new@example.invalid"
    return form


def test_change_email_has_a_captcha(testapp, world, settings):
    from support import outbox

    page = testapp.get("/change-email")
    assert "captcha" in page.forms["change-email-form"].fields
    form = _change_email_form(testapp, world["unit"], PASSWORD)
    form["captcha"] = "00000"
    refused = form.submit("submit")
    assert refused.status_int == 200 and not outbox(settings)
    form = _change_email_form(testapp, world["unit"], PASSWORD)
    form["captcha"] = captcha_code(testapp)
    assert form.submit("submit").status_int == 302
    assert any("new@example.invalid" in m["to"] for m in outbox(settings))


def test_change_email_wrong_captcha_does_not_lock_the_account(app, world):
    attacker = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "198.51.100.42"})
    for _ in range(6):
        form = _change_email_form(attacker, world["unit"], "Wrong12345x")
        form["captcha"] = "00000"
        form.submit("submit")
    owner = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "198.51.100.43"})
    assert login(owner, world["unit"], PASSWORD).status_int == 302


def test_a_new_captcha_image_keeps_the_visitor_on_their_page(testapp):
    """「換一張」 reloads the page it is on (a new image is drawn on every view), not /login."""
    for path in ("/login", "/change-email"):
        link = testapp.get(path).html.find("a", string="換一張")
        assert link["href"].endswith(path)


def test_concurrent_captcha_uses_merge_and_a_double_use_conflicts(tmp_path):
    """Logins come in bursts: two transactions using different captchas both commit; two
    using the same one cannot both succeed (the retry then finds it used)."""
    import pytest
    import transaction
    import ZODB
    from ZODB.FileStorage import FileStorage
    from ZODB.POSException import ConflictError

    from cgs_portal.accounts.captcha import UsedCaptchas

    db = ZODB.DB(FileStorage(str(tmp_path / "Data.fs")))
    with db.transaction() as conn:
        conn.root()["used"] = UsedCaptchas()
        conn.root()["used"].use("old", 0, 0)  # expired by the time of the others

    def use_concurrently(first_id, second_id):
        one, two = transaction.TransactionManager(), transaction.TransactionManager()
        a, b = db.open(transaction_manager=one), db.open(transaction_manager=two)
        assert a.root()["used"].use(first_id, 1000, 1000)
        assert b.root()["used"].use(second_id, 1000, 1000)
        one.commit()
        try:
            two.commit()
        finally:
            two.abort()
            a.close()
            b.close()

    use_concurrently("x", "y")
    with db.transaction() as conn:
        assert set(conn.root()["used"].ids) == {"x", "y"}  # both kept, the expired one pruned
    with pytest.raises(ConflictError):
        use_concurrently("z", "z")
    db.close()
