"""Fixtures of the filing tests."""
from __future__ import annotations

import pytest

from support import load_corpus, mark_passwords_changed, workbook

corpus = load_corpus()

__all__ = ["corpus"]


@pytest.fixture
def make_workbook():
    return workbook


@pytest.fixture(autouse=True)
def passwords_changed_recently(request):
    """These tests walk the clock through a whole academic year; keep the accounts'
    180-day password gate (tested in tests/accounts) out of their way."""
    mark_passwords_changed(request)
