"""Templates generated from the schema: layout, drop-downs, stamp, guide, round trip."""

import io

import pytest
from openpyxl import load_workbook
from wb_helpers import corpus

from cgs_portal.workbook import (
    VERSIONS,
    FilingContext,
    build_template,
    neutralise,
    validate_workbook,
)

META = dict(unit_code='123456', unit_name='測試國中', roc_year=113, month=9)


def load(data):
    return load_workbook(io.BytesIO(data))


def test_published_111_layout_cell_for_cell():
    wb = load(build_template('111', 'blank', **META))
    assert wb.sheetnames[:3] == ['表A-1-輔導教師-1.當月個案', '表A-2-輔導教師-2.相關服務',
                                 '填報說明-A-輔導教師']
    a1 = wb['表A-1-輔導教師-1.當月個案']
    assert a1['A1'].value == '113-9 測試國中輔導教師工作成果(當月個案填報)'
    headers = [a1.cell(3, j).value for j in range(1, 15)]
    assert headers == ['教師編碼', '身分', '學生代號', '學生年級', '學生性別', '學生身分', '個案來源',
                       '輔導概況', '轉介概況', '個案類別(主)', '個案類別(主)其他說明',
                       '個案類別(副)', '個案類別(副)其他說明', '當月晤談累積次數(人次)']
    assert a1.cell(3, 15).value is None
    assert a1['A2'].value == '輔導教師' and a1['C2'].value == '個案學生'
    assert a1['A4'].value and a1['A5'].value and a1['A6'].value is None
    assert a1.freeze_panes == 'A6'
    a2 = wb['表A-2-輔導教師-2.相關服務']
    assert [a2.cell(3, j).value for j in range(1, 8)] == [
        '教師編碼', '身分', '服務項目', '其他說明', '對象', '服務人次(男)', '服務人次(女)']
    assert a2['A4'].value and a2['A5'].value is None and a2.freeze_panes == 'A5'
    assert a1.column_dimensions['A'].width > 5


def test_113_adds_columns():
    wb = load(build_template('113', 'blank'))
    assert wb['表A-1-輔導教師-1.當月個案']['O3'].value == '結案情形'
    assert wb['表A-2-輔導教師-2.相關服務']['H3'].value == '場次'


@pytest.mark.parametrize('vid', list(VERSIONS))
def test_meta_cells_and_stamp(vid):
    wb = load(build_template(vid, 'blank', **META))
    spec = VERSIONS[vid].sheets[0]
    ws = wb[spec.title]
    meta = spec.meta_cells
    assert ws[meta['unit_code'][0]].value == '單位代碼'
    assert ws[meta['unit_code'][1]].value == '123456'
    assert ws[meta['unit_name'][1]].value == '測試國中'
    assert ws[meta['year_month'][1]].value == '113年9月'
    assert wb.defined_names['CGS_TEMPLATE_VERSION'].attr_text == f'"{vid}"'
    assert wb['代碼表'].sheet_state == 'hidden'


@pytest.mark.parametrize('vid', list(VERSIONS))
def test_dropdown_on_every_coded_column(vid):
    wb = load(build_template(vid, 'blank'))
    for spec in VERSIONS[vid].sheets:
        ws = wb[spec.title]
        covered = {}
        for dv in ws.data_validations.dataValidation:
            for rng in dv.sqref.ranges:
                covered[rng.coord.split(':')[0].rstrip('0123456789')] = dv
        for letter, col in zip(spec.letters, spec.columns, strict=True):
            if col.codes:
                dv = covered[letter]
                assert dv.type == 'list' and dv.formula1.startswith('代碼表!')
                lo, hi = dv.formula1.split('!')[1].replace('$', '').split(':')
                values = [c.value for row in wb['代碼表'][lo:hi] for c in row]
                assert values == [f'{c} {label}' for c, label in col.codes]
            elif col.kind == 'int':
                assert covered[letter].type == 'whole'


def test_dropdown_label_is_accepted(ctx):
    data = corpus.filled('113', [dict(teacher_code='T01', staff_type='1 專任輔導教師',
                                      student_code='S1', grade='7 七年級', sex='2 生理女',
                                      student_status='0 以下皆非', case_source='1 學生主動求助',
                                      case_status='1 新案', referral='2 無轉介',
                                      main_category='5 情緒困擾', main_other='0',
                                      sub_categories='0 無', sub_other='0', sessions=1,
                                      closure='1 持續輔導')])
    r = validate_workbook(data, ctx)
    assert r.ok, r.problems


@pytest.mark.parametrize('vid', list(VERSIONS))
def test_guide_lists_every_column(vid):
    wb = load(build_template(vid, 'guide'))
    ws = wb.active
    text = '\n'.join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    for spec in VERSIONS[vid].sheets:
        for col in spec.columns:
            assert col.header in text and col.meaning in text
    assert '5 情緒困擾' in text
    assert '必填' in text and '範例' in text
    # The guide sheet inside the template says the same.
    inner = load(build_template(vid, 'blank'))[VERSIONS[vid].guide_title]
    assert any(c.value == '允許值（代碼）' for row in inner.iter_rows() for c in row)


@pytest.mark.parametrize('vid,level', [('111', '國中'), ('113', '國中'), ('B111', '輔諮中心'),
                                       ('B113', '輔諮中心')])
def test_example_validates(vid, level):
    year = VERSIONS[vid].first_academic_year
    ctx = FilingContext('123456', '測試國中', level, year, 9, year)
    r = validate_workbook(build_template(vid, 'example', **{**META, 'roc_year': year}), ctx)
    assert r.ok and not r.problems, r.problems
    assert r.rows['cases'] and r.rows['services']


@pytest.mark.parametrize('vid,level', [('113', '國中'), ('B113', '輔諮中心'), ('111', '國中')])
def test_blank_template_round_trip(vid, level):
    """Fill the blank template programmatically (openpyxl) → validate → no problems."""
    year = VERSIONS[vid].first_academic_year
    wb = load(build_template(vid, 'blank', **{**META, 'roc_year': year}))
    for spec in VERSIONS[vid].sheets:
        ws = wb[spec.title]
        for i, values in enumerate(corpus.random_rows(vid, spec.key, 20, seed=11)):
            for j, value in enumerate(values, start=1):
                ws.cell(spec.first_data_row + i, j, value)
    buf = io.BytesIO()
    wb.save(buf)
    ctx = FilingContext('123456', '測試國中', level, year, 9, year)
    r = validate_workbook(buf.getvalue(), ctx)
    assert r.ok and not r.errors, r.problems[:5]
    assert len(r.rows['cases']) == 20


def test_unknown_version_or_kind():
    with pytest.raises(KeyError):
        build_template('999', 'blank')
    with pytest.raises(ValueError):
        build_template('113', 'other')


@pytest.mark.parametrize('value', ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx'])
def test_neutralise(value):
    assert neutralise(value) == "'" + value


def test_neutralise_leaves_safe_values():
    assert neutralise('T01') == 'T01' and neutralise(5) == 5 and neutralise(None) is None


def test_template_writes_user_text_as_data():
    wb = load(build_template('113', 'blank', unit_code='=HYPERLINK("x")', unit_name='+evil'))
    spec = VERSIONS['113'].sheets[0]
    ws = wb[spec.title]
    assert ws[spec.meta_cells['unit_code'][1]].data_type == 's'
    assert ws[spec.meta_cells['unit_code'][1]].value.startswith("'")
