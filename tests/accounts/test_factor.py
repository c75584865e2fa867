"""Two-factor login (TOTP, RFC 6238): enrolment, codes, replay, recovery codes, rate limit,
the half-logged-in session, optional use by unit accounts."""
from __future__ import annotations

import webtest

from cgs_portal.accounts import factor
from support import PASSWORD, captcha_code, factor_code, login, pass_factor


def browser(app, n=30):
    return webtest.TestApp(app, extra_environ={"REMOTE_ADDR": f"192.0.2.{n}"})


def password_step(testapp, login_id, password=PASSWORD):
    page = testapp.get("/login")
    form = page.forms["login-form"]
    form["login"], form["password"], form["captcha"] = login_id, password, captcha_code(testapp)
    return form.submit("submit", status=302)


def secret_of(portal, login_id):
    with portal() as root:
        return root["accounts"][login_id].totp_secret


def test_an_official_enrols_on_first_login_and_then_gives_a_code(app, testapp, world, portal):
    step = password_step(testapp, world["county"])
    assert step.headers["Location"].endswith("/login-enrol")
    page = step.follow()
    assert page.html.find("svg") is not None and "style=" not in str(page.html.find("svg"))
    codes = [li.get_text() for li in page.html.select("#recovery-codes li")]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert secret_of(portal, world["county"]) is None  # nothing stored before the code
    done = pass_factor(testapp, page)
    assert done.status_int == 302 and done.headers["Location"] == "http://localhost/"
    assert secret_of(portal, world["county"]) is not None
    assert testapp.get("/account").status_int == 200
    # second login: the code page, not the enrolment
    other = browser(app)
    step = password_step(other, world["county"])
    assert step.headers["Location"].endswith("/login-code")
    assert pass_factor(other, step.follow()).status_int == 302
    assert other.get("/account").status_int == 200
    with portal() as root:
        events = [e.event for e in root.audit_log.values() if e.login == world["county"]]
        assert "factor.enrol" in events and events.count("login.ok") == 2


def test_every_official_role_needs_the_factor_and_units_do_not(testapp, world):
    for role in ("county", "helpdesk", "admin"):
        app_ = testapp
        step = password_step(app_, world[role])
        assert step.headers["Location"].endswith("/login-enrol"), role
        app_.reset()
    assert password_step(testapp, world["unit"]).headers["Location"] == "http://localhost/"


def test_the_half_logged_in_session_grants_nothing(testapp, world):
    password_step(testapp, world["admin"])
    for path in ("/account", "/audit-log", "/officials", "/helpdesk", "/counties/65000/"):
        response = testapp.get(path, status="*")
        assert response.status_int in (302, 403, 404), path
        if response.status_int == 302:
            assert "/login" in response.headers["Location"], path
    assert testapp.get("/login-code", status=302).headers["Location"].endswith("/login")  # wrong step


def test_a_wrong_code_is_refused_and_counted_then_locks(app, testapp, world, portal):
    login(testapp, world["admin"])  # enrolled
    other = browser(app, 31)
    page = password_step(other, world["admin"]).follow()
    for attempt in range(4):
        page = pass_factor(other, page, "000000")
        assert "驗證碼錯誤" in page.text, attempt
    locked = pass_factor(other, page, "000000")
    assert locked.status_int == 302 and locked.headers["Location"].endswith("/login")
    assert "已暫停登入" in locked.follow().text
    # a right password does not clear the code's lock
    third = browser(app, 32)
    page = password_step(third, world["admin"]).follow()
    refused = pass_factor(third, page)
    assert refused.headers["Location"].endswith("/login")
    with portal() as root:
        assert any(e.event == "factor.locked" for e in root.audit_log.values())


def test_a_code_cannot_be_replayed(app, testapp, world, portal):
    login(testapp, world["helpdesk"])
    other = browser(app, 33)
    page = password_step(other, world["helpdesk"]).follow()
    with portal() as root:
        account = root["accounts"][world["helpdesk"]]
        used = factor.code_at(account.totp_secret, account.totp_last_step)
    assert "驗證碼錯誤" in pass_factor(other, page, used).text


def test_matching_step_allows_one_step_of_drift_and_refuses_used_steps():
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    now = 1_000_000
    for offset in (-1, 0, 1):
        assert factor.matching_step(secret, factor.code_at(secret, now + offset), now, None) == now + offset
    assert factor.matching_step(secret, factor.code_at(secret, now + 2), now, None) is None
    assert factor.matching_step(secret, factor.code_at(secret, now), now, now) is None
    assert factor.matching_step(secret, factor.code_at(secret, now + 1), now, now) == now + 1


