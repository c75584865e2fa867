"""Fixtures of the reminders tests."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def passwords_changed_recently(request):
    """These tests move the clock into 2025/2026; keep the 180-day password gate out of the way."""
    if "world" not in request.fixturenames:
        return
    import datetime as dt

    request.getfixturevalue("world")
    with request.getfixturevalue("portal")() as root:
        for account in root["accounts"].values():
            account.password_changed_at = dt.datetime(2025, 7, 20, tzinfo=dt.timezone(dt.timedelta(hours=8)))
