"""Safe reading of an uploaded workbook.

Everything that can be refused is refused before a parser sees the file: the size, the
container (xls/CFB, encrypted, xlsm, ods, pdf, images, text), the zip central directory
(entry count, declared uncompressed sizes, lying headers are caught by CRC while we
stream each part once), XML entity declarations and the declared ``<dimension>`` of every
sheet.  Values are then read with python-calamine (cached formula values, dates as
``datetime.date``); what calamine cannot tell — formulas without a cached value, hidden
rows — comes from one streaming scan of the sheet XML.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field

from python_calamine import CalamineWorkbook

from .ooxml import CELL, NS_R, ROW_OPEN, local_name, parse_ref, rels_path, resolve

MAX_UNCOMPRESSED = 300 * 1024 * 1024
MAX_PART = 200 * 1024 * 1024
MAX_ENTRIES = 5000
MAX_ROWS = 200_000
MAX_COLS = 1000
EXCEL_MAX_ROWS, EXCEL_MAX_COLS = 1_048_576, 16_384

OLE_MAGIC = b'\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1'

MSG_CORRUPT = '檔案已損毀或不完整，無法讀取。請以 Excel 開啟確認後重新存檔（.xlsx）再上傳。'
MSG_BOMB = '檔案解壓縮後過大或結構異常，系統拒絕處理。請使用下載的範本重新填寫後上傳。'


class FileRefused(Exception):
    """The file cannot be read at all; ``args[0]`` is the message for the user (zh-Hant)."""

    @property
    def message(self) -> str:
        return self.args[0]


def size_text(n: int) -> str:
    return f'{n / 1048576:.1f} MB'.replace('.0 MB', ' MB') if n >= 1048576 else f'{n // 1024} KB'


def too_big(size: int, limit: int) -> FileRefused:
    return FileRefused(f'檔案過大（{size_text(size)}），上限為 {size_text(limit)}。請確認檔案只有本月'
                       '資料，並刪除多餘的工作表、圖片或格式。')


def _not_xlsx(kind: str) -> FileRefused:
    return FileRefused(f'檔案格式不正確：這不是 Excel 活頁簿（.xlsx），看起來是{kind}。'
                       '請下載範本，以 Excel 填寫並存成 .xlsx 後再上傳。')


def sniff(data: bytes) -> None:
    """Refuse anything that is not a zip-based workbook, with a message naming what it is."""
    if not data:
        raise FileRefused('檔案是空的（0 位元組），請重新選擇檔案上傳。')
    head = data[:8]
    if head == OLE_MAGIC:
        if 'EncryptionInfo'.encode('utf-16-le') in data or \
                'EncryptedPackage'.encode('utf-16-le') in data:
            raise FileRefused('檔案設有密碼保護，系統無法讀取。請在 Excel 中移除密碼'
                              '（檔案 > 資訊 > 保護活頁簿 > 以密碼加密，清除密碼）後存檔再上傳。')
        raise FileRefused('這是舊版 Excel 檔案（.xls），系統無法讀取。請在 Excel 中「另存新檔」，'
                          '檔案類型選「Excel 活頁簿 (*.xlsx)」，請另存為 .xlsx 後再上傳。')
    if head[:4] in (b'PK\x03\x04', b'PK\x05\x06'):
        return
    if head[:4] == b'%PDF':
        raise _not_xlsx(' PDF 文件')
    if head[:8] == b'\x89PNG\r\n\x1a\n' or head[:3] == b'\xff\xd8\xff' or head[:4] in (
            b'GIF8', b'RIFF') or head[:2] == b'BM':
        raise _not_xlsx('圖片檔')
    sample = data[:4096]
    text = sample.lstrip(b'\xef\xbb\xbf \t\r\n').lower()
    if text.startswith((b'<html', b'<!doctype html', b'<table')):
        raise _not_xlsx('網頁（HTML）檔案')
    if text.startswith(b'<?xml') or text.startswith(b'<'):
        raise _not_xlsx(' XML 檔案（可能是舊式 Excel 2003 XML）')
    try:
        sample.decode('utf-8')
        is_text = True
    except UnicodeDecodeError as e:
        is_text = e.start > len(sample) - 4
    if is_text or all(b >= 9 for b in sample[:512]):
        raise _not_xlsx('純文字或 CSV 檔案')
    raise _not_xlsx('其他類型的檔案')


def _safe_xml(raw: bytes) -> ET.Element:
    if b'<!DOCTYPE' in raw or b'<!ENTITY' in raw:
        raise FileRefused(MSG_CORRUPT)
    try:
        return ET.fromstring(raw)
    except ET.ParseError:
        raise FileRefused(MSG_CORRUPT) from None


@dataclass
class SheetScan:
    """What calamine cannot tell about a sheet."""
    path: str
    dimension: tuple | None = None          # (last row, last col) declared
    formula_without_value: set = field(default_factory=set)   # {(row, col)} 1-based
    hidden_rows: list = field(default_factory=list)
    has_bool: bool = False                  # any t="b" cell (calamine returns bool)


@dataclass
class Book:
    data: bytes
    sheet_names: list            # in workbook order
    sheet_paths: dict            # title -> part name
    defined_names: dict
    workbook_path: str
    external_links: int = 0      # links to other workbooks (xl/externalLinks parts)
    _calamine: object = None

    def values(self, title: str) -> list:
        """Rows of cell values, index 0 is Excel row 1 (no skipping of empty areas)."""
        try:
            if self._calamine is None:
                self._calamine = CalamineWorkbook.from_filelike(io.BytesIO(self.data))
            sheet = self._calamine.get_sheet_by_name(title)
            rows = sheet.to_python(skip_empty_area=False)
            merged = sheet.merged_cell_ranges or []
        except FileRefused:
            raise
        except Exception:
            raise FileRefused(MSG_CORRUPT) from None
        if len(rows) > MAX_ROWS:
            raise FileRefused(f'工作表「{title}」的資料列數超過上限 {MAX_ROWS:,} 列，請確認檔案內容。')
        return rows, merged


def open_book(data: bytes, max_bytes: int, max_uncompressed: int = MAX_UNCOMPRESSED) -> Book:
    """Check the container and the zip directory; parse workbook.xml and its rels."""
    if len(data) > max_bytes:
        raise too_big(len(data), max_bytes)
    sniff(data)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError,
            NotImplementedError):  # a zip "version needed" above what zipfile reads
        raise FileRefused(MSG_CORRUPT) from None
    names = {i.filename for i in infos}
    if len(infos) > MAX_ENTRIES or sum(i.file_size for i in infos) > max_uncompressed or \
            any(i.file_size > MAX_PART for i in infos):
        raise FileRefused(MSG_BOMB)
    if any(i.flag_bits & 0x1 for i in infos):
        raise FileRefused('檔案設有密碼保護，系統無法讀取。請移除密碼後存檔再上傳。')
    if 'mimetype' in names:
        mime = _read(zf, 'mimetype', 1024)
        if b'opendocument' in mime:
            raise FileRefused('這是 OpenDocument 試算表（.ods），請以 Excel 開啟並另存為 .xlsx 後再上傳。')
    if '[Content_Types].xml' not in names:
        raise _not_xlsx('壓縮檔（.zip）')
    ctypes = _read(zf, '[Content_Types].xml', 5 << 20)
    if any(n.lower().endswith('vbaproject.bin') for n in names) or b'macroEnabled' in ctypes:
        raise FileRefused('檔案含有巨集（.xlsm），基於資訊安全不予受理。請在 Excel 中另存為'
                          '「Excel 活頁簿 (*.xlsx)」後再上傳。')
    workbook_path = _main_part(zf, names)
    if workbook_path is None:
        if 'word/document.xml' in names:
            raise _not_xlsx(' Word 文件')
        if 'ppt/presentation.xml' in names:
            raise _not_xlsx(' PowerPoint 簡報')
        raise _not_xlsx('其他壓縮檔')
    root = _safe_xml(_read(zf, workbook_path, 20 << 20))
    rels = _rels(zf, workbook_path)
    sheet_names, sheet_paths, defined = [], {}, {}
    for el in root.iter():
        tag = local_name(el.tag)
        if tag == 'sheet':
            title = el.get('name') or ''
            rid = el.get(f'{{{NS_R}}}id')
            target = rels.get(rid)
            sheet_names.append(title)
            if target:
                sheet_paths[title] = target
        elif tag == 'definedName':
            defined[el.get('name') or ''] = (el.text or '').strip().strip('"')
    external = sum(1 for n in names if re.match(r'xl/externalLinks/[^/]+\.xml$', n, re.I))
    return Book(data, sheet_names, sheet_paths, defined, workbook_path, external)


def _read(zf: zipfile.ZipFile, name: str, limit: int) -> bytes:
    try:
        info = zf.getinfo(name)
        if info.file_size > limit:
            raise FileRefused(MSG_BOMB)
        return zf.read(name)
    except FileRefused:
        raise
    except Exception:
        raise FileRefused(MSG_CORRUPT) from None


def _rels(zf: zipfile.ZipFile, part: str) -> dict:
    path = rels_path(part)
    try:
        zf.getinfo(path)
    except KeyError:
        return {}
    out = {}
    for el in _safe_xml(_read(zf, path, 5 << 20)):
        if el.get('TargetMode') == 'External':
            continue
        out[el.get('Id')] = resolve(part, el.get('Target') or '')
    return out


def _main_part(zf: zipfile.ZipFile, names: set) -> str | None:
    if '_rels/.rels' in names:
        for el in _safe_xml(_read(zf, '_rels/.rels', 1 << 20)):
            if (el.get('Type') or '').endswith('/officeDocument'):
                target = resolve('', el.get('Target') or '')
                if target in names:
                    return target
    return 'xl/workbook.xml' if 'xl/workbook.xml' in names else None


_PREFIXED_ROOT = re.compile(rb'\s*(?:<\?xml[^>]*\?>\s*)?<\w+:worksheet\b')
_DIM = re.compile(rb'<(?:\w+:)?dimension\s+ref="([^"]+)"')
_ATTR_R = re.compile(rb'\br="([^"]*)"')
_HAS_F = re.compile(rb'<(?:\w+:)?f[\s>/]')
_HAS_V = re.compile(rb'<(?:\w+:)?v>[^<]')


def scan_sheet(book: Book, title: str) -> SheetScan:
    """Read the sheet XML once: declared dimension, formulas lacking a cached value, hidden
    rows, boolean cells.  zipfile stops at the declared size and checks the CRC, so a part
    lying about its size is refused here, before calamine reads it."""
    path = book.sheet_paths.get(title)
    scan = SheetScan(path or '')
    if path is None:
        raise FileRefused(MSG_CORRUPT)
    try:
        zf = zipfile.ZipFile(io.BytesIO(book.data))
        with zf.open(path) as fh:
            head = fh.read(65536)
            if b'<!DOCTYPE' in head or b'<!ENTITY' in head:
                raise FileRefused(MSG_CORRUPT)
            m = _DIM.search(head)
            if m:
                scan.dimension = _check_dimension(m.group(1).decode('ascii', 'replace'), title)
            xml = head + fh.read()
    except FileRefused:
        raise
    except Exception:
        raise FileRefused(MSG_CORRUPT) from None
    end = xml.rfind(b'sheetData>')
    if end < 0:
        end = len(xml)
    find = xml.find
    # Needles ending in a letter rare in cell XML are searched several times faster.
    scan.has_bool = find(b't="b', 0, end) >= 0
    prefixed = _PREFIXED_ROOT.match(xml) is not None
    # Every formula has a closing </f> somewhere in its sheet (a shared formula's master
    # cell carries the text), and '</f' is far cheaper to search for than '<f'.
    if find(b'</f', 0, end) >= 0 or find(b'hidd', 0, end) >= 0 or (
            prefixed and find(b':f', 0, end) >= 0):
        _detail_scan(xml, scan)
    return scan


def _check_dimension(ref: str, title: str):
    last = ref.split(':')[-1]
    parsed = parse_ref(last)
    if parsed is None:
        return None
    rows, cols = parsed
    if rows > EXCEL_MAX_ROWS or cols > EXCEL_MAX_COLS:
        raise FileRefused(MSG_BOMB)
    if rows > MAX_ROWS:
        raise FileRefused(f'工作表「{title}」宣告的資料範圍有 {rows:,} 列，超過上限 {MAX_ROWS:,} 列。'
                          '請刪除多餘的列後重新存檔上傳。')
    if cols > MAX_COLS:
        raise FileRefused(f'工作表「{title}」宣告的資料範圍有 {cols:,} 欄，超過上限。'
                          '請刪除多餘的欄後重新存檔上傳。')
    return parsed


def _detail_scan(xml: bytes, scan: SheetScan) -> None:
    row_no = 0
    for m in ROW_OPEN.finditer(xml):
        attrs = m.group(1)
        r = _ATTR_R.search(attrs)
        row_no = int(r.group(1)) if r else row_no + 1
        if b'hidden="1"' in attrs or b'hidden="true"' in attrs:
            scan.hidden_rows.append(row_no)
    if not _HAS_F.search(xml):
        return
    # Cells with a formula: only those rows matter; walk rows to know implicit indices.
    row_no = 0
    row_iter = list(ROW_OPEN.finditer(xml))
    for i, m in enumerate(row_iter):
        attrs = m.group(1)
        r = _ATTR_R.search(attrs)
        row_no = int(r.group(1)) if r else row_no + 1
        end = row_iter[i + 1].start() if i + 1 < len(row_iter) else len(xml)
        segment = xml[m.end():end]
        if not _HAS_F.search(segment):
            continue
        col = 0
        for c in CELL.finditer(segment):
            ref = _ATTR_R.search(c.group(1))
            if ref:
                parsed = parse_ref(ref.group(1).decode('ascii', 'replace'))
                col = parsed[1] if parsed else col + 1
            else:
                col += 1
            inner = c.group(2) or b''
            if _HAS_F.search(inner) and not _HAS_V.search(inner):
                scan.formula_without_value.add((row_no, col))
