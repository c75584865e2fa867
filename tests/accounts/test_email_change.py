"""帳號管理's e-mail change needs the current password and tells the old address, with a
cancel link (issue 10, item 4)."""
from __future__ import annotations

import webtest

from support import PASSWORD, login, mail_link, outbox, relative

NEW_EMAIL = "thief@example.invalid"


def _change(testapp, current=None):
    form = testapp.get("/account").forms["account-form"]
    form["email"] = NEW_EMAIL
    if current is not None:
        form["current"] = current
    return form.submit("submit")


def test_the_email_change_needs_the_current_password(testapp, world, settings, portal):
    login(testapp, world["unit"])
    assert "目前密碼" in _change(testapp).text
    assert "目前密碼不正確" in _change(testapp, "Wrong1Pass").text
    with portal() as root:
        assert root["accounts"][world["unit"]].awaiting_email is None
    assert not [m for m in outbox(settings) if NEW_EMAIL in m["to"]]
    assert _change(testapp, PASSWORD).status_int == 302
    with portal() as root:
        assert root["accounts"][world["unit"]].awaiting_email == NEW_EMAIL


def test_contact_fields_change_without_the_password(testapp, world, portal):
    login(testapp, world["unit"])
    form = testapp.get("/account").forms["account-form"]
    form["name"] = "王大明"
    assert form.submit("submit").status_int == 302
    with portal() as root:
        assert root["accounts"][world["unit"]].name == "王大明"


def test_the_old_address_is_told_and_can_cancel(app, testapp, world, settings, portal):
    thief = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "198.51.100.90"})
    login(thief, world["unit"])
    _change(thief, PASSWORD)
    notice = [m for m in outbox(settings) if "wang@example.invalid" in m["to"]]
    assert notice and NEW_EMAIL in notice[0]["body"]
    cancel = relative(mail_link(settings, "wang@example.invalid"))
    page = testapp.get(cancel)
    assert NEW_EMAIL in page.text and "取消" in page.text
    page.forms["confirm-form"].submit("confirm", status=302)
    with portal() as root:
        account = root["accounts"][world["unit"]]
        assert account.awaiting_email is None and account.email == "wang@example.invalid"
    # the thief's session ended and the new address's link no longer works
    assert thief.get("/account").status_int == 302
    confirmation = relative(mail_link(settings, NEW_EMAIL))
    assert "confirm-form" not in testapp.get(confirmation).text
    assert login(testapp, world["unit"]).status_int == 302
