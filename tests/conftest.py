"""Shared fixtures: a fresh app per test on a throw-away FileStorage with blobs.

pyramid_tm runs normally (a POST then a GET sees the write), unlike the
starter's doomed-transaction fixture.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import re

import pytest
import transaction
import webtest

from cgs_portal import main
from cgs_portal.accounts.models import ACTIVE, Account
from cgs_portal.accounts.passwords import hash_password
from cgs_portal.evolve import APP_KEY

DEFAULT_NOW = "2024-10-03T09:00:00"  # 113學年度上學期, inside September's filing window
PASSWORD = "Counsel2024ok"


@pytest.fixture
def settings(tmp_path):
    return {
        "zodbconn.uri": (
            f"file://{tmp_path}/Data.fs?blobstorage_dir={tmp_path}/blobs&blobstorage_layout=bushy"
        ),
        "cgs.session_secret": "test-secret-" + "x" * 40,
        "cgs.testing": "true",
        "cgs.clock.now": DEFAULT_NOW,
        "mail.debug_dir": str(tmp_path / "mail"),
        "mail.default_sender": "cgs-portal@example.invalid",
        "pyramid.reload_templates": "false",
    }


@pytest.fixture
def app(settings):
    wsgi = main({}, **settings)
    yield wsgi
    for db in getattr(wsgi.registry, "_zodb_databases", {}).values():
        db.close()


@pytest.fixture
def registry(app):
    return app.registry


@pytest.fixture
def clock(app):
    return app.registry.cgs_clock


@contextlib.contextmanager
def open_root(app):
    """The portal root in a transaction of its own; committed on success."""
    db = app.registry._zodb_databases[""]
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    conn = db.open(transaction_manager=tm)
    try:
        zroot = conn.root()
        if APP_KEY not in zroot:
            from cgs_portal.evolve import bootstrap

            bootstrap(zroot, app.registry)
        yield zroot[APP_KEY]
        tm.commit()
    except BaseException:
        tm.abort()
        raise
    finally:
        conn.close()


@pytest.fixture
def portal(app):
    """``with portal() as root:`` — read or change the database outside requests."""
    return lambda: open_root(app)


@pytest.fixture
def testapp(app):
    return webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.10"})


def add_unit(root, code="013601", name="新北市立示範國民小學", level="國小", county="65000", **kw):
    from cgs_portal.resources import Unit

    county_folder = root["counties"][county]
    if code in county_folder:
        return county_folder[code]
    kw.setdefault("opened_on", dt.date(2022, 8, 1))
    return county_folder.add(code, Unit(code, name, level, county, **kw))


def add_account(root, login, role="unit", password=PASSWORD, status=ACTIVE, **kw):
    account = Account(login, role, status=status, **kw)
    account.password_hash = hash_password(password)
    account.password_changed_at = dt.datetime(2024, 9, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    root["accounts"].add_account(account)
    return account


@pytest.fixture
def world(portal):
    """Two counties, two units each, and one account per role."""
    with portal() as root:
        add_unit(root, "013601", "新北市立示範光明國民小學", "國小", "65000")
        add_unit(root, "013501", "新北市立示範仁愛國民中學", "國中", "65000")
        add_unit(root, "333601", "臺北市立示範中正國民小學", "國小", "63000")
        add_unit(root, "01C001", "新北市學生輔導諮商中心（示範）", "輔諮中心", "65000")
        add_account(root, "013601_a001", unit_code="013601", personal_id="a001",
                    name="王老師", email="wang@example.invalid", phone="02-12345678")
        add_account(root, "333601_b001", unit_code="333601", personal_id="b001",
                    name="李老師", email="li@example.invalid")
        add_account(root, "ntpc_gov", role="county", county_code="65000", name="新北承辦",
                    email="ntpc@example.invalid")
        add_account(root, "helpdesk1", role="helpdesk", name="客服", email="hd@example.invalid")
        add_account(root, "admin1", role="admin", name="管理者", email="admin@example.invalid")
    return {
        "unit": "013601_a001",
        "other_unit": "333601_b001",
        "county": "ntpc_gov",
        "helpdesk": "helpdesk1",
        "admin": "admin1",
    }


def captcha_code(testapp) -> str:
    testapp.get("/captcha.png")
    return testapp.get("/test-captcha-code").json["code"]


def login(testapp, login_id, password=PASSWORD, *, captcha=None, status=None):
    """Log in through the real form and captcha; returns the response."""
    page = testapp.get("/login")
    form = page.forms["login-form"]
    form["login"] = login_id
    form["password"] = password
    form["captcha"] = captcha if captcha is not None else captcha_code(testapp)
    response = form.submit("submit", status=status)
    return response


def csrf_token(testapp) -> str:
    page = testapp.get("/logout")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def outbox(settings):
    from cgs_portal.mail import read_outbox

    return read_outbox(settings["mail.debug_dir"])
