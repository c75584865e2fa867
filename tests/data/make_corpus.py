"""Generate the hostile-file corpus and realistic filled workbooks.

Usage: ``python tests/data/make_corpus.py [OUTDIR]`` writes every corpus file (default
``tests/data/corpus/``, not committed).  Tests import this module and generate into
``tmp_path`` instead; the bench uses :func:`fill_template` and :func:`random_rows`.

Every ``make_*`` function returns ``bytes``; :data:`CORPUS` maps a file name to its
generator and to the phrase the single refusal message must contain (``None`` when the
file is acceptable).
"""

from __future__ import annotations

import io
import random
import re
import struct
import sys
import zipfile
import zlib
from html import escape
from pathlib import Path

from openpyxl.utils import get_column_letter

from cgs_portal.workbook import VERSIONS, build_template

UNIT = dict(unit_code='123456', unit_name='測試國中', roc_year=113, month=9)


# -- realistic rows -----------------------------------------------------------------------

def case_row(rng: random.Random, version_id: str, grades=(7, 8, 9), i: int = 0) -> dict:
    """One valid case row as schema field → cell value."""
    teacher = 1 + i // 20 if i >= 8 else rng.randint(1, 8)
    main = rng.choice([1, 3, 4, 5, 5, 5, 6, 12, 13, 19])
    subs = sorted(rng.sample([c for c in range(1, 19) if c != main], rng.choice([0, 0, 1, 2])))
    new = rng.random() < 0.3
    return {
        'school_code': '083501',
        'teacher_code': f'T{teacher:02d}',
        'staff_type': 1 + teacher % 3,
        'student_code': f'S{i:05d}',
        'grade': rng.choice(grades),
        'sex': rng.choice([1, 2]),
        'student_status': rng.choice(['0', '0', '0', '9', '8,11']),
        'case_source': rng.choice(['1', '3', '2,3', '5']) if new else '0',
        'case_status': 1 if new else 2,
        'referral': rng.choice([2, 2, 2, 1, 3, 4]),
        'service_mode': rng.choice([1, 2]),
        'main_category': main,
        'main_other': '同儕衝突' if main == 19 else '0',
        'sub_categories': ','.join(map(str, subs)) or '0',
        'sub_other': '0',
        'sessions': rng.randint(1, 3),
        'closure': rng.choice([1, 1, 2, 3]),
    }


def service_row(rng: random.Random, version_id: str, grades=(7, 8, 9), i: int = 0) -> dict:
    """One valid service row; ``i`` enumerates distinct (teacher, item, target) triples."""
    targets = list(grades) + [13, 14, 15]
    teacher = 1 + i // (17 * len(targets))
    item = 1 + (i // len(targets)) % 17
    return {
        'school_code': '083501',
        'teacher_code': f'T{teacher:02d}',
        'staff_type': 1 + teacher % 3,
        'service_item': item,
        'item_other': f'其他服務{i}' if item == 17 else '0',
        'service_mode': rng.choice([1, 2]),
        'target': targets[i % len(targets)],
        'male': rng.randint(0, 20),
        'female': rng.randint(1, 20),
        'events': rng.randint(1, 4),
    }


def rows_for(version_id: str, key: str, dicts) -> list:
    """Row dicts → lists of cell values in the version's column order."""
    cols = VERSIONS[version_id].sheet(key).columns
    return [[d.get(c.key, '') for c in cols] for d in dicts]


def random_rows(version_id: str, key: str, n: int, seed: int = 1, grades=(7, 8, 9)) -> list:
    rng = random.Random(seed)
    make = case_row if key == 'cases' else service_row
    return rows_for(version_id, key, (make(rng, version_id, grades, i) for i in range(n)))


# -- fast filling of a generated template by XML ---------------------------------------------

def _cell_xml(ref: str, value, strings) -> str:
    if value is None or value == '':
        return ''
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value}</v></c>'
    text = escape(str(value), quote=False)
    if strings is None:
        return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    idx = strings.setdefault(text, len(strings))
    return f'<c r="{ref}" t="s"><v>{idx}</v></c>'


