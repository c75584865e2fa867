"""Issue 10, items 2 (start-up half), 8, 10, 17, 28: settings, the body cap, HTTP headers."""
from __future__ import annotations

import io
import secrets

import pytest
import webtest
from webob import Request

from cgs_portal import main
from support import login, write_ini

STRONG = secrets.token_urlsafe(32)


def close(app):
    for db in getattr(app.registry, "_zodb_databases", {}).values():
        db.close()


# --- item 8 and item 2's start-up half: production refuses weak secrets and no public URL ---

def production(settings, **changes):
    return {**settings, "cgs.production": "true", "cgs.session_secret": STRONG,
            "cgs.public_url": "https://cgs.example.edu.tw", **changes}


@pytest.mark.parametrize("secret", [
    " " * 32, "a" * 32, "ab" * 20, "0123456789" * 4,
    "development-only-secret-change-me-0123456789abcdef",
    "test-secret-" + "x" * 40,
])
def test_production_refuses_a_weak_session_secret(settings, secret):
    with pytest.raises(ValueError, match="session_secret"):
        main({}, **production(settings, **{"cgs.session_secret": secret}))


@pytest.mark.parametrize("make", [secrets.token_urlsafe, secrets.token_hex], ids=["urlsafe", "hex"])
def test_production_accepts_a_random_token(settings, make):
    close(main({}, **production(settings, **{"cgs.session_secret": make(32)})))


@pytest.mark.parametrize("url", ["", "cgs.example.edu.tw", "ftp://cgs.example.edu.tw",
                                 "https://", "https://cgs.example.edu.tw/?next=x"])
def test_production_refuses_to_start_without_a_public_url(settings, url):
    with pytest.raises(ValueError, match="public_url"):
        main({}, **production(settings, **{"cgs.public_url": url}))


def test_the_environment_supplies_the_production_settings(monkeypatch, settings):
    monkeypatch.setenv("CGS_SESSION_SECRET", STRONG)
    monkeypatch.setenv("CGS_PUBLIC_URL", "https://cgs.example.edu.tw")
    base = {k: v for k, v in settings.items() if k != "cgs.session_secret"}
    close(main({}, **{**base, "cgs.production": "true", "cgs.session_secret": ""}))


def test_production_ini_declares_production():
    from configparser import ConfigParser
    from pathlib import Path

    ini = ConfigParser(interpolation=None)
    ini.read(Path(__file__).resolve().parents[1] / "production.ini")
    assert ini["app:main"]["cgs.production"] == "true"
    assert "cgs.public_url" in ini["app:main"]


# --- item 10: the request body is capped before it is read ---

@pytest.fixture
def capped(settings):
    app = main({}, **{**settings, "cgs.max_body_bytes": "1000"})
    yield app
    close(app)


class Unreadable(io.RawIOBase):
    def read(self, *args):
        raise AssertionError("the body was read")


def test_a_declared_length_above_the_cap_is_refused_unread(capped):
    request = Request.blank("/login", method="POST", environ={
        "CONTENT_LENGTH": str(200 * 1024 * 1024), "wsgi.input": Unreadable(),
        "CONTENT_TYPE": "application/x-www-form-urlencoded"})
    response = request.get_response(capped)
    assert response.status_int == 413
    assert "送出的資料太大" in response.text and 'lang="zh-Hant"' in response.text
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_a_chunked_body_is_read_at_most_cap_plus_one(capped):
    class Counting(io.BytesIO):
        asked = 0

        def read(self, size=-1):
            Counting.asked = size
            return super().read(size)

    body = Counting(b"x" * 5000)
    request = Request.blank("/login", method="POST", environ={
        "HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": body,
        "CONTENT_TYPE": "application/x-www-form-urlencoded"})
    request.environ.pop("CONTENT_LENGTH", None)
    assert request.get_response(capped).status_int == 413
    assert Counting.asked == 1001


def test_a_small_chunked_body_still_reaches_the_portal(capped):
    request = Request.blank("/login", method="POST", environ={
        "HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(b"login=x"),
        "CONTENT_TYPE": "application/x-www-form-urlencoded"})
    request.environ.pop("CONTENT_LENGTH", None)
    assert request.get_response(capped).status_int == 400  # the CSRF check, not the cap


