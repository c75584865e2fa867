"""The password rules, one test per rule, and the tokens' signing/expiry/single use."""
from __future__ import annotations

import datetime as dt

import pytest

from cgs_portal.accounts import tokens
from cgs_portal.accounts.models import Account
from cgs_portal.accounts.passwords import hash_password, password_problems

GOOD = "Blue7Sky9Lake"


def only(problems, fragment):
    return len(problems) == 1 and fragment in problems[0]


def test_a_good_password_passes():
    assert password_problems(GOOD, unit_code="013601", personal_id="a001") == []


@pytest.mark.parametrize("password", ["Ab1defg", "Ab1" + "x" * 18])
def test_length_8_to_20(password):
    assert only(password_problems(password), "8 至 20 碼")


def test_length_bounds_are_inclusive():
    assert password_problems("Ab1defgh") == []
    assert password_problems("Ab1" + "x" * 17) == []


def test_half_width_only():
    assert any("半形" in p for p in password_problems("Ｂlue7Sky9Lake"))
    assert any("半形" in p for p in password_problems("Blue7 Sky9Lake"))


def test_needs_an_upper_case_letter():
    assert only(password_problems("blue7sky9lake"), "大寫")


def test_needs_a_lower_case_letter():
    assert only(password_problems("BLUE7SKY9LAKE"), "小寫")


def test_needs_a_digit():
    assert only(password_problems("BlueSkyLakeX"), "數字")


def test_not_the_unit_code():
    assert only(password_problems("Xy013601ab", unit_code="013601"), "單位代碼")


def test_not_the_personal_id():
    assert only(password_problems("Sea1chen01Z", personal_id="chen01"), "個人帳號")


def test_not_the_login_of_an_official():
    assert only(password_problems("Ntpc_chen9X", login="ntpc_chen"), "帳號")


@pytest.mark.parametrize("password", ["A123456789x", "xyB234567890", "zF812345678Q"])
def test_nothing_shaped_like_a_national_id(password):
    assert any("身分證" in p for p in password_problems(password))


@pytest.mark.parametrize("password", ["Password1", "Qwerty123", "Counsel123"])
def test_not_a_common_password(password):
    assert any("常見" in p for p in password_problems(password))


def test_not_one_of_the_last_three():
    hashes = [hash_password(p) for p in ("Old1Pass1x", "Old2Pass2x", "Old3Pass3x", "Old4Pass4x")]
    assert only(password_problems("Old4Pass4x", history=hashes), "最近 3 次")
    assert only(password_problems("Old2Pass2x", history=hashes), "最近 3 次")
    assert password_problems("Old1Pass1x", history=hashes) == []  # four passwords ago


def test_every_broken_rule_is_listed():
    problems = password_problems("a123456789", unit_code="123456")
    assert len(problems) >= 4  # upper case, unit code, national id, common


def test_account_history_includes_the_current_password():
    now = dt.datetime(2024, 10, 3, tzinfo=dt.UTC)
    account = Account("013601_a001", "unit", unit_code="013601", personal_id="a001")
    for password in ("First1Pass", "Second2Pass", "Third3Pass", "Fourth4Pass"):
        account.set_password(password, now)
    assert any("最近 3 次" in p for p in account.password_problems("Fourth4Pass"))
    assert any("最近 3 次" in p for p in account.password_problems("Second2Pass"))
    assert account.password_problems("First1Pass") == []


class Root:
    """A root as the accounts evolve step leaves it (only what tokens need)."""

    def __init__(self):
        from cgs_portal.accounts.evolve import step_4_account_tokens

        step_4_account_tokens(self, None)


def test_tokens_signed_single_use_expiring_and_superseded():
    root = Root()
    now = dt.datetime(2024, 10, 3, 9, 0, tzinfo=dt.UTC)
    secret = "s" * 40
    signed = tokens.issue(root, secret, tokens.ACTIVATE, "x_abcd", now)
    token, problem = tokens.check(root, secret, signed, now)
    assert problem is None and token.login == "x_abcd"
    assert tokens.check(root, "t" * 40, signed, now)[1] == tokens.INVALID  # other key
    assert tokens.check(root, secret, signed + "x", now)[1] == tokens.INVALID
    assert tokens.check(root, secret, signed, now, purpose=tokens.PASSWORD)[1] == tokens.INVALID
    assert tokens.check(root, secret, signed, now + dt.timedelta(hours=24))[1] == tokens.EXPIRED
    assert tokens.check(root, secret, signed, now + dt.timedelta(hours=23, minutes=59))[1] is None
    tokens.consume(token, now)
    assert tokens.check(root, secret, signed, now)[1] == tokens.USED
    first = tokens.issue(root, secret, tokens.EMAIL, "x_abcd", now, payload="a@example.invalid")
    tokens.issue(root, secret, tokens.EMAIL, "x_abcd", now, payload="b@example.invalid")
    assert tokens.check(root, secret, first, now)[1] == tokens.SUPERSEDED
