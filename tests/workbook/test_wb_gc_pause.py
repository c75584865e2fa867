"""The garbage collector pause of validation is safe with several requests at a time.

A waitress process validates up to 4 uploads at once; the collector is one switch for the
whole process. Two overlapping validations used to leave it off for good, and the process
then leaked every request's reference cycles and their upload temp files (bench/peak.py:
select() failed at 1,024 file descriptors and the process died).
"""
import gc
import threading

import pytest
from wb_helpers import corpus

from cgs_portal.workbook import validate_workbook
from cgs_portal.workbook.validate import gc_paused


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_overlapping_pauses_turn_the_collector_back_on_when_the_last_ends(collector_on):
    first, second = gc_paused(), gc_paused()
    first.__enter__()
    assert not gc.isenabled()
    second.__enter__()          # starts while the first has the collector off
    first.__exit__(None, None, None)
    assert not gc.isenabled(), "the second validation is still running"
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_pause_that_ends_first_does_not_leave_the_collector_off(collector_on):
    first, second = gc_paused(), gc_paused()
    first.__enter__()
    second.__enter__()
    second.__exit__(None, None, None)
    first.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    was = gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            with gc_paused():
                pass
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()


def test_the_pause_ends_when_validation_fails(collector_on):
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_concurrent_validations_leave_the_collector_on(collector_on, ctx):
    data = [corpus.filled("113", unit_code="123456", unit_name="測試國中", roc_year=113, month=9)
            for _ in range(2)] + [b"not a workbook", b""]
    failures = []

    def work(blob):
        for _ in range(30):
            result = validate_workbook(blob, ctx)
            if blob.startswith(b"PK") and result.fatal is not None:
                failures.append(result.fatal)

    threads = [threading.Thread(target=work, args=(blob,)) for blob in data * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert gc.isenabled()
