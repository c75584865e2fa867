"""Every text field is bounded and refuses control and bidi characters; a huge anonymous POST
stores nothing big; the audit log pages its entries (issue 10, items 11 and 12)."""
from __future__ import annotations

import datetime as dt
import os

import colander
import pytest

from support import captcha_code, login

BAD = {"NUL": "王\x00老師", "CRLF": "王老師\r\nBcc: x@example.invalid", "RLO": "王\u202e師老",
       "LRI": "王\u2066老師", "LRM": "王\u200e老師", "C1": "王\x85老師", "ESC": "王\x1b[31m老師"}


def _all_schemas():
    from cgs_portal.accounts import login as login_module
    from cgs_portal.accounts import schemas

    found = [login_module.LoginSchema]
    for name in dir(schemas):
        value = getattr(schemas, name)
        if isinstance(value, type) and issubclass(value, colander.Schema) and name.endswith("Schema"):
            found.append(value)
    from cgs_portal.reporting.schemas import AmendmentDecision, AmendmentRequest

    return found + [AmendmentRequest, AmendmentDecision]


NOT_FREE_TEXT = {"csrf_token", "report", "decision"}  # token; AmendmentDecision's hidden choices


def _text_nodes(schema):
    for node in schema().children:
        if isinstance(node.typ, colander.String) and node.name not in NOT_FREE_TEXT:
            yield node


@pytest.mark.parametrize("schema", _all_schemas(), ids=lambda s: s.__name__)
def test_every_text_field_has_a_maximum_and_refuses_controls(schema):
    for node in _text_nodes(schema):
        assert node.validator is not None, f"{schema.__name__}.{node.name} has no validator"
        multiline = node.name in ("reason", "note")  # text areas: line breaks are allowed
        for label, value in {**BAD, "huge": "a" * 100_000}.items():
            if multiline and label == "CRLF":
                continue
            with pytest.raises(colander.Invalid) as refused:
                node.validator(node, value)
            text = str(refused.value.asdict())
            assert label == "huge" or "控制字元" in text, (schema.__name__, node.name, label, text)


def test_the_register_form_refuses_a_bidi_override_beside_the_field(testapp, world):
    page = testapp.get("/register", params={"category": "國小", "q": "光明"})
    form = page.forms["register-form"]
    form["unit_code"] = "013601"
    form["personal_id"] = "z901"
    form["password"] = form["password_repeat"] = "Tree4Moon8Sun"
    form["name"] = BAD["RLO"]
    form["phone"] = "02-12345678"
    form["email"] = "z@example.invalid"
    answer = form.submit("submit")
    assert answer.status_int == 200 and "控制字元" in answer.text


def test_the_account_page_refuses_a_nul_in_the_name(testapp, world, portal):
    login(testapp, world["unit"])
    form = testapp.get("/account").forms["account-form"]
    form["name"] = "王\x00老師"
    assert "控制字元" in form.submit("submit").text
    with portal() as root:
        assert root["accounts"][world["unit"]].name == "王老師"


def test_a_five_megabyte_login_stores_nothing_big(app, testapp, world, settings):
    from support import csrf_token

    token = csrf_token(testapp)
    code = captcha_code(testapp)
    data_fs = settings["zodbconn.uri"].split("file://")[1].split("?")[0]
    before = os.path.getsize(data_fs)
    huge = "a" * (5 * 1024 * 1024)
    response = testapp.post("/login", {"csrf_token": token, "login": huge, "password": "x",
                                       "captcha": code, "submit": "1"})
    assert response.status_int == 200 and "帳號太長" in response.text
    assert os.path.getsize(data_fs) - before < 50_000


def test_throttle_keys_are_small_whatever_the_login():
    from pyramid import testing

    from cgs_portal.accounts.throttle import password_keys

    config = testing.setUp(settings={})
    try:
        request = testing.DummyRequest()
        request.registry = config.registry
        request.client_addr = "192.0.2.1"
        keys = password_keys(request, "a" * 5_000_000)
        assert all(len(k) <= 80 for k in keys)
        assert password_keys(request, "013601_A001 ")[0] == "login:013601_a001"
    finally:
        testing.tearDown()


def test_the_audit_log_pages_its_entries(testapp, world, portal):
    from cgs_portal.accounts.audit import AuditEntry

    with portal() as root:
        start = dt.datetime(2024, 10, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
        for i in range(250):
            root.audit_log[i + 1] = AuditEntry(start + dt.timedelta(minutes=i), "logout", f"u{i:03d}",
                                               "192.0.2.1")
    login(testapp, world["admin"])
    first = testapp.get("/audit-log")
    rows = first.html.select("#audit-table tbody tr")
    assert len(rows) == 100
    assert "下一頁" in first.text and "page=2" in first.text
    last = testapp.get("/audit-log?page=3")
    assert 50 <= len(last.html.select("#audit-table tbody tr")) <= 52  # + the admin's own login
    assert "上一頁" in last.text
    assert testapp.get("/audit-log?page=abc").status_int == 200
