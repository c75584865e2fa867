"""One test per hostile or broken file of the corpus: one clear message, no exception."""

import io
import re
import zipfile

import pytest
from wb_helpers import cells, corpus

from cgs_portal.workbook import annotate_workbook, validate_workbook

_GENERATED = {}


def generated(name):
    """A corpus file, generated once per test session."""
    if name not in _GENERATED:
        _GENERATED[name] = corpus.CORPUS[name][0]()
    return _GENERATED[name]


REFUSED = {name: phrase for name, (_, phrase) in corpus.CORPUS.items() if phrase}


@pytest.mark.parametrize('name', sorted(REFUSED))
def test_refused_with_one_clear_message(name, ctx):
    make, phrase = corpus.CORPUS[name]
    r = validate_workbook(make(), ctx)
    assert r.fatal and phrase in r.fatal, r.fatal
    assert not r.ok and not r.rows
    assert len(r.problems) == 1 and r.problems[0].kind == 'file'


def test_refused_from_a_path(tmp_path, ctx):
    path = tmp_path / 'big.xlsx'
    path.write_bytes(corpus.make_big_file())
    assert '檔案過大' in validate_workbook(path, ctx).fatal
    assert '檔案過大' in validate_workbook(str(path), ctx).fatal


def test_size_cap_configurable(ctx):
    import dataclasses
    small = dataclasses.replace(ctx, max_bytes=10 * 1024)
    fatal = validate_workbook(corpus.filled(), small).fatal
    assert '檔案過大' in fatal and '上限為 10 KB' in fatal
    assert validate_workbook(corpus.filled(), ctx).fatal is None


def test_missing_file_path(ctx, tmp_path):
    assert validate_workbook(tmp_path / 'nope.xlsx', ctx).fatal


def test_formulas_use_cached_values(ctx):
    r = validate_workbook(corpus.make_formulas(), ctx)
    assert r.fatal is None
    assert cells(r, 'error') == {'N8': '公式沒有計算結果，無法讀取數值'}
    assert r.rows['cases'][1]['student_code'] == 'S777'


def test_merged_cells(ctx):
    r = validate_workbook(corpus.make_merged(), ctx)
    assert [p.cell for p in r.errors] == ['E9']
    assert '合併' in r.errors[0].message
    assert [row['teacher_code'] for row in r.rows['cases'][:3]] == ['T01'] * 3


def test_hidden_rows_warn_and_count(ctx):
    r = validate_workbook(corpus.make_hidden_rows(), ctx)
    assert r.ok and len(r.rows['cases']) == 4
    assert any('隱藏' in p.message for p in r.warnings)
    assert r.summary['hidden_rows'] == 1


def test_million_blank_rows_ignored(ctx):
    r = validate_workbook(generated('million_blank_rows.xlsx'), ctx)
    assert r.ok and len(r.rows['cases']) == 5


def test_shared_strings(ctx):
    r = validate_workbook(corpus.make_shared_strings(), ctx)
    assert r.ok, r.problems


def test_external_link_dropped_from_annotated_copy(ctx):
    data = corpus.make_external_link()
    r = validate_workbook(data, ctx)
    assert r.fatal is None
    out = annotate_workbook(data, r.problems)
    z = zipfile.ZipFile(io.BytesIO(out))
    assert not [n for n in z.namelist() if 'externalLink' in n]
    assert b'externalReferences' not in z.read('xl/workbook.xml')
    assert b'externalLink' not in z.read('[Content_Types].xml')
    assert b'externalLink' not in z.read('xl/_rels/workbook.xml.rels')


@pytest.mark.parametrize('data', [b'PK\x03\x04garbage', b'PK\x05\x06' + b'\0' * 18,
                                  b'\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1', b'\x00' * 100,
                                  bytes(range(256)) * 4])
def test_garbage_never_raises(data, ctx):
    r = validate_workbook(data, ctx)
    assert r.fatal


