"""Fixtures of the 填報幫手 tests."""
from __future__ import annotations

import pytest

from support import mark_passwords_changed


@pytest.fixture(autouse=True)
def passwords_changed_recently(request):
    """These tests move the clock by months; keep the 180-day password gate out of the way."""
    mark_passwords_changed(request)
