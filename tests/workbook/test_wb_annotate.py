"""The marked-up copy of the user's own workbook."""

import io
import re
import zipfile

from openpyxl import load_workbook
from wb_helpers import case, corpus, service

from cgs_portal.workbook import Problem, annotate_workbook, validate_workbook

A1 = '表A-1-輔導教師-1.當月個案'


def marked(ctx, data):
    r = validate_workbook(data, ctx)
    out = annotate_workbook(data, r.problems)
    return r, out, load_workbook(io.BytesIO(out))


def test_fills_and_comments(ctx):
    data = corpus.filled('113', [case(sex=''), case(student_code='S2', grade=3)], [service()])
    r, out, wb = marked(ctx, data)
    ws = wb[A1]
    assert ws['E6'].fill.fgColor.rgb == 'FFFFFF00'
    assert ws['D7'].fill.fgColor.rgb == 'FFFF5050'
    assert '學制' in ws['D7'].comment.text and '請填入' in ws['D7'].comment.text
    assert ws['D7'].value == 3 and ws['C7'].value == 'S2'
    assert ws['A6'].fill.fgColor.rgb != 'FFFFFF00'
    # Re-validating the copy finds the same problems: nothing else changed.
    again = validate_workbook(out, ctx)
    assert [(p.cell, p.message) for p in again.problems] == [(p.cell, p.message) for p in r.problems]


def test_keeps_user_formatting(ctx):
    data = corpus.filled('113', [case(grade=3)])
    wb = load_workbook(io.BytesIO(data))
    ws = wb[A1]
    from openpyxl.styles import Font
    ws['D6'].font = Font(bold=True, color='FF0000FF')
    ws['D6'].number_format = '0.00'
    ws.column_dimensions['D'].width = 33
    buf = io.BytesIO()
    wb.save(buf)
    r, out, wb2 = marked(ctx, buf.getvalue())
    d6 = wb2[A1]['D6']
    assert d6.font.b and d6.font.color.rgb == 'FF0000FF' and d6.number_format == '0.00'
    assert d6.fill.fgColor.rgb == 'FFFF5050'
    assert wb2[A1].column_dimensions['D'].width == 33
    assert wb2['代碼表'].sheet_state == 'hidden'
    assert len(wb2[A1].data_validations.dataValidation) == len(ws.data_validations.dataValidation)


def test_missing_cell_and_row_inserted_in_order(ctx):
    data = corpus.filled('113', [case()])
    problems = [
        Problem(sheet=A1, sheet_key='cases', row=6, column='P', header=None, value='', message='x',
                fix='y', severity='error', kind='missing'),   # after last cell
        Problem(sheet=A1, sheet_key='cases', row=40, column='B', header='身分', value='',
                message='m', fix='f', severity='error', kind='missing'),  # no <row>
        Problem(sheet=A1, sheet_key='cases', row=2, column='Z', header=None, value='', message='m',
                fix='f', severity='error', kind='invalid'),    # existing row
    ]
    out = annotate_workbook(data, problems)
    z = zipfile.ZipFile(io.BytesIO(out))
    xml = z.read(corpus.sheet_part(out, A1))
    rows = [int(x) for x in re.findall(rb'<row r="(\d+)"', xml)]
    assert rows == sorted(rows) and 40 in rows
    refs6 = re.findall(rb'<c r="([A-Z]+)6"', xml)
    assert refs6[-1] == b'P' and len(refs6) == 16
    wb = load_workbook(io.BytesIO(out))
    assert wb[A1]['B40'].fill.fgColor.rgb == 'FFFFFF00'
    assert wb[A1]['Z2'].fill.fgColor.rgb == 'FFFF5050'
    assert wb[A1]['P6'].comment.text.startswith('x')


def test_existing_comments_are_merged(ctx):
    data = corpus.filled('113', [case(grade=3)])
    wb = load_workbook(io.BytesIO(data))
    from openpyxl.comments import Comment
    wb[A1]['A6'].comment = Comment('老師的備註', 'teacher')
    wb[A1]['D6'].comment = Comment('原本的註解', 'teacher')
    buf = io.BytesIO()
    wb.save(buf)
    r, out, wb2 = marked(ctx, buf.getvalue())
    ws = wb2[A1]
    assert ws['A6'].comment.text == '老師的備註'
    assert '學制' in ws['D6'].comment.text and '原本的註解' in ws['D6'].comment.text
    assert ws['A3'].comment is not None   # the template's own header comments survive
    z = zipfile.ZipFile(io.BytesIO(out))
    assert len([n for n in z.namelist() if n.startswith('xl/comments')]) == \
        len([n for n in zipfile.ZipFile(io.BytesIO(buf.getvalue())).namelist()
             if n.startswith('xl/comments')])


