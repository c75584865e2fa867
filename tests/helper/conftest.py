"""Fixtures of the 填報幫手 tests."""
from __future__ import annotations

import datetime as dt

import pytest
from helpertools import TAIPEI


@pytest.fixture(autouse=True)
def passwords_changed_recently(request):
    """These tests move the clock by months; keep the 180-day password gate out of the way."""
    if "world" not in request.fixturenames:
        return
    request.getfixturevalue("world")
    with request.getfixturevalue("portal")() as root:
        for account in root["accounts"].values():
            account.password_changed_at = dt.datetime(2025, 7, 20, tzinfo=TAIPEI)