def test_truncated_workbook(ctx):
    data = corpus.filled()
    for cut in (len(data) // 3, len(data) - 30):
        assert validate_workbook(data[:cut], ctx).fatal


def test_corrupt_part_crc(ctx):
    raw = corpus.filled('113', corpus.random_rows('113', 'cases', 200))
    data = bytearray(raw)
    part = corpus.sheet_part(raw, '表A-1-輔導教師-1.當月個案')
    info = zipfile.ZipFile(io.BytesIO(raw)).getinfo(part)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    middle = start + info.compress_size // 2
    data[middle:middle + 40] = bytes(40)
    r = validate_workbook(bytes(data), ctx)
    assert r.fatal


def test_annotate_never_raises_on_garbage():
    assert annotate_workbook(b'not a zip', []) == b'not a zip'


def test_corpus_main_writes_every_file(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus, 'CORPUS', {k: v for k, v in corpus.CORPUS.items()
                                           if k in ('not_excel.csv', 'old_format.xls')})
    corpus.main([str(tmp_path)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ['not_excel.csv', 'old_format.xls']


def test_boolean_cells_are_not_codes(ctx):
    data = corpus.filled('113', corpus.random_rows('113', 'cases', 3, seed=12))
    part = corpus.sheet_part(data, '表A-1-輔導教師-1.當月個案')
    data = corpus.patch_part(data, part, lambda x: re.sub(
        rb'<c r="B7"[^>]*>.*?</c>', b'<c r="B7" t="b"><v>1</v></c>', x, flags=re.S))
    r = validate_workbook(data, ctx)
    assert [p.cell for p in r.errors] == ['B7'] and 'TRUE' in r.errors[0].message


def test_prefixed_namespace_sheet_formula(ctx):
    """A sheet written with an ``x:`` prefix (some .NET writers) is still scanned."""
    data = corpus.make_formulas()
    part = corpus.sheet_part(data, '表A-1-輔導教師-1.當月個案')

    def prefix(xml):
        xml = re.sub(rb'<(/?)(worksheet|sheetData|row|c|v|f|is|t|dimension|sheetViews|'
                     rb'sheetView|selection|sheetFormatPr|cols|col|mergeCells|mergeCell|'
                     rb'pageMargins|dataValidations|dataValidation|formula1|formula2|'
                     rb'sheetPr|outlinePr|pageSetUpPr|pane|legacyDrawing|tableParts)\b',
                     rb'<\1x:\2', xml)
        return xml.replace(b'xmlns="http://schemas', b'xmlns:x="http://schemas', 1)
    data = corpus.patch_part(data, part, prefix)
    r = validate_workbook(data, ctx)
    if r.fatal is None:      # calamine read it: the formula cell must still be reported
        assert 'N8' in [p.cell for p in r.errors]
    else:
        assert '損毀' in r.fatal or '找不到' in r.fatal or '欄位標題' in r.fatal


def test_header_row_moved_down(ctx):
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(corpus.filled()))
    wb['表A-1-輔導教師-1.當月個案'].insert_rows(2)
    buf = io.BytesIO()
    wb.save(buf)
    r = validate_workbook(buf.getvalue(), ctx)
    assert '應在第 3 列，檔案中在第 4 列' in r.fatal


ACCEPTED = sorted(name for name, (_, phrase) in corpus.CORPUS.items() if phrase is None)


@pytest.mark.parametrize('name', ACCEPTED)
def test_accepted_corpus_files_annotate_cleanly(name, ctx):
    import xml.etree.ElementTree as ET
    data = generated(name)
    r = validate_workbook(data, ctx)
    out = annotate_workbook(data, r.problems)
    z = zipfile.ZipFile(io.BytesIO(out))
    for info in z.infolist():
        if info.filename.endswith(('.xml', '.rels', '.vml')) and info.file_size < 5 << 20:
            ET.fromstring(z.read(info.filename))
    again = validate_workbook(out, ctx)
    # The copy is data only (issue 10, item 16): its external links are gone (no warning
    # for them) and a formula without a cached value is now a blank cell.
    expected = [(p.cell, '此欄不可空白' if p.message == '公式沒有計算結果，無法讀取數值' else p.message)
                for p in r.problems if '外部連結' not in p.message]
    assert [(p.cell, p.message) for p in again.problems] == expected
