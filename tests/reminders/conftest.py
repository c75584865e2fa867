"""Fixtures of the reminders tests."""
from __future__ import annotations

import pytest

from support import mark_passwords_changed


@pytest.fixture(autouse=True)
def passwords_changed_recently(request):
    """These tests move the clock into 2025/2026; keep the 180-day password gate out of the way."""
    mark_passwords_changed(request)
