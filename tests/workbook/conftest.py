import pytest
from wb_helpers import corpus

from cgs_portal.workbook import FilingContext


@pytest.fixture
def mc():
    return corpus


@pytest.fixture
def ctx():
    return FilingContext('123456', '測試國中', '國中', 113, 9, 113)


@pytest.fixture
def ctx111():
    return FilingContext('123456', '測試國中', '國中', 112, 9, 112)