def test_webtest_post_above_the_cap_gets_413(capped):
    testapp = webtest.TestApp(capped)
    response = testapp.post("/login", {"login": "x" * 5000}, status=413)
    assert "1000" not in response.text or "MB" in response.text
    assert testapp.post("/login", {"login": "x"}, status=400)  # small bodies go on (CSRF)


def test_default_cap_is_a_little_above_the_upload_limit(app):
    from cgs_portal.reporting.intake import MAX_BYTES
    from cgs_portal.site.limits import DEFAULT_MAX_BODY_BYTES

    assert MAX_BYTES + 64 * 1024 < app.max_bytes == DEFAULT_MAX_BODY_BYTES <= 2 * MAX_BYTES


def test_both_ini_files_cap_waitress_and_the_app():
    from configparser import ConfigParser
    from pathlib import Path

    for name in ("development.ini", "production.ini"):
        ini = ConfigParser(interpolation=None)
        ini.read(Path(__file__).resolve().parents[1] / name)
        server = int(ini["server:main"]["max_request_body_size"])
        app = int(ini["app:main"]["cgs.max_body_bytes"])
        assert app < server <= 32 * 1024 * 1024, name


# --- item 17: HSTS in production, no-store on every page, headers on error pages ---

def test_hsts_only_when_served_over_https(settings):
    plain = webtest.TestApp(main({}, **settings))
    assert "Strict-Transport-Security" not in plain.get("/login").headers
    close(plain.app)
    secure = webtest.TestApp(main({}, **{**settings, "cgs.secure_cookies": "true"}))
    hsts = secure.get("/login").headers["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts
    close(secure.app)


@pytest.mark.parametrize("path", ["/login", "/register", "/faq", "/contact", "/confirm?t=x",
                                  "/register?category=%E9%AB%98%E4%B8%AD%E8%81%B7&q=%E8%8F%AF%E5%83%91"])
def test_anonymous_pages_are_not_cached(testapp, world, path):
    response = testapp.get(path, status="*")
    assert response.headers["Cache-Control"] == "no-store", path


def test_static_assets_keep_their_cache(testapp):
    response = testapp.get("/static/portal.css")
    assert "max-age=3600" in response.headers["Cache-Control"]
    assert "no-store" not in response.headers["Cache-Control"]


def error_responses(testapp):
    yield testapp.get("/no-such-page", status=404)
    yield testapp.post("/login", {"login": "x"}, status=400)
    login(testapp, "013601_a001")
    yield testapp.get("/counties/63000/333601/current", status=(403, 404))
    yield testapp.post("/login", {"login": "x" * (13 * 1024 * 1024)}, status=413)


def test_error_pages_carry_the_security_headers(settings):
    from support import add_account, add_unit, open_root

    app = main({}, **{**settings, "cgs.secure_cookies": "true"})
    with open_root(app) as root:
        add_unit(root, "013601")
        add_unit(root, "333601", "臺北市立示範中正國民小學", "國小", "63000")
        add_account(root, "013601_a001", unit_code="013601", personal_id="a001",
                    name="王老師", email="wang@example.invalid")
    testapp = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.10",
                                                  "wsgi.url_scheme": "https",
                                                  "HTTP_HOST": "localhost:443"})
    try:
        for response in error_responses(testapp):
            headers = response.headers
            assert "default-src 'self'" in headers["Content-Security-Policy"], response.status
            assert headers["X-Content-Type-Options"] == "nosniff", response.status
            assert headers["Cache-Control"] == "no-store", response.status
            assert "max-age" in headers["Strict-Transport-Security"], response.status
    finally:
        close(app)


# --- item 28: `make run` names the address development.ini listens on ---

def test_demo_init_prints_the_listen_address(tmp_path, capsys):
    from cgs_portal.scripts import init

    path = write_ini(tmp_path, "dev.ini", demo=True, clock=None, extra="""
        [server:main]
        use = egg:waitress#main
        listen = 0.0.0.0:8765 [::]:8765
    """)
    init.main([path])
    out = capsys.readouterr().out
    assert "Open http://localhost:8765/" in out and "http://localhost:8765/dev-outbox" in out
    assert "6543" not in out