def fill_template(template: bytes, sheets: dict, *, shared_strings: bool = False) -> bytes:
    """Append ``sheets[title] = [(first_row, rows)]`` data to a generated template.

    Values are written straight into the sheet XML (inline strings, or shared strings when
    asked), so a 50,000-row workbook is built in about a second.
    """
    zin = zipfile.ZipFile(io.BytesIO(template))
    wb = zin.read('xl/workbook.xml').decode()
    rels = zin.read('xl/_rels/workbook.xml.rels').decode()
    paths = {}
    for name, rid in re.findall(r'<sheet [^>]*?name="([^"]+)"[^>]*?r:id="([^"]+)"', wb):
        target = re.search(rf'Id="{rid}"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="{rid}"', rels)
        t = target.group(1) or target.group(2)
        paths[name] = 'xl/' + t.lstrip('/').removeprefix('xl/')
    strings = {} if shared_strings else None
    new = {}
    for title, (first_row, rows) in sheets.items():
        out = []
        for i, row in enumerate(rows):
            r = first_row + i
            cells = ''.join(_cell_xml(f'{get_column_letter(j + 1)}{r}', v, strings)
                            for j, v in enumerate(row))
            out.append(f'<row r="{r}">{cells}</row>')
        xml = zin.read(paths[title]).decode()
        xml = re.sub(r'<dimension ref="[^"]*"\s*/>', '', xml)
        if '<sheetData/>' in xml:
            xml = xml.replace('<sheetData/>', '<sheetData></sheetData>')
        xml = xml.replace('</sheetData>', ''.join(out) + '</sheetData>')
        new[paths[title]] = xml.encode()
    ctypes = zin.read('[Content_Types].xml').decode()
    if strings is not None:
        sst = ''.join(f'<si><t xml:space="preserve">{s}</t></si>' for s in strings)
        new['xl/sharedStrings.xml'] = (
            '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main" count="{len(strings)}" uniqueCount="{len(strings)}">{sst}</sst>'
        ).encode()
        if 'sharedStrings' not in rels:
            new['xl/_rels/workbook.xml.rels'] = rels.replace(
                '</Relationships>',
                '<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/officeDocument/'
                '2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>').encode()
        if 'sharedStrings' not in ctypes:
            new['[Content_Types].xml'] = ctypes.replace(
                '</Types>', '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>').encode()
    return rezip(zin, new)


def rezip(zin: zipfile.ZipFile, new: dict, drop=(), level: int = 6) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED, compresslevel=level) as zout:
        names = set()
        for info in zin.infolist():
            if info.filename in drop:
                continue
            names.add(info.filename)
            zout.writestr(info.filename, new.get(info.filename, zin.read(info.filename)))
        for name, data in new.items():
            if name not in names:
                zout.writestr(name, data)
    return buf.getvalue()


def patch_part(data: bytes, part: str, fn) -> bytes:
    zin = zipfile.ZipFile(io.BytesIO(data))
    return rezip(zin, {part: fn(zin.read(part))})


def filled(version_id: str = '113', cases=None, services=None, *, shared_strings=False,
           **meta) -> bytes:
    """A template of ``version_id`` filled with case/service rows (lists or dicts)."""
    version = VERSIONS[version_id]
    meta = {**UNIT, **meta}
    template = build_template(version_id, 'blank', **meta)
    sheets = {}
    for key, rows in (('cases', cases), ('services', services)):
        if rows is None:
            rows = random_rows(version_id, key, 3, seed=7)
        spec = version.sheet(key)
        rows = [rows_for(version_id, key, [r])[0] if isinstance(r, dict) else r for r in rows]
        sheets[spec.title] = (spec.first_data_row, rows)
    return fill_template(template, sheets, shared_strings=shared_strings)


def sheet_part(data: bytes, title: str) -> str:
    zin = zipfile.ZipFile(io.BytesIO(data))
    wb = zin.read('xl/workbook.xml').decode()
    rels = zin.read('xl/_rels/workbook.xml.rels').decode()
    rid = re.search(rf'name="{re.escape(escape(title))}"[^>]*r:id="([^"]+)"', wb).group(1)
    t = re.search(rf'Id="{rid}"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="{rid}"', rels)
    return 'xl/' + (t.group(1) or t.group(2)).lstrip('/').removeprefix('xl/')


