"""Mailed links and redirects never follow the request's Host header (issue 10, item 2)."""
from __future__ import annotations

import pytest
import webtest

from cgs_portal import main
from support import PASSWORD, add_account, captcha_code, csrf_token, login, open_root, outbox

EVIL = {"REMOTE_ADDR": "192.0.2.30", "HTTP_HOST": "evil.example"}


def _app(settings, **changes):
    settings = {**settings, **changes}
    settings = {k: v for k, v in settings.items() if v is not None}
    app = main({}, **settings)
    with open_root(app) as root:
        add_account(root, "ntpc_gov", role="county", county_code="65000", name="新北承辦",
                    email="ntpc@example.invalid")
    return app


@pytest.fixture(params=[None, "https://cgs.example.invalid"], ids=["default", "configured"])
def forged(request, settings):
    app = _app(settings, **{"cgs.public_url": request.param})
    yield webtest.TestApp(app, extra_environ=EVIL), (request.param or "http://localhost:6543")
    for db in app.registry._zodb_databases.values():
        db.close()


def _forgot(testapp):
    form = testapp.get("/forgot-password").forms["forgot-form"]
    form["login"] = "ntpc_gov"
    form["email"] = "ntpc@example.invalid"
    form["password"] = form["password_repeat"] = "Brand9NewPass"
    return form.submit("submit")


def test_mailed_links_use_the_configured_url_not_the_host_header(forged, settings):
    testapp, base = forged
    _forgot(testapp)
    messages = outbox(settings)
    assert messages
    for message in messages:
        assert "evil.example" not in message["body"]
        assert f"{base}/confirm?t=" in message["body"]
        assert f"{base}/" in message["body"]  # the footer's portal address


def test_login_and_logout_redirects_ignore_a_forged_host(forged):
    testapp, base = forged
    response = login(testapp, "ntpc_gov", PASSWORD)
    assert response.status_int == 302
    assert response.location.startswith(base + "/"), response.location
    out = testapp.post("/logout", {"csrf_token": csrf_token(testapp)}, status=302)
    assert out.location.startswith(base + "/login"), out.location


def test_a_forbidden_page_redirect_ignores_a_forged_host(forged):
    testapp, base = forged
    response = testapp.get("/account", status=302)
    assert response.location.startswith(base + "/login"), response.location


def test_an_ordinary_host_keeps_its_own_redirects(testapp, world):
    assert login(testapp, world["unit"]).location == "http://localhost/"
    assert captcha_code(testapp)
