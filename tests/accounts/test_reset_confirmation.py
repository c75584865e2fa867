"""忘記密碼's confirmation page: the new password must be typed again before it takes effect,
and the page says when and from where the request came (issue 10, item 3)."""
from __future__ import annotations

from support import PASSWORD, login, mail_link, relative

NEW = "Blue7Sky9Lake"


def _request_new_password(testapp, settings, password=NEW):
    form = testapp.get("/forgot-password").forms["forgot-form"]
    form["login"] = "013601_a001"
    form["email"] = "wang@example.invalid"
    form["password"] = form["password_repeat"] = password
    form.submit("submit")
    return relative(mail_link(settings, "wang@example.invalid"))


def test_the_page_asks_for_the_password_and_says_when_and_from_where(testapp, world, settings):
    link = _request_new_password(testapp, settings)
    page = testapp.get(link)
    assert "password" in page.forms["confirm-form"].fields
    assert "192.0.2.10" in page.text  # the requester's address (testapp's REMOTE_ADDR)
    assert "113/10/03 09:00" in page.text  # when (民國, the pinned clock)


def test_pressing_confirm_without_the_password_changes_nothing(testapp, world, settings):
    link = _request_new_password(testapp, settings)
    form = testapp.get(link).forms["confirm-form"]
    response = form.submit("confirm")
    assert response.status_int == 200 and "新密碼未生效" in response.text
    assert login(testapp, "013601_a001", PASSWORD).status_int == 302


def test_a_different_password_changes_nothing_and_the_right_one_works(testapp, world, settings):
    attacker_link = _request_new_password(testapp, settings, password="Evil7Chosen9")
    form = testapp.get(attacker_link).forms["confirm-form"]
    form["password"] = "Other8Guess1"  # the owner does not know the attacker's password
    refused = form.submit("confirm")
    assert refused.status_int == 200 and "新密碼未生效" in refused.text
    assert login(testapp, "013601_a001", PASSWORD).status_int == 302
    form = testapp.get(attacker_link).forms["confirm-form"]
    form["password"] = "Evil7Chosen9"
    assert form.submit("confirm").status_int == 302
    assert login(testapp, "013601_a001", "Evil7Chosen9").status_int == 302
