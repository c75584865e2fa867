"""Fixtures of the filing tests."""
from __future__ import annotations

import pytest
from workbooks import corpus, workbook

__all__ = ["corpus"]


@pytest.fixture
def make_workbook():
    return workbook
