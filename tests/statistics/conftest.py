"""Fixtures of the statistics tests."""
from __future__ import annotations

import pytest
from stats_helpers import file_rows


@pytest.fixture
def filed(portal):
    def do(*args, **kw):
        with portal() as root:
            file_rows(root, *args, **kw)
    return do
