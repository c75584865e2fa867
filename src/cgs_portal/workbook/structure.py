"""The shape of an uploaded workbook: its bytes, its sheets, its template version, its headers.

Everything here decides whether the file can be checked cell by cell at all; a file that
cannot is refused with one message (:class:`~.results.Fatal`) saying what to do.
"""

from __future__ import annotations

import os
import re

from openpyxl.utils import get_column_letter

from . import normalise as N
from .reader import Book, FileRefused, scan_sheet, too_big
from .results import MSG_INTERNAL, Fatal
from .schema import VERSION_STAMP_NAME, VERSIONS, version_in_force


def column_letter(j: int) -> str:
    """The letter of the 0-based column ``j``."""
    return get_column_letter(j + 1)


def load_bytes(data, max_bytes: int) -> bytes:
    """The upload's bytes, from bytes, a path or a file object (at most ``max_bytes`` + 1)."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    if isinstance(data, (str, os.PathLike)):
        try:
            size = os.stat(data).st_size
        except OSError:
            raise FileRefused('找不到上傳的檔案，請重新上傳。') from None
        if size > max_bytes:
            raise too_big(size, max_bytes)
        with open(data, 'rb') as fh:
            return fh.read(max_bytes + 1)
    if hasattr(data, 'read'):
        return data.read(max_bytes + 1)
    raise FileRefused(MSG_INTERNAL)


def match_sheet(title: str, names: list) -> str | None:
    """The workbook's sheet for a schema title: exact, else equal up to spaces/width."""
    if title in names:
        return title
    key = N.label_key(title)
    for name in names:
        if N.label_key(name) == key:
            return name
    return None


def header_mismatches(spec, values) -> list:
    """(column index, schema column, cell found) of each header cell that differs."""
    row = values[spec.header_row - 1] if len(values) >= spec.header_row else []
    found = [N.label_key(N.as_text(v)) if v != '' else '' for v in row]
    out = []
    for j, col in enumerate(spec.columns):
        have = found[j] if j < len(found) else ''
        if have != N.label_key(col.header):
            out.append((j, col, row[j] if j < len(row) else ''))
    return out


def detect_version(book: Book, family: str, in_force, sheets: dict):
    """The version from the hidden stamp, else from the header rows."""
    stamp = book.defined_names.get(VERSION_STAMP_NAME)
    if stamp:
        version = VERSIONS.get(stamp)
        if version is None:
            raise FileRefused(f'無法辨識的範本版本「{stamp[:20]}」，請下載「{in_force.label}」範本重新填寫。')
        return version
    candidates = []
    for version in VERSIONS.values():
        if version.family != family:
            continue
        if all(not header_mismatches(spec, sheets[spec.key][1]) for spec in version.sheets):
            candidates.append(version)
    if in_force in candidates or not candidates:
        return in_force
    return max(candidates, key=lambda v: v.first_academic_year)


def read_sheets(book: Book, ctx):
    """(version, {sheet key: (title, values, merged, scan)}) of a workbook fit to check.

    Raises :class:`Fatal` for a workbook of the other family, a missing sheet, another
    version than the one in force, or moved or renamed header cells.
    """
    family = ctx.family
    in_force = VERSIONS.get(ctx.version_id or '') or version_in_force(family, ctx.academic_year)
    stamp = book.defined_names.get(VERSION_STAMP_NAME)
    stamped = VERSIONS.get(stamp) if stamp else None
    if stamped is not None and stamped.family != family:
        kind = '輔諮中心' if stamped.family == 'B' else '學校'
        raise Fatal(f'此檔案是{kind}使用的範本（{stamped.label}），本單位請下載「{in_force.label}」範本填寫。',
                    stamped.id)
    if not book.sheet_names:
        raise Fatal('活頁簿中沒有任何工作表，請下載範本重新填寫。')
    # Titles are the same across versions of a family.
    sheets = {}
    for spec in in_force.sheets:
        title = match_sheet(spec.title, book.sheet_names)
        if title is None:
            listed = '、'.join(f'「{n}」' for n in book.sheet_names[:6])
            raise Fatal(f'找不到工作表「{spec.title}」（檔案中的工作表：{listed}）。'
                        f'請使用下載的「{in_force.label}」範本，勿更改或刪除工作表名稱。')
        scan = scan_sheet(book, title)
        values, merged = book.values(title)
        sheets[spec.key] = (title, values, merged, scan)
    version = detect_version(book, family, in_force, sheets)
    if version.id != in_force.id:
        raise Fatal(f'範本版本不符：此檔案為「{version.label}」範本，{ctx.academic_year}學年度'
                    f'請下載「{in_force.label}」範本重新填寫後上傳。', version.id)
    for spec in version.sheets:
        title, values, _, _ = sheets[spec.key]
        bad = header_mismatches(spec, values)
        if bad:
            raise Fatal(header_message(spec, title, values, bad, version), version.id,
                        sheet=title, sheet_key=spec.key, row=spec.header_row,
                        column=spec.letters[bad[0][0]], header=bad[0][1].header,
                        value=N.as_text(bad[0][2]))
    return version, sheets


def header_message(spec, title, values, bad, version) -> str:
    """What is wrong with a sheet's header row: moved down or up, or which cells differ."""
    expected = [N.label_key(c.header) for c in spec.columns]
    for r, other in enumerate(values[:12], start=1):
        if r != spec.header_row and [N.label_key(N.as_text(v)) for v in other[:len(expected)]] \
                == expected:
            return (f'工作表「{title}」的欄位標題列應在第 {spec.header_row} 列，檔案中在第 {r} 列。'
                    '請勿在標題上方插入或刪除列，請使用下載的範本填寫。')
    row = values[spec.header_row - 1] if len(values) >= spec.header_row else []
    found = {N.label_key(N.as_text(v)): j for j, v in enumerate(row) if v != ''}
    parts = []
    for j, col, have in bad[:3]:
        letter = spec.letters[j]
        where = found.get(N.label_key(col.header))
        if where is not None:
            parts.append(f'「{col.header}」應在 {letter} 欄，檔案中在 {column_letter(where)} 欄')
        elif have in ('', None):
            parts.append(f'{letter} 欄應為「{col.header}」，檔案中是空白')
        else:
            parts.append(f'{letter} 欄應為「{col.header}」，檔案中為「{N.as_text(have)[:30]}」')
    more = f'等 {len(bad)} 處' if len(bad) > 3 else ''
    return (f'工作表「{title}」第 {spec.header_row} 列的欄位標題與「{version.label}」範本不符：'
            + '；'.join(parts) + more + '。請勿新增、刪除、移動或改名欄位，請使用下載的範本填寫。')


def title_year_month(title: str):
    """(ROC year, month) named at the start of a sheet's title cell, if any."""
    m = re.match(r'^\s*「?\s*(\d{2,4})\s*[-年/.]\s*(\d{1,2})(?!\d)', N.clean(title))
    if not m:
        return None
    return N.parse_year_month(f'{m.group(1)}-{m.group(2)}')
