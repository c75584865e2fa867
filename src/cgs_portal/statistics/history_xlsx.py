"""The 填報紀錄 download: exactly the table on screen (all pages) as a streamed .xlsx.

openpyxl's write-only mode writes rows to a temporary file as they come, so a large
history never sits in memory as a workbook. A header block names the unit, the sheet, the
months (民國) and the filters; then the shown columns' headers and every matching row in
the shown order, codes with their labels. Every text cell goes through the portal's one
neutraliser (``workbook.safety.neutralise``): a value starting with ``= + - @``, tab or CR
is written as text prefixed with ``'``, never as a formula.
"""
from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from ..workbook.safety import neutralise
from .history import SHEETS, History, Query

CHUNK = 1 << 16
BOLD = Font(bold=True)


def header_block(unit_label: str, sheet: str, months: Sequence[str], filters: Sequence[str],
                 made: str, matched: int) -> list[tuple[str, str]]:
    return [
        ("單位", unit_label),
        ("資料", f"填報紀錄（{SHEETS[sheet]}）"),
        ("月份", "、".join(months)),
        ("篩選條件", "；".join(filters) if filters else "無"),
        ("筆數", str(matched)),
        ("下載時間", made),
    ]


def _cell(sheet, value, bold=False):
    value = neutralise(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # text stays text: never read back as a formula
    if bold:
        cell.font = BOLD
    return cell


def write(history: History, query: Query, header: Iterable[tuple[str, str]], out) -> None:
    """Write the workbook of ``query`` over ``history`` to the binary file ``out``."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEETS[history.sheet])
    for label, value in header:
        sheet.append([_cell(sheet, label, bold=True), _cell(sheet, value)])
    sheet.append([])
    shown = history.shown(query)
    sheet.append([_cell(sheet, c.header, bold=True) for c in shown])
    for cells in history.rows(query):
        # Neutralised text never starts with "=", so openpyxl types it as a string, never a
        # formula; plain values skip a WriteOnlyCell per cell (a third of the time).
        sheet.append([neutralise(v) for v in cells])
    book.save(out)


def stream(history: History, query: Query, header) -> Iterator[bytes]:
    """The workbook's bytes in chunks, from a temporary file (the app_iter of a response)."""
    handle = tempfile.TemporaryFile()
    try:
        write(history, query, header, handle)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return _chunks(handle)


def _chunks(handle) -> Iterator[bytes]:
    with handle:
        while True:
            chunk = handle.read(CHUNK)
            if not chunk:
                return
            yield chunk