def test_totp_codes_are_rfc_6238():
    # RFC 6238 appendix B, SHA-1, T = 59 s → 94287082 (8 digits); pyotp with 8 digits agrees.
    import pyotp

    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # "12345678901234567890"
    assert pyotp.TOTP(secret, digits=8).at(59) == "94287082"
    assert factor.code_at(secret, 59 // 30) == "287082"


def test_a_recovery_code_logs_in_once(app, testapp, world, portal):
    step = password_step(testapp, world["county"])
    page = step.follow()
    codes = [li.get_text() for li in page.html.select("#recovery-codes li")]
    pass_factor(testapp, page)
    with portal() as root:
        stored = list(root["accounts"][world["county"]].recovery_hashes)
        assert len(stored) == 10 and all(h.startswith("$argon2") for h in stored)
        assert not any(code.replace("-", "") in h for code in codes for h in stored)
    second = browser(app, 34)
    done = pass_factor(second, password_step(second, world["county"]).follow(), codes[3].upper())
    assert done.status_int == 302 and second.get("/account").status_int == 200
    third = browser(app, 35)
    again = pass_factor(third, password_step(third, world["county"]).follow(), codes[3])
    assert "驗證碼錯誤" in again.text
    with portal() as root:
        assert len(root["accounts"][world["county"]].recovery_hashes) == 9


def test_the_enrolment_code_must_match_the_secret_shown(testapp, world, portal):
    page = password_step(testapp, world["county"]).follow()
    shown = page.html.find(id="factor-secret").get_text().replace(" ", "")
    code = factor_code(testapp)
    other_secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    wrong = next(factor.code_at(other_secret, s) for s in range(10**6) if factor.code_at(other_secret, s) != code)
    assert "驗證碼錯誤" in pass_factor(testapp, page, wrong).text
    assert secret_of(portal, world["county"]) is None
    assert pass_factor(testapp, testapp.get("/login-enrol"), code).status_int == 302
    assert secret_of(portal, world["county"]) == shown


def test_a_pending_login_expires(testapp, world, monkeypatch):
    page = password_step(testapp, world["admin"]).follow()
    from cgs_portal.accounts import factor as module

    real = module.wall_seconds
    monkeypatch.setattr(module, "wall_seconds", lambda: real() + module.PENDING_SECONDS + 5)
    expired = pass_factor(testapp, page)
    assert expired.headers["Location"].endswith("/login")
    assert "重新登入" in expired.follow().text


def test_an_old_session_without_the_factor_mark_is_refused(app, testapp, world, portal):
    """A session that passed no factor (e.g. from before the factor was required) counts for nothing."""
    login(testapp, world["unit"])  # no factor for the unit
    with portal() as root:
        account = root["accounts"][world["unit"]]
        account.role = "county"  # the account now needs a factor: its old session is no longer enough
        account.county_code = "65000"
    assert "/login" in testapp.get("/account", status=302).headers["Location"]


def test_a_unit_account_may_turn_the_factor_on_and_off(app, testapp, world, portal):
    login(testapp, world["unit"])
    page = testapp.get("/two-factor")
    assert "尚未啟用" in page.text and page.html.find("svg") is not None
    form = page.forms["factor-form"]
    form["code"] = "000000"
    assert "驗證碼錯誤" in form.submit("submit").text
    page = testapp.get("/two-factor")
    form = page.forms["factor-form"]
    form["code"] = factor_code(testapp)
    assert form.submit("submit").status_int == 302
    assert "已啟用" in testapp.get("/two-factor").text
    assert testapp.get("/account").status_int == 200  # this session goes on
    other = browser(app, 36)
    step = password_step(other, world["unit"])
    assert step.headers["Location"].endswith("/login-code")
    assert login(browser(app, 37), world["unit"]).status_int == 302  # the helper passes it too
    # turning it off needs a current code
    page = testapp.get("/two-factor")
    off = page.forms["factor-off-form"]
    off["code"] = "000000"
    assert "驗證碼錯誤" in off.submit("submit").follow().text
    off = testapp.get("/two-factor").forms["factor-off-form"]
    off["code"] = factor_code(testapp)
    off.submit("submit")
    assert secret_of(portal, world["unit"]) is None
    assert password_step(browser(app, 38), world["unit"]).headers["Location"] == "http://localhost/"


def test_officials_cannot_turn_the_factor_off_but_can_renew_recovery_codes(testapp, world, portal):
    login(testapp, world["admin"])
    page = testapp.get("/two-factor")
    assert "factor-off-form" not in page.forms
    new_codes = [li.get_text() for li in page.html.select("#recovery-codes li")]
    form = page.forms["factor-form"]
    form["code"] = factor_code(testapp)
    assert form.submit("submit").status_int == 302
    token = page.forms["factor-form"]["csrf_token"].value
    assert testapp.post("/two-factor-off", {"csrf_token": token, "code": "1"}).status_int == 302
    assert secret_of(portal, world["admin"]) is not None
    from cgs_portal.accounts.passwords import verify_password

    with portal() as root:
        hashes = root["accounts"][world["admin"]].recovery_hashes
        assert verify_password(hashes[0], new_codes[0].replace("-", ""))
        assert any(e.event == "factor.recovery" for e in root.audit_log.values())


def test_the_factor_code_hook_exists_only_when_testing(settings):
    from cgs_portal import main

    settings = {**settings, "cgs.testing": "false"}
    wsgi = main({}, **settings)
    try:
        webtest.TestApp(wsgi).get("/test-factor-code", status=404)
    finally:
        for db in wsgi.registry._zodb_databases.values():
            db.close()
