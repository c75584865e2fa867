"""No request ends in a 5xx: odd query strings and form values to every registered view.

The views are found by introspection (``test_permissions.registered_views``), so a new
view joins the corpus at once. POSTs carry the session's CSRF token so they reach the
view. Error pages, the generic one included, carry the security headers.
"""
from __future__ import annotations

import datetime as dt
import logging

import pytest
import webtest

from support import csrf_token, login
from test_permissions import LOGINS, matrix_world, registered_views, url_for  # noqa: F401

# Every name a view of the portal reads from a query string or a form.
NAMES = ("m", "upload", "ay", "q", "came_from", "serial", "confirm", "report", "decision", "note",
         "reason", "login", "password", "email", "name", "phone", "captcha", "token", "code",
         "level", "unit", "county", "page", "kind", "event", "version", "personal_id",
         "action", "merged", "sig")  # 填報幫手's forms

# Raw, already percent-encoded values.
ODD_VALUES = (
    "%ff", "%c3%28", "%C2%B2", "%E2%91%A0", "-1", "9" * 5000, "1e309", "..%2F..%2Fetc%2Fpasswd",
    "../", "%00", "a%00b", "x" * 20000, "", "%E2%80%AE", "2024-13", "0000-00", "%0d%0aSet-Cookie:x",
)

# The corpus sent by every role of this list (the others are symmetric to one of them).
ROLES = ("anonymous", "unit", "county", "admin")


def odd_queries():
    """Query strings: every name set to one odd value, then repeated names (arrays)."""
    for value in ODD_VALUES:
        yield "&".join(f"{name}={value}" for name in NAMES)
    yield "&".join(f"{name}=1&{name}=2" for name in NAMES)
    yield "&".join(f"{name}[]=1" for name in NAMES)
    yield "&".join(NAMES)  # names without '='
    yield "%ff=1&=2&&=&m"


def send(browser, method, url, query, token):
    """GET ``url?query``, or POST ``query`` (with the token) as a form body to ``url``."""
    if method == "GET":
        return browser.get(url.split("?")[0] + "?" + query, status="*", expect_errors=True)
    body = f"csrf_token={token}&{query}".encode("latin-1")
    return browser.post(url.split("?")[0] + "?" + query, body, content_type="application/x-www-form-urlencoded",
                        status="*", expect_errors=True)


def test_odd_inputs_to_every_view_as_every_role_never_give_a_5xx(app, matrix_world, clock):  # noqa: F811
    clock.set_now(dt.datetime(2024, 10, 3, 9, 0))
    views = sorted({(kind, name, method) for kind, name, method, _p, _i in registered_views(app)},
                   key=lambda v: (v[1] == "logout" and v[2] == "POST", v))
    assert len(views) >= 10
    failures = []
    for index, role in enumerate(ROLES):
        browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": f"198.51.100.{index + 1}"})
        if role != "anonymous":
            assert login(browser, LOGINS[role]).status_int == 302, role
        token = csrf_token(browser)
        for kind, name, method in views:
            url = url_for(kind, name)
            for query in odd_queries():
                try:  # webtest lets an exception no view caught through: the server's 500
                    status = send(browser, method, url, query, token).status_int
                except Exception as error:
                    status = repr(error)[:80]
                if not isinstance(status, int) or status >= 500:
                    failures.append((role, method, url, query[:40], status))
    assert not failures, "\n".join(map(str, failures[:400])) + f"\n({len(failures)} in all)"


@pytest.mark.parametrize("path", [
    "/counties/65000/013601/month?m=2024-09&upload=%C2%B2",
    "/counties/65000/013601/month?m=2024-09&upload=%E2%91%A0",
    "/counties/65000/013601/113/2024-09/original?upload=%C2%B2",
    "/counties/65000/013601/113/2024-09/annotated?upload=%E2%91%A0",
    "/register?q=%ff", "/unit-search?q=%ff", "/login?came_from=%ff",
])
def test_the_reported_500s_are_answered(app, matrix_world, path):  # noqa: F811
    browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "198.51.100.9"})
    login(browser, LOGINS["unit"])
    response = browser.get(path, status="*", expect_errors=True)
    assert response.status_int < 500, (path, response.status)


def test_the_confirm_post_with_odd_numbers_is_answered(app, matrix_world):  # noqa: F811
    browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "198.51.100.10"})
    login(browser, LOGINS["unit"])
    token = csrf_token(browser)
    for value in ("²", "①", "%ff"):
        response = browser.post("/counties/65000/013601/confirm",
                                f"csrf_token={token}&m=2024-09&serial={value}&upload={value}".encode(),
                                content_type="application/x-www-form-urlencoded",
                                status="*", expect_errors=True)
        assert response.status_int < 500, (value, response.status)


def test_invalid_utf8_gets_a_zh_hant_400_page_with_the_security_headers(testapp):
    response = testapp.get("/register?q=%ff", status=400)
    assert "網址或表單的內容無法辨識" in response.text
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


def test_an_unexpected_error_is_logged_and_gets_the_generic_page(testapp, caplog):
    with caplog.at_level(logging.ERROR, logger="cgs_portal"):
        response = testapp.get("/test-unexpected-error", status=500)
    assert "系統發生未預期的錯誤" in response.text
    assert "Traceback" not in response.text and "RuntimeError" not in response.text
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert any("test-unexpected-error" in r.getMessage() and r.exc_info for r in caplog.records)


def test_the_raising_view_exists_only_when_testing(settings):
    from cgs_portal import main

    app = main({}, **{**settings, "cgs.testing": "false"})
    try:
        webtest.TestApp(app).get("/test-unexpected-error", status=404)
    finally:
        for db in app.registry._zodb_databases.values():
            db.close()


def test_messages_piling_up_in_the_session_never_overflow_its_cookie(app, matrix_world):  # noqa: F811
    """A page that flashes then redirects, requested again and again without following."""
    browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "198.51.100.11"})
    login(browser, LOGINS["unit"])
    for _ in range(60):
        response = browser.get("/change-login", status="*", expect_errors=True)
        assert response.status_int == 302
    page = browser.get("/change-login").follow()
    assert page.text.count("已設定個人帳號") == 1
