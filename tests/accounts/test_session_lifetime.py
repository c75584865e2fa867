"""A session ends 12 hours after its login, whatever the activity (issue 10, item 6)."""
from __future__ import annotations

import datetime as dt

import pytest
import webtest

from support import login


@pytest.fixture
def world_settings_app(settings):
    from cgs_portal import main
    from support import add_account, add_unit, open_root

    settings["cgs.session_max_seconds"] = "3600"
    wsgi = main({}, **settings)
    with open_root(wsgi) as root:
        add_unit(root, "013601", "新北市立示範光明國民小學", "國小", "65000")
        add_account(root, "013601_a001", unit_code="013601", personal_id="a001", name="王老師",
                    email="wang@example.invalid", phone="02-12345678")
    yield webtest.TestApp(wsgi), wsgi.registry.cgs_clock
    for db in wsgi.registry._zodb_databases.values():
        db.close()


def test_a_session_older_than_the_maximum_is_ended(app, world, clock):
    browser = webtest.TestApp(app)
    login(browser, world["unit"])
    clock.advance(dt.timedelta(hours=11, minutes=50))
    assert browser.get("/account").status_int == 200  # still within the 12 hours
    clock.advance(dt.timedelta(minutes=11))
    page = browser.get("/account", status=302)
    assert "/login" in page.location


def test_the_maximum_is_a_setting(settings, world_settings_app):
    browser, clock = world_settings_app
    login(browser, "013601_a001")
    clock.advance(dt.timedelta(minutes=61))
    assert "/login" in browser.get("/account", status=302).location


def test_ending_an_old_session_writes_nothing_on_get(app, world, clock, portal):
    browser = webtest.TestApp(app)
    login(browser, world["unit"])
    clock.advance(dt.timedelta(hours=13))
    db = app.registry._zodb_databases[""]
    before = db.lastTransaction()
    browser.get("/account", status=302)
    assert db.lastTransaction() == before
