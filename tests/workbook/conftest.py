import sys
from pathlib import Path

import pytest

# Make wb_helpers importable whatever pytest's import mode is.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from wb_helpers import corpus  # noqa: E402

from cgs_portal.workbook import FilingContext  # noqa: E402


@pytest.fixture
def mc():
    return corpus


@pytest.fixture
def ctx():
    return FilingContext('123456', '測試國中', '國中', 113, 9, 113)


@pytest.fixture
def ctx111():
    return FilingContext('123456', '測試國中', '國中', 112, 9, 112)
