"""Fixtures of the filing tests."""
from __future__ import annotations

import pytest

from support import load_corpus, workbook

corpus = load_corpus()

__all__ = ["corpus"]


@pytest.fixture
def make_workbook():
    return workbook


@pytest.fixture(autouse=True)
def passwords_changed_recently(request):
    """These tests walk the clock through a whole academic year; keep the accounts'
    180-day password gate (tested in tests/accounts) out of their way."""
    if "world" not in request.fixturenames:
        return
    import datetime as dt

    request.getfixturevalue("world")
    with request.getfixturevalue("portal")() as root:
        for account in root["accounts"].values():
            account.password_changed_at = dt.datetime(2025, 7, 20, tzinfo=dt.timezone(dt.timedelta(hours=8)))