# -- hostile files ------------------------------------------------------------------------

def _cfb(stream_names) -> bytes:
    """A minimal OLE/CFB header followed by a directory naming ``stream_names``."""
    header = bytearray(512)
    header[:8] = b'\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1'
    header[24:26] = struct.pack('<H', 0x3E)
    header[26:28] = struct.pack('<H', 3)
    header[28:30] = b'\xfe\xff'
    header[30:32] = struct.pack('<H', 9)
    directory = b''
    for name in stream_names:
        raw = name.encode('utf-16-le') + b'\0\0'
        entry = bytearray(128)
        entry[:len(raw)] = raw
        entry[64:66] = struct.pack('<H', len(raw))
        entry[66] = 2
        directory += bytes(entry)
    return bytes(header) + directory.ljust(4096, b'\0')


def make_csv() -> bytes:
    return '教師編碼,身分,學生代號\nT01,1,S001\n'.encode('utf-8-sig')


def make_xls() -> bytes:
    return _cfb(['Root Entry', 'Workbook', '\x05SummaryInformation'])


def make_encrypted() -> bytes:
    return _cfb(['Root Entry', 'EncryptionInfo', 'EncryptedPackage', '\x06DataSpaces'])


def make_pdf() -> bytes:
    return b'%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n'


def make_png() -> bytes:
    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack(
            '>I', zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = zlib.compress(b'\0\0\0\0')
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 1, 1, 8, 2, 0, 0, 0))
            + chunk(b'IDAT', raw) + chunk(b'IEND', b''))


def make_html_xls() -> bytes:
    return '<html><body><table><tr><td>教師編碼</td></tr></table></body></html>'.encode()


def make_empty_file() -> bytes:
    return b''


def make_ods() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as z:
        z.writestr('mimetype', 'application/vnd.oasis.opendocument.spreadsheet')
        z.writestr('content.xml', '<office:document-content/>')
    return buf.getvalue()


def make_docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as z:
        z.writestr('[Content_Types].xml', '<Types/>')
        z.writestr('word/document.xml', '<w:document/>')
    return buf.getvalue()


def make_xlsm() -> bytes:
    data = filled()
    zin = zipfile.ZipFile(io.BytesIO(data))
    ct = zin.read('[Content_Types].xml').replace(
        b'spreadsheetml.sheet.main+xml', b'sheet.macroEnabled.main+xml')
    return rezip(zin, {'[Content_Types].xml': ct, 'xl/vbaProject.bin': b'\0' * 64})


def make_empty_workbook() -> bytes:
    from openpyxl import Workbook
    buf = io.BytesIO()
    Workbook().save(buf)
    return buf.getvalue()


def make_no_data() -> bytes:
    return build_template('113', 'blank', **UNIT)


def _rename_sheet(data: bytes, old: str, new: str) -> bytes:
    return patch_part(data, 'xl/workbook.xml',
                      lambda x: x.replace(f'name="{old}"'.encode(), f'name="{new}"'.encode()))


def make_missing_sheet() -> bytes:
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(filled()))
    del wb[VERSIONS['113'].sheet('services').title]
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def make_renamed_sheet() -> bytes:
    return _rename_sheet(filled(), VERSIONS['113'].sheet('cases').title, '當月個案')


def _header_patch(data, fn):
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(data))
    fn(wb[VERSIONS['113'].sheet('cases').title])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def make_renamed_header() -> bytes:
    def fn(ws):
        ws['C3'] = '學生姓名'
    return _header_patch(filled(), fn)


def make_shifted_header() -> bytes:
    def fn(ws):
        ws.insert_cols(1)
        ws['A3'] = '序號'
    return _header_patch(filled(), fn)