def test_sheet_without_comments_gets_parts(ctx):
    data = corpus.filled('113', [case(grade=3)])
    # Strip the template's header comments so the sheet has no comments part at all.
    wb = load_workbook(io.BytesIO(data))
    for row in wb[A1].iter_rows(min_row=3, max_row=3):
        for c in row:
            c.comment = None
    buf = io.BytesIO()
    wb.save(buf)
    r, out, wb2 = marked(ctx, buf.getvalue())
    z = zipfile.ZipFile(io.BytesIO(out))
    names = z.namelist()
    assert any(n.endswith('.vml') for n in names)
    ct = z.read('[Content_Types].xml')
    assert b'Extension="vml"' in ct and b'comments+xml' in ct
    sheet = z.read(corpus.sheet_part(out, A1))
    assert b'<legacyDrawing r:id=' in sheet
    assert '學制' in wb2[A1]['D6'].comment.text


def test_shared_strings_file(ctx):
    data = corpus.filled('113', [case(sex='')], shared_strings=True)
    r, out, wb = marked(ctx, data)
    assert wb[A1]['E6'].fill.fgColor.rgb == 'FFFFFF00'
    assert wb[A1]['C6'].value == 'S001'


def test_formula_text_stays_text(ctx):
    data = corpus.filled('113', [case(main_category=19, main_other='=HYPERLINK("http://x")')])
    r, out, wb = marked(ctx, data)
    assert r.ok
    out = annotate_workbook(data, [Problem(sheet=A1, sheet_key='cases', row=6, column='K',
                                           header='', value='',
                                           message='m', fix='f')])
    z = zipfile.ZipFile(io.BytesIO(out))
    assert b'<f>' not in z.read(corpus.sheet_part(out, A1))


def test_warnings_and_file_problems_not_marked(ctx):
    data = corpus.filled('113', [case()])
    problems = [Problem(sheet=A1, sheet_key='cases', row=6, column='C', header='', value='',
                        message='w', fix='f', severity='warning', kind='invalid'),
                Problem(sheet='', sheet_key=None, row=None, column=None, header=None, value='',
                        message='fatal', fix='f', severity='error', kind='file')]
    wb = load_workbook(io.BytesIO(annotate_workbook(data, problems)))
    assert wb[A1]['C6'].comment is None


def test_many_comments_get_distinct_shape_ids(ctx):
    rows = [case(student_code=f'S{i}', grade=1) for i in range(1100)]
    data = corpus.filled('113', rows)
    r = validate_workbook(data, ctx)
    assert len(r.errors) == 1100
    out = annotate_workbook(data, r.problems)
    z = zipfile.ZipFile(io.BytesIO(out))
    vml = [z.read(n) for n in z.namelist() if n.endswith('.vml')]
    ids = re.findall(rb'id="_x0000_s(\d+)"', b''.join(vml))
    assert len(ids) == len(set(ids)) >= 1100


def _all_parts_parse(out):
    import xml.etree.ElementTree as ET
    z = zipfile.ZipFile(io.BytesIO(out))
    assert z.testzip() is None
    for name in z.namelist():
        if name.endswith(('.xml', '.rels', '.vml')):
            ET.fromstring(z.read(name))
    return z


def test_every_part_is_well_formed(ctx):
    rows = [case(sex=''), case(student_code='S2', grade=3), case(student_code='S3',
                                                                 main_other='說明&<>"')]
    for shared in (False, True):
        data = corpus.filled('113', rows, [service(male=0, female=0)], shared_strings=shared)
        r = validate_workbook(data, ctx)
        out = annotate_workbook(data, r.problems)
        z = _all_parts_parse(out)
        from python_calamine import CalamineWorkbook
        CalamineWorkbook.from_filelike(io.BytesIO(out)).get_sheet_by_name(A1).to_python()
        assert len([n for n in z.namelist() if n.endswith('.vml')]) >= 2


