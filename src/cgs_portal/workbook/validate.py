"""Validation of an uploaded monthly workbook: the public entry point.

The steps live apart: :mod:`.structure` (bytes, sheets, version, headers),
:mod:`.sheet_checks` (each sheet, row by row), :mod:`.cross_checks` (across sheets and
months, the summary); the value objects are in :mod:`.results`.
"""

from __future__ import annotations

import gc
import logging
import threading
from contextlib import contextmanager

from .cross_checks import check_across_sheets, compare_with_previous
from .reader import FileRefused, open_book
from .results import (
    MAX_PROBLEMS,
    MSG_INTERNAL,
    Fatal,
    FilingContext,
    Problem,
    ValidationResult,
    fatal_result,
)
from .sheet_checks import SheetChecks
from .structure import load_bytes, match_sheet, read_sheets

log = logging.getLogger(__name__)

__all__ = [
    'MAX_PROBLEMS', 'MSG_INTERNAL', 'FilingContext', 'Problem', 'ValidationResult',
    'compare_with_previous', 'match_sheet', 'validate_workbook',
]


_gc_lock = threading.Lock()
_gc_pauses = 0          # validations running with the collector paused
_gc_resume = False      # whether the first of them found it enabled


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while a workbook is checked, safely across threads.

    Tens of thousands of small, acyclic objects: collecting them mid-way only costs (a
    50,000-row workbook: 0.86 s paused, 1.14 s not). The collector is one switch for the
    whole process and waitress runs 4 requests at a time, so the pauses are counted: the
    first validation to start turns it off, the last to end turns it back on (if it was on).
    Without the count, two overlapping validations left it off for good (one saw it already
    off and never turned it back on): the process then leaked every request's reference
    cycles — and the open temporary files of their uploads, until select() failed at 1,024
    file descriptors and the waitress process died (bench/peak.py, 1,000 units)."""
    global _gc_pauses, _gc_resume
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_resume = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_resume:
                gc.enable()


def validate_workbook(data, ctx: FilingContext) -> ValidationResult:
    """Validate one uploaded workbook for one filing; never raises."""
    try:
        raw = load_bytes(data, ctx.max_bytes)
        with gc_paused():
            return _validate(raw, ctx)
    except Fatal as fatal:
        return fatal.result()
    except FileRefused as refused:
        return fatal_result(refused.message)
    except MemoryError:
        return fatal_result('檔案內容過大，系統無法處理。請確認檔案只有本月資料。')
    except Exception:  # noqa: BLE001 - the contract is: never raise
        log.exception('workbook validation failed')
        return fatal_result(MSG_INTERNAL)


def _validate(data: bytes, ctx: FilingContext) -> ValidationResult:
    book = open_book(data, ctx.max_bytes)
    version, sheets = read_sheets(book, ctx)
    result = ValidationResult(version=version.id)
    checks = SheetChecks(ctx, version, result)
    fatal = checks.check_meta(sheets)
    if fatal:
        return fatal_result(fatal, version.id)
    for spec in version.sheets:
        checks.check_sheet(spec, *sheets[spec.key])
    if not any(entry[3] for entry in checks.sheets.values()):
        return fatal_result('檔案中沒有任何個案或服務資料。若本月無個案及服務，請改選「當月無個案及服務」；'
                            '否則請填寫資料後再上傳。', version.id)
    if book.external_links:
        checks.add(external_links_warning(book.external_links))
    check_across_sheets(checks)
    return result


def external_links_warning(n: int) -> Problem:
    """Links to other workbooks are data the portal cannot see: they are dropped from every
    copy it serves, and the unit is told so."""
    return Problem(sheet='', sheet_key=None, row=None, column=None, header=None, value=str(n),
                   message=f'檔案含有 {n} 個外部連結（連到其他活頁簿的公式或名稱）；系統只讀取儲存格中已計算的數值，'
                           '標示檔與匯出檔案不含外部連結',
                   fix='請在 Excel「資料 → 編輯連結 → 中斷連結」後存檔再上傳；若數值正確可忽略此提醒',
                   severity='warning', kind='invalid', category='structure')