def make_zip_bomb() -> bytes:
    """A real bomb: one sheet part inflating to 310 MB of spaces."""
    data = filled()
    zin = zipfile.ZipFile(io.BytesIO(data))
    part = sheet_part(data, VERSIONS['113'].sheet('cases').title)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
        for info in zin.infolist():
            if info.filename != part:
                zout.writestr(info.filename, zin.read(info.filename))
        with zout.open(part, 'w', force_zip64=True) as fh:
            block = b' ' * (1 << 20)
            for _ in range(310):
                fh.write(block)
    return buf.getvalue()


def make_lying_zip() -> bytes:
    """Central directory declares a 4 GB part (the zip-bomb check must refuse it unread)."""
    data = bytearray(filled())
    eocd = data.rfind(b'PK\x05\x06')
    cd_offset = struct.unpack('<I', data[eocd + 16:eocd + 20])[0]
    # First central directory entry: uncompressed size lives at offset 24.
    data[cd_offset + 24:cd_offset + 28] = struct.pack('<I', 0xFFFFFFF0)
    return bytes(data)


def make_dimension_bomb() -> bytes:
    data = filled()
    part = sheet_part(data, VERSIONS['113'].sheet('cases').title)
    return patch_part(data, part, lambda x: re.sub(
        rb'<sheetPr', b'<sheetPr', x.replace(b'<sheetData>', b'<sheetData>', 1))
        .replace(b'<sheetViews>', b'<dimension ref="A1:XFD1048576"/><sheetViews>', 1)
        if b'<dimension' not in x else re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', x))


def make_big_file(size: int = 50 * 1024 * 1024) -> bytes:
    """A 50 MB zip-based file, over the 10 MB cap (stored random bytes)."""
    rng = random.Random(5)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_STORED) as z:
        z.writestr('[Content_Types].xml', '<Types/>')
        z.writestr('xl/media/image1.bin', rng.randbytes(size))
    return buf.getvalue()


def make_formulas() -> bytes:
    """C7 a formula with a cached value (fine); N8 a formula without one (an error)."""
    data = filled('113', random_rows('113', 'cases', 4, seed=3))
    part = sheet_part(data, VERSIONS['113'].sheet('cases').title)

    def fn(xml):
        xml = re.sub(rb'<c r="C7"[^>]*>.*?</c>',
                     b'<c r="C7" t="str"><f>"S"&amp;"777"</f><v>S777</v></c>', xml, flags=re.S)
        xml = re.sub(rb'<c r="N8"[^>]*>.*?</c>', b'<c r="N8"><f>1+1</f><v/></c>', xml,
                     flags=re.S)
        return xml
    return patch_part(data, part, fn)


def make_merged() -> bytes:
    """A1 teacher code merged over rows 6–8 (accepted), D9:E9 merged (refused cell)."""
    from openpyxl import load_workbook
    rows = random_rows('113', 'cases', 5, seed=4)
    for r in rows[:3]:
        r[0] = 'T01'
        r[1] = 1
    wb = load_workbook(io.BytesIO(filled('113', rows)))
    ws = wb[VERSIONS['113'].sheet('cases').title]
    ws.merge_cells('A6:A8')
    ws.merge_cells('D9:E9')
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def make_hidden_rows() -> bytes:
    data = filled('113', random_rows('113', 'cases', 4, seed=5))
    part = sheet_part(data, VERSIONS['113'].sheet('cases').title)
    return patch_part(data, part, lambda x: x.replace(b'<row r="7">', b'<row r="7" hidden="1">'))


def make_million_blank_rows(n: int = 1_000_000) -> bytes:
    """Valid data followed by ``n`` empty but formatted rows (as Excel writes them)."""
    data = filled('113', random_rows('113', 'cases', 5, seed=6))
    part = sheet_part(data, VERSIONS['113'].sheet('cases').title)
    blank = b''.join(b'<row r="%d" spans="1:15" s="1" customFormat="1" ht="15"/>' % r
                     for r in range(20, 20 + n))
    return patch_part(data, part, lambda x: x.replace(b'</sheetData>', blank + b'</sheetData>'))


def make_shared_strings() -> bytes:
    return filled('113', shared_strings=True)


