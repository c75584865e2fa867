"""A GET never writes to the database: every container exists from an evolve step.

Walks pages as anonymous, unit, county, helpdesk and admin on a fully evolved database and
checks the storage's last transaction id did not move during the walk.
"""
from __future__ import annotations

from urllib.parse import quote

import pytest
import webtest

from support import login

PUBLIC = ["/", "/login", "/logout", "/faq", "/contact", "/documents", "/register",
          "/register?category=國小&q=光明", "/lookup", "/forgot-password", "/change-email",
          "/unit-search?category=國小&q=示範", "/confirm?t=bogus", "/no-such-page"]
MEMBER = ["/", "/account", "/change-password", "/filing", "/records", "/counties/",
          "/counties/65000/", "/counties/65000/013601/", "/templates/113/"]
BACK_OFFICE = ["/account-reset", "/account-reset?q=示範", "/account-reset?unit=013601",
               "/audit-log", "/audit-log?event=login.ok", "/officials", "/amendments"]


def last_transaction(app):
    return app.registry._zodb_databases[""].storage.lastTransaction()


def walk(app, browser, paths):
    before = last_transaction(app)
    for path in paths:
        browser.get(quote(path, safe="/?=&"), status="*")
    return before, last_transaction(app)


def test_anonymous_pages_write_nothing(app, world):
    browser = webtest.TestApp(app)
    browser.get("/")  # a first look at the (already evolved) database
    before, after = walk(app, browser, PUBLIC)
    assert before == after


@pytest.mark.parametrize("role", ["unit", "county", "helpdesk", "admin"])
def test_pages_of_every_role_write_nothing(app, world, role):
    browser = webtest.TestApp(app)
    start = last_transaction(app)
    login(browser, world[role])  # logging in writes (session, audit): the measure sees commits
    assert last_transaction(app) != start
    before, after = walk(app, browser, MEMBER + BACK_OFFICE)
    assert before == after
