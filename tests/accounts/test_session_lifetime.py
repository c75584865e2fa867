"""A session ends 12 hours after its login, whatever the activity (issue 10, item 6).

The lifetime runs on the real clock, like Pyramid's idle timeout: the tests shift ``time.time``
(and raise the idle timeout so that only the absolute lifetime can end the session)."""
from __future__ import annotations

import time

import pytest
import webtest

from cgs_portal import main
from support import add_account, add_unit, login, open_root


@pytest.fixture
def active_app(settings):
    """An app whose idle timeout is two days, with one unit account."""
    settings = {**settings, "cgs.session_idle_seconds": str(2 * 86400)}

    def make(**changes):
        wsgi = main({}, **{**settings, **changes})
        with open_root(wsgi) as root:
            add_unit(root, "013601", "新北市立示範光明國民小學", "國小", "65000")
            add_account(root, "013601_a001", unit_code="013601", personal_id="a001", name="王老師",
                        email="wang@example.invalid", phone="02-12345678")
        made.append(wsgi)
        return wsgi

    made = []
    yield make
    for wsgi in made:
        for db in wsgi.registry._zodb_databases.values():
            db.close()


def _shift(monkeypatch, seconds):
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + seconds)


def test_a_session_older_than_the_maximum_is_ended(active_app, monkeypatch):
    browser = webtest.TestApp(active_app())
    login(browser, "013601_a001")
    _shift(monkeypatch, 11 * 3600 + 50 * 60)
    assert browser.get("/account").status_int == 200  # still within the 12 hours
    _shift(monkeypatch, 11 * 60)
    page = browser.get("/account", status=302)
    assert "/login" in page.location


def test_the_maximum_is_a_setting(active_app, monkeypatch):
    browser = webtest.TestApp(active_app(**{"cgs.session_max_seconds": "3600"}))
    login(browser, "013601_a001")
    _shift(monkeypatch, 61 * 60)
    assert "/login" in browser.get("/account", status=302).location


def test_ending_an_old_session_writes_nothing_on_get(active_app, monkeypatch):
    app = active_app()
    browser = webtest.TestApp(app)
    login(browser, "013601_a001")
    _shift(monkeypatch, 13 * 3600)
    db = app.registry._zodb_databases[""]
    before = db.lastTransaction()
    browser.get("/account", status=302)
    assert db.lastTransaction() == before
