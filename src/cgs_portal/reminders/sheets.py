"""The .xlsx files of the reminders: a county's day-11 list and the national day-16 list.

Written with openpyxl's write-only mode (rows streamed, memory flat at 4,000 units); every
text cell goes through ``workbook.safety.neutralise`` so no name or e-mail becomes a formula.
"""
from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from .. import calendar
from ..workbook.levels import CATEGORIES
from ..workbook.safety import neutralise

HEADERS = ("縣市", "單位代碼", "單位名稱", "學制", "承辦人", "電話", "電子郵件", "未填報月份", "可否通知")


def _row(sheet, values, bold=False):
    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=neutralise(value))
        if bold:
            cell.font = Font(bold=True)
        cells.append(cell)
    sheet.append(cells)


def row_values(row) -> tuple:
    return (row.county_name, row.code, row.name, row.level, row.contact_name, row.phone, row.email,
            "、".join(row.missing), "可" if row.reachable else "無法通知")


def _list_sheet(book, title, heading, rows):
    sheet = book.create_sheet(title)
    sheet.column_dimensions["C"].width = 36
    sheet.column_dimensions["G"].width = 28
    sheet.column_dimensions["H"].width = 28
    _row(sheet, (heading,), bold=True)
    _row(sheet, HEADERS, bold=True)
    count = 0
    for row in rows:
        _row(sheet, row_values(row))
        count += 1
    return count


def county_list(county_name: str, year: int, month: int, today: dt.date, rows: Iterable) -> bytes:
    """A county's day-11 list (the attachment of its mail)."""
    book = Workbook(write_only=True)
    heading = (f"{county_name} {calendar.roc_month_label(year, month)} 輔導工作成果尚未完成填報名單"
               f"（{calendar.roc_date(today)} 製表）")
    _list_sheet(book, "未填報名單", heading, rows)
    return _save(book)


def national_list(year: int, month: int, today: dt.date, rows: Iterable) -> bytes:
    """The day-16 national list for the official letters (函文稽催).

    Sheet 1: the 高中職 and 輔諮中心 國教署 letters itself; then one sheet per county of the
    schools that county is asked to chase; last, a summary by county and level. ``rows`` is
    streamed once: the county rows are written to their sheet as they come (the tree is
    walked county by county).
    """
    book = Workbook(write_only=True)
    label = calendar.roc_month_label(year, month)
    stamp = f"（{calendar.roc_date(today)} 製表）"
    national_sheet = book.create_sheet("國教署函文（高中職及輔諮中心）")
    _row(national_sheet, (f"{label} 輔導工作成果尚未完成填報名單：國教署函文稽催之高中職及輔諮中心{stamp}",),
         bold=True)
    _row(national_sheet, HEADERS, bold=True)
    summary: Counter = Counter()
    counties: list[str] = []
    sheet = None
    current = None
    for row in rows:
        summary[(row.county_name, row.category)] += 1
        if row.county_name not in counties:
            counties.append(row.county_name)
        if row.group == "national":
            _row(national_sheet, row_values(row))
            continue
        if row.county_name != current:
            current = row.county_name
            sheet = book.create_sheet(f"{row.county_name}（請縣市稽催）"[:31])
            _row(sheet, (f"{label} {row.county_name} 尚未完成填報之學校：請縣市政府協助稽催{stamp}",), bold=True)
            _row(sheet, HEADERS, bold=True)
        _row(sheet, row_values(row))
    _summary_sheet(book, label, stamp, counties, summary)
    return _save(book)


def _summary_sheet(book, label, stamp, counties, summary):
    sheet = book.create_sheet("統計（縣市×學制）")
    _row(sheet, (f"{label} 尚未完成填報單位數：依縣市及學制{stamp}",), bold=True)
    _row(sheet, ("縣市", *CATEGORIES, "合計"), bold=True)
    totals = Counter()
    for county in counties:
        counts = [summary.get((county, category), 0) for category in CATEGORIES]
        totals.update(dict(zip(CATEGORIES, counts, strict=True)))
        _row(sheet, (county, *counts, sum(counts)))
    _row(sheet, ("合計", *(totals.get(c, 0) for c in CATEGORIES), sum(totals.values())), bold=True)


def _save(book) -> bytes:
    if not book.worksheets:
        book.create_sheet("名單")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