def test_header_footer_vml_left_alone(ctx):
    data = corpus.filled('113', [case(grade=3)])
    part = corpus.sheet_part(data, A1)
    rels = part.replace('worksheets/', 'worksheets/_rels/') + '.rels'
    z = zipfile.ZipFile(io.BytesIO(data))
    hf_vml = b'<xml><v:shape id="hf"/></xml>'
    new = {}
    sheet = z.read(part)
    # Drop the template's own comments so only the header/footer VML remains.
    sheet = re.sub(rb'<legacyDrawing [^>]*/>', b'', sheet)
    new[part] = sheet.replace(b'</worksheet>', b'<legacyDrawingHF r:id="rIdHF"/></worksheet>')
    new[rels] = (b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                 b'relationships"><Relationship Id="rIdHF" Type="http://schemas.openxmlformats.'
                 b'org/officeDocument/2006/relationships/vmlDrawing" Target="../drawings/hf.vml"/>'
                 b'</Relationships>')
    new['xl/drawings/hf.vml'] = hf_vml
    data = corpus.rezip(z, new, drop={n for n in z.namelist() if 'comments' in n})
    r = validate_workbook(data, ctx)
    out = annotate_workbook(data, r.problems)
    z2 = zipfile.ZipFile(io.BytesIO(out))
    assert z2.read('xl/drawings/hf.vml') == hf_vml
    sheet2 = z2.read(part)
    assert b'<legacyDrawing r:id=' in sheet2 and b'legacyDrawingHF' in sheet2
    assert sheet2.index(b'<legacyDrawing ') < sheet2.index(b'<legacyDrawingHF')


def test_reannotating_a_fixed_copy_clears_stale_marks(ctx):
    data = corpus.filled('113', [case(sex=''), case(student_code='S2', grade=3)], [service()])
    r = validate_workbook(data, ctx)
    first = annotate_workbook(data, r.problems)
    # The teacher fixes E6 in the marked-up copy (without touching its fill) and uploads it.
    part = corpus.sheet_part(first, A1)
    fixed = corpus.patch_part(first, part, lambda x: re.sub(
        rb'<c r="E6" s="(\d+)"\s*/>', rb'<c r="E6" s="\1"><v>2</v></c>', x))
    r2 = validate_workbook(fixed, ctx)
    assert [p.cell for p in r2.errors] == ['D7']
    second = annotate_workbook(fixed, r2.problems)
    ws = load_workbook(io.BytesIO(second))[A1]
    assert ws['E6'].value == 2 and ws['E6'].comment is None
    assert ws['E6'].fill.fgColor.rgb not in ('FFFFFF00', 'FFFF5050')
    assert ws['D7'].fill.fgColor.rgb == 'FFFF5050'
    assert ws['D7'].comment.text.count('學制') == 1
    assert ws['A3'].comment is not None
    _all_parts_parse(second)
    # All fixed: the portal may still ask for a copy; no stale mark survives.
    clean = corpus.patch_part(second, part, lambda x: re.sub(
        rb'<c r="D7" s="(\d+)"><v>3</v></c>', rb'<c r="D7" s="\1"><v>8</v></c>', x))
    r3 = validate_workbook(clean, ctx)
    assert r3.ok, r3.problems
    ws3 = load_workbook(io.BytesIO(annotate_workbook(clean, r3.problems)))[A1]
    assert ws3['D7'].comment is None and ws3['D7'].fill.fgColor.rgb != 'FFFF5050'


def test_results_sheet_lists_errors_and_warnings_once(ctx):
    """Issue 10, item 23: the copy carries every problem, warnings too, in a sheet of its own."""
    rows = [case(sex=''), case(student_code='王小明')]
    data = corpus.filled('113', rows, [service()])
    r = validate_workbook(data, ctx)
    assert r.warnings and r.errors
    out = annotate_workbook(data, r.problems)
    wb = load_workbook(io.BytesIO(out))
    listed = list(wb['檢核結果'].iter_rows(values_only=True))
    assert listed[0][0] == '類別' and len(listed) == 1 + len(r.problems)
    assert {row[0] for row in listed[1:]} == {'錯誤', '提醒'}
    assert ('提醒', A1, 7, 'C') in [x[:4] for x in listed]
    again = annotate_workbook(out, validate_workbook(out, ctx).problems)
    assert load_workbook(io.BytesIO(again)).sheetnames.count('檢核結果') == 1
    assert [(p.cell, p.message) for p in validate_workbook(out, ctx).problems] == \
        [(p.cell, p.message) for p in r.problems]
