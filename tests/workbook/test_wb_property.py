"""Random cell values never make the engine raise."""

import datetime as dt
import io
import logging

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from wb_helpers import corpus

from cgs_portal.workbook import VERSIONS, annotate_workbook, validate_workbook
from cgs_portal.workbook import normalise as N
from cgs_portal.workbook.validate import MSG_INTERNAL

values = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
    st.dates(min_value=dt.date(1900, 1, 1)), st.sampled_from(['', ' ', '０', '5 情緒困擾', '3，10',
                                                              '=1+1', '#N/A', 'A123456789']),
)

COLUMNS = [c for v in VERSIONS.values() for s in v.sheets for c in s.columns]


@given(st.lists(values, min_size=1, max_size=20))
@settings(max_examples=300, deadline=None)
def test_parsers_never_raise(raws):
    for i, raw in enumerate(raws):
        col = COLUMNS[i % len(COLUMNS)]
        p = N.parser_for(col)(raw)
        assert p.status in (N.OK, N.NORMALISED, N.MISSING, N.INVALID, N.PRIVACY)
        N.parse_year_month(raw)
        N.as_text(raw)


_BASE = None


def _base():
    global _BASE
    if _BASE is None:
        _BASE = corpus.filled('113', corpus.random_rows('113', 'cases', 3),
                              corpus.random_rows('113', 'services', 3))
    return _BASE


cell_values = st.one_of(st.none(), st.integers(-10**6, 10**6),
                        st.floats(allow_nan=False, allow_infinity=False, width=32),
                        st.text(alphabet=st.characters(blacklist_categories=('Cs', 'Cc')),
                                max_size=30))


@given(edits=st.lists(st.tuples(st.integers(1, 20), st.integers(1, 18), cell_values), max_size=12))
@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
def test_random_workbook_cells_never_raise(edits, caplog):
    from cgs_portal.workbook import FilingContext
    caplog.clear()
    ctx = FilingContext('123456', '測試國中', '國中', 113, 9, 113)
    wb = load_workbook(io.BytesIO(_base()))
    for row, col, value in edits:
        title = VERSIONS['113'].sheets[row % 2].title
        cell = wb[title].cell(row, col)
        if type(cell).__name__ != 'MergedCell':
            cell.value = value
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    with caplog.at_level(logging.ERROR):
        r = validate_workbook(data, ctx)
        assert r.fatal is None or isinstance(r.fatal, str)
        out = annotate_workbook(data, r.problems)
    assert out[:2] == b'PK'
    load_workbook(io.BytesIO(out))
    _assert_no_internal_error(r, caplog)


@given(flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8))
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_corrupted_bytes_never_raise(flips, caplog):
    from cgs_portal.workbook import FilingContext
    caplog.clear()
    data = bytearray(_base())
    for pos, byte in flips:
        data[pos % len(data)] = byte
    ctx = FilingContext('123456', '測試國中', '國中', 113, 9, 113)
    with caplog.at_level(logging.ERROR):
        r = validate_workbook(bytes(data), ctx)
        assert r.fatal is None or isinstance(r.fatal, str)
        out = annotate_workbook(bytes(data), r.problems)
    assert isinstance(out, bytes)
    _assert_no_internal_error(r, caplog)


def _assert_no_internal_error(result, caplog):
    """The engine turns a crash into MSG_INTERNAL and a logged error: neither may happen."""
    assert result.fatal != MSG_INTERNAL
    assert all(p.message != MSG_INTERNAL for p in result.problems)
    assert not [rec for rec in caplog.records if rec.levelno >= logging.ERROR]


def test_zip_version_needed_beyond_zipfile_is_a_corrupt_file(caplog):
    """Found by the property test above: a central directory asking for zip version 6.4
    made ``zipfile`` raise NotImplementedError, which became an internal error."""
    from cgs_portal.workbook import FilingContext
    data = bytearray(_base())
    at = data.find(b'PK\x01\x02')
    data[at + 6] = 64  # "version needed to extract" of the first entry
    ctx = FilingContext('123456', '測試國中', '國中', 113, 9, 113)
    with caplog.at_level(logging.ERROR):
        r = validate_workbook(bytes(data), ctx)
    assert r.fatal and '損毀' in r.fatal
    _assert_no_internal_error(r, caplog)