def make_external_link() -> bytes:
    data = filled('113', random_rows('113', 'cases', 3, seed=8))
    zin = zipfile.ZipFile(io.BytesIO(data))
    rels = zin.read('xl/_rels/workbook.xml.rels').replace(
        b'</Relationships>',
        b'<Relationship Id="rIdExt1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/externalLink" Target="externalLinks/externalLink1.xml"/></Relationships>')
    wb = zin.read('xl/workbook.xml').replace(
        b'</sheets>', b'</sheets><externalReferences><externalReference r:id="rIdExt1"/>'
        b'</externalReferences>')
    ct = zin.read('[Content_Types].xml').replace(
        b'</Types>', b'<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="'
        b'application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"/></Types>')
    ext = (b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           b'<externalBook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
           b'relationships" r:id="rId1"/></externalLink>')
    ext_rels = (b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                b'officeDocument/2006/relationships/externalLinkPath" Target="file:///C:/evil.xlsx"'
                b' TargetMode="External"/></Relationships>')
    return rezip(zin, {'xl/_rels/workbook.xml.rels': rels, 'xl/workbook.xml': wb,
                       '[Content_Types].xml': ct, 'xl/externalLinks/externalLink1.xml': ext,
                       'xl/externalLinks/_rels/externalLink1.xml.rels': ext_rels})


def make_old_version() -> bytes:
    return filled('111', random_rows('111', 'cases', 3), random_rows('111', 'services', 3))


def make_privacy() -> bytes:
    rows = random_rows('113', 'cases', 4, seed=9)
    rows[0][2] = 'A123456789'
    rows[1][2] = 'AB12345678'
    rows[2][10] = '家長電話 0912-345-678'
    rows[3][2] = 'kid@example.com'
    return filled('113', rows)


#: file name → (generator, phrase the single refusal message contains or None if accepted)
CORPUS = {
    'not_excel.csv': (make_csv, 'CSV'),
    'old_format.xls': (make_xls, '請另存為 .xlsx'),
    'encrypted.xlsx': (make_encrypted, '密碼'),
    'document.pdf': (make_pdf, 'PDF'),
    'picture.xlsx': (make_png, '圖片'),
    'web_page.xls': (make_html_xls, 'HTML'),
    'zero_bytes.xlsx': (make_empty_file, '空的'),
    'spreadsheet.ods': (make_ods, '.ods'),
    'word.xlsx': (make_docx, 'Word'),
    'macros.xlsm': (make_xlsm, '巨集'),
    'empty_workbook.xlsx': (make_empty_workbook, '找不到工作表'),
    'no_data.xlsx': (make_no_data, '沒有任何個案或服務資料'),
    'missing_sheet.xlsx': (make_missing_sheet, '找不到工作表「表A-2-輔導教師-2.相關服務」'),
    'renamed_sheet.xlsx': (make_renamed_sheet, '找不到工作表「表A-1-輔導教師-1.當月個案」'),
    'renamed_header.xlsx': (make_renamed_header, 'C 欄應為「學生代號」'),
    'shifted_header.xlsx': (make_shifted_header, '「教師編碼」應在 A 欄，檔案中在 B 欄'),
    'zip_bomb.xlsx': (make_zip_bomb, '解壓縮後過大'),
    'lying_zip.xlsx': (make_lying_zip, '解壓縮後過大'),
    'dimension_bomb.xlsx': (make_dimension_bomb, '超過上限'),
    'big_file.xlsx': (make_big_file, '檔案過大'),
    'old_version.xlsx': (make_old_version, '請下載「113學年度」範本'),
    'formulas.xlsx': (make_formulas, None),
    'merged.xlsx': (make_merged, None),
    'hidden_rows.xlsx': (make_hidden_rows, None),
    'million_blank_rows.xlsx': (make_million_blank_rows, None),
    'shared_strings.xlsx': (make_shared_strings, None),
    'external_link.xlsx': (make_external_link, None),
    'privacy.xlsx': (make_privacy, None),
}


def main(argv=None) -> int:
    out = Path((argv or sys.argv[1:] or [Path(__file__).parent / 'corpus'])[0])
    out.mkdir(parents=True, exist_ok=True)
    for name, (make, _) in CORPUS.items():
        (out / name).write_bytes(make())
        print(name)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
