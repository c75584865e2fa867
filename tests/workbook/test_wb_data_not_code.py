"""Uploaded content is data, never code (issue 10, item 16): the annotated copy holds no
live formula, no external link and no text a spreadsheet would read as a formula."""

import io
import re
import zipfile

from openpyxl import load_workbook
from wb_helpers import case, corpus, service

from cgs_portal.workbook import Problem, annotate_workbook, validate_workbook

A1 = '表A-1-輔導教師-1.當月個案'
DDE = "=cmd|' /C calc'!A0"


def _with_formulas(data):
    """C7 a formula with a cached value, K6 a HYPERLINK formula, K8 a DDE payload."""
    part = corpus.sheet_part(data, A1)

    def fn(xml):
        xml = re.sub(rb'<c r="C7"[^>]*>.*?</c>',
                     b'<c r="C7" t="str"><f>"S"&amp;"2"</f><v>S2</v></c>', xml, flags=re.S)
        xml = re.sub(rb'<c r="L6"[^>]*>.*?</c>',
                     b'<c r="L6" t="str"><f>HYPERLINK("http://evil.example/x","0")</f><v>0</v></c>',
                     xml, flags=re.S)
        xml = re.sub(rb'<c r="L8"[^>]*>.*?</c>',
                     b"<c r=\"L8\" t=\"str\"><f>cmd|' /C calc'!A0</f><v>0</v></c>", xml, flags=re.S)
        return xml
    return corpus.patch_part(data, part, fn)


def _one_error(row=6):
    return [Problem(sheet=A1, sheet_key='cases', row=row, column='D', header='', value='',
                    message='m', fix='f')]


def _sheet_xml(out):
    z = zipfile.ZipFile(io.BytesIO(out))
    return b''.join(z.read(n) for n in z.namelist() if n.startswith('xl/worksheets/sheet'))


def test_annotated_copy_has_no_live_formula_only_cached_values(ctx):
    rows = [case(student_code=f'S{i}', main_other='0') for i in range(1, 4)]
    data = _with_formulas(corpus.filled('113', rows, [service()]))
    assert b'<f>' in _sheet_xml(data)
    for problems in (_one_error(), []):          # with marks and without
        out = annotate_workbook(data, problems)
        assert not re.search(rb'<(\w+:)?f[\s>/]', _sheet_xml(out))
        ws = load_workbook(io.BytesIO(out))[A1]
        assert ws['C7'].value == 'S2' and ws['L6'].value == '0' and ws['L8'].value == '0'
        assert 'xl/calcChain.xml' not in zipfile.ZipFile(io.BytesIO(out)).namelist()


def test_annotated_copy_neutralises_formula_like_text(ctx):
    texts = [DDE, '+1+1', '-2+3', '@SUM(A1)', '\tx', '=HYPERLINK("http://x","y")']
    for shared in (False, True):
        rows = [case(student_code=f'S{i}', main_category=19, main_other=t)
                for i, t in enumerate(texts, start=1)]
        data = corpus.filled('113', rows, [service()], shared_strings=shared)
        out = annotate_workbook(data, _one_error())
        ws = load_workbook(io.BytesIO(out))[A1]
        got = [ws[f'K{r}'].value for r in range(6, 6 + len(texts))]
        assert got == ["'" + t for t in texts], shared
        # ordinary text is left alone
        assert ws['C6'].value == 'S1'


def test_external_link_is_a_warning_on_upload(ctx):
    r = validate_workbook(corpus.make_external_link(), ctx)
    assert r.fatal is None
    warned = [p for p in r.warnings if p.category == 'structure' and '外部連結' in p.message]
    assert len(warned) == 1 and warned[0].row is None
    assert not validate_workbook(corpus.filled('113'), ctx).warnings
