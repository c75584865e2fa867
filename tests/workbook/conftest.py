import importlib.util
import sys
from pathlib import Path

import pytest

from cgs_portal.workbook import FilingContext

_PATH = Path(__file__).resolve().parents[1] / 'data' / 'make_corpus.py'


def _load_corpus():
    if 'make_corpus' in sys.modules:
        return sys.modules['make_corpus']
    spec = importlib.util.spec_from_file_location('make_corpus', _PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules['make_corpus'] = module
    spec.loader.exec_module(module)
    return module


corpus = _load_corpus()


@pytest.fixture
def mc():
    return corpus


@pytest.fixture
def ctx():
    return FilingContext('123456', '測試國中', '國中', 113, 9, 113)


@pytest.fixture
def ctx111():
    return FilingContext('123456', '測試國中', '國中', 112, 9, 112)


def cells(result, severity=None):
    """{cell: message} of a result's problems (optionally one severity)."""
    return {p.cell: p.message for p in result.problems
            if severity is None or p.severity == severity}
