"""Every row and workbook rule, through a real workbook."""

import pytest
from wb_helpers import BASE_CASE, case, cells, corpus, service

from cgs_portal.workbook import FilingContext, validate_workbook


def run(ctx, cases=(), services=(), version='113', **meta):
    data = corpus.filled(version, list(cases) or [case()], list(services) or [service()], **meta)
    return validate_workbook(data, ctx)


def test_valid_rows_pass(ctx):
    r = run(ctx)
    assert r.ok, r.problems
    assert r.rows['cases'][0]['main_category'] == 5
    assert r.rows['cases'][0]['sub_categories'] == (0,)
    assert r.rows['cases'][0]['main_other'] is None


def test_missing_cells_are_yellow(ctx):
    r = run(ctx, [case(sex='', sessions=None)])
    kinds = {p.cell: p.kind for p in r.problems}
    assert kinds == {'E6': 'missing', 'N6': 'missing'}
    assert not r.ok


def test_problem_fields(ctx):
    r = run(ctx, [case(grade=3)])
    (p,) = r.problems
    assert (p.sheet, p.sheet_key, p.row, p.column, p.header, p.value) == (
        '表A-1-輔導教師-1.當月個案', 'cases', 6, 'D', '學生年級', '3')
    assert '學制' in p.message and p.fix and p.kind == 'invalid' and p.severity == 'error'


def test_case_source_only_for_new_cases(ctx):
    r = run(ctx, [case(case_status=1, case_source='0', student_code='S1'),
                  case(case_status=2, case_source='1', student_code='S2'),
                  case(case_status=2, case_source='0', student_code='S3')])
    assert set(cells(r)) == {'G6', 'G7'}


def test_case_source_6_only_senior_high(ctx):
    r = run(ctx, [case(case_source='6')])
    assert '高中' in cells(r)['G6']
    senior = FilingContext('123456', '測試高中', '高中', 113, 9, 113)
    assert run(senior, [case(case_source='6', grade=10)], [service(target=10)]).ok


def test_other_text_exactly_when_19(ctx):
    r = run(ctx, [case(main_category=19, main_other='0', student_code='S1'),
                  case(main_category=5, main_other='說明', student_code='S2'),
                  case(main_category=19, main_other='手足衝突', student_code='S3'),
                  case(main_category=19, main_other='', student_code='S4')])
    c = cells(r)
    assert set(c) == {'K6', 'K7', 'K9'}
    assert r.problems[-1].kind == 'missing'


def test_sub_other_exactly_when_19_in_list(ctx):
    r = run(ctx, [case(sub_categories='3,19', sub_other='0', student_code='S1'),
                  case(sub_categories='3', sub_other='家暴', student_code='S2'),
                  case(sub_categories='3,19', sub_other='其他困擾', student_code='S3')])
    assert set(cells(r)) == {'M6', 'M7'}


def test_secondary_not_repeating_main_and_at_most_two(ctx):
    r = run(ctx, [case(main_category=5, sub_categories='5,3', student_code='S1'),
                  case(sub_categories='1,2,3', student_code='S2'),
                  case(sub_categories='0,3', student_code='S3')])
    assert set(cells(r)) == {'L6', 'L7', 'L8'}
    assert '重複' in cells(r)['L6']


def test_student_status_zero_excludes_others(ctx):
    r = run(ctx, [case(student_status='0,9')])
    assert set(cells(r)) == {'F6'}


def test_grade_fits_level():
    primary = FilingContext('123456', '測試國小', '國小', 113, 9, 113)
    r = run(primary, [case(grade=7)], [service(target=8)])
    assert {(p.sheet_key, p.cell) for p in r.problems} == {('cases', 'D6'), ('services', 'E5')}
    explicit = FilingContext('123456', '完全中學', '國中', 113, 9, 113, grades=(7, 8, 9, 10))
    assert run(explicit, [case(grade=10)], [service(target=10)]).ok


def test_male_plus_female_positive(ctx):
    r = run(ctx, services=[service(male=0, female=0)])
    assert set(cells(r)) == {'G5'}


def test_service_other_exactly_when_17(ctx):
    r = run(ctx, services=[service(service_item=17, item_other='0'),
                           service(service_item=3, item_other='說明', target=14)])
    assert set(cells(r)) == {'D5', 'D6'}


def test_events_at_least_one(ctx):
    r = run(ctx, services=[service(events=0)])
    assert set(cells(r)) == {'H5'}


def test_duplicate_case_codes(ctx):
    r = run(ctx, [case(), case(grade=8), case(teacher_code='T02', staff_type=2)])
    c = cells(r)
    assert set(c) == {'C7'} and '第 6 列' in c['C7']


def test_duplicate_service_rows_are_summed_with_a_warning(ctx):
    """Issue 10, item 22 (was: an error): services are recorded as they happen, so rows with
    the same teacher, item, other-text and target are one row, their counts summed."""
    r = run(ctx, services=[service(male=1, female=2, events=1), service(target=14),
                           service(male=3, female=0, events=2), service(male=0, female=1, events=1)])
    assert r.ok and not r.errors
    rows = r.rows['services']
    assert [(x['_row'], x['male'], x['female'], x['events']) for x in rows] == [(5, 4, 3, 4), (6, 1, 2, 1)]
    (w,) = r.warnings
    assert w.category == 'duplicate' and w.row == 5
    assert '第 5、7、8 列' in w.message and '合併' in w.message
    assert r.aggregates['counts']['services'] == 2
    assert sum(r.aggregates['VII'].values()) == 4 + 3 + 1 + 2


def test_duplicate_service_rows_with_different_staff_types_stay_an_error(ctx):
    r = run(ctx, services=[service(), service(staff_type=2)])
    assert not r.ok
    assert [p.cell for p in r.errors] == ['E6'] and '第 5 列' in r.errors[0].message


def test_privacy_guard(ctx, mc):
    r = validate_workbook(mc.make_privacy(), ctx)
    assert not r.ok
    assert set(cells(r)) == {'C6', 'C7', 'K8', 'C9'}
    assert all(m == '請勿填寫可識別個人身分之資料' for m in cells(r).values())


def test_privacy_outside_the_table(ctx):
    data = corpus.filled('113', [case()])
    data = corpus.patch_part(data, corpus.sheet_part(data, '表A-1-輔導教師-1.當月個案'),
                             lambda x: x.replace(b'</row></sheetData>',
                                                 b'<c r="S6" t="inlineStr"><is><t>0912345678</t>'
                                                 b'</is></c></row></sheetData>'))
    r = validate_workbook(data, ctx)
    assert [p.cell for p in r.errors] == ['S6'] and not r.ok


def test_wrong_unit_is_fatal(ctx):
    r = run(ctx, unit_code='999999')
    assert r.fatal and '單位代碼不符' in r.fatal and not r.rows


def test_wrong_month_is_fatal(ctx):
    r = run(ctx, month=8)
    assert '填報年月不符' in r.fatal and '113年8月' in r.fatal


@pytest.mark.parametrize('ym', ['113/09', '2024-09', '113年9月'])
def test_month_spellings_in_header(ctx, ym, mc):
    data = corpus.filled('113', [case()])
    import io

    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(data))
    for spec in mc.VERSIONS['113'].sheets:
        wb[spec.title][spec.meta_cells['year_month'][1]] = ym
    buf = io.BytesIO()
    wb.save(buf)
    assert validate_workbook(buf.getvalue(), ctx).ok


def test_blank_header_cells_are_taken_from_the_filing(ctx):
    """Issue 10, item 21 (was: blank header cells are missing-cell errors): the portal knows
    the unit and month the file is uploaded for, so blank cells are taken from there and
    the result says so; filled-in cells that differ are still refused (tests above)."""
    r = run(ctx, unit_code='', roc_year=None, month=None)
    assert r.ok and not r.problems
    assert len(r.notices) == 2
    assert '123456' in r.notices[0] and '單位代碼' in r.notices[0]
    assert '113年9月' in r.notices[1] and '填報年月' in r.notices[1]
    assert not run(ctx).notices          # the per-unit template: nothing taken


def test_the_published_blank_template_needs_no_typing_in_the_header(ctx):
    data = corpus.fill_template(corpus.build_template('113', 'blank'), {
        corpus.VERSIONS['113'].sheet('cases').title: (6, corpus.rows_for('113', 'cases', [case()])),
        corpus.VERSIONS['113'].sheet('services').title: (5, corpus.rows_for('113', 'services', [service()]))})
    r = validate_workbook(data, ctx)
    assert r.ok and not r.problems, r.problems
    assert len(r.notices) == 2


def test_outdated_version_refused(ctx, mc):
    r = validate_workbook(mc.make_old_version(), ctx)
    assert r.version == '111' and '113學年度' in r.fatal


def test_newer_version_for_older_year_refused(ctx111):
    r = run(ctx111)
    assert '111學年度' in r.fatal


def test_version_detected_by_headers_without_stamp(ctx):
    data = corpus.filled('111', [case(sex=2)], [service()])
    data = corpus.patch_part(data, 'xl/workbook.xml',
                             lambda x: x.replace(b'CGS_TEMPLATE_VERSION', b'OTHER_NAME'))
    r = validate_workbook(data, ctx)
    assert r.version == '111' and '113學年度' in r.fatal


def test_family_b_centre():
    ctx = FilingContext('08C001', '南投縣學生輔導諮商中心', '輔諮中心', 113, 9, 113,
                        county_school_codes=frozenset({'083501', '084601'}))
    b_case = dict(school_code='083501', teacher_code='P01', staff_type=1, student_code='S1',
                  grade=4, sex=1, student_status='0', case_source='6', case_status=1,
                  service_mode=1, main_category=3, main_other='0', sub_categories='0',
                  sub_other='0', sessions=1, closure=1)
    b_service = dict(school_code='084601', teacher_code='P01', staff_type=1, service_item=1,
                     item_other='0', service_mode=2, target=14, male=1, female=1, events=1)
    data = corpus.filled('B113', [b_case, dict(b_case, student_code='S2', school_code='999999')],
                         [b_service], unit_code='08C001')
    r = validate_workbook(data, ctx)
    assert set(cells(r)) == {'A7'} and '本縣市' in cells(r)['A7']
    school_ctx = FilingContext('123456', 'x', '國中', 113, 9, 113)
    assert '輔諮中心' in validate_workbook(data, school_ctx).fatal


def test_warnings_do_not_block(ctx):
    many = [case(student_code=f'S{i}', sessions=10) for i in range(7)]
    r = run(ctx, many + [case(student_code='王小明')])
    assert r.ok
    msgs = [p.message for p in r.warnings]
    assert any('超過 60 次' in m for m in msgs)
    assert any('姓名' in m for m in msgs)


def test_compare_with_previous(ctx):
    from cgs_portal.workbook import compare_with_previous
    r = run(ctx, [case(student_code=f'S{i}') for i in range(7)])
    assert compare_with_previous(r, {'counts': {'cases': 2}})[0].severity == 'warning'
    assert compare_with_previous(r, {'counts': {'cases': 3}}) == []
    assert compare_with_previous(r, {'counts': {'cases': 0}}) == []
    assert compare_with_previous(r, None) == []


def test_normalised_values_counted(ctx):
    r = run(ctx, [case(main_category='5 情緒困擾', sex='生理女', grade='７', sub_categories='３，10')])
    assert r.ok, r.problems
    assert r.summary['normalised'] == 4
    row = r.rows['cases'][0]
    assert (row['main_category'], row['sex'], row['grade'], row['sub_categories']) == (5, 2, 7, (3, 10))


def test_summary_counts(ctx):
    r = run(ctx, [case(sex=''), case(student_code='S2', grade=1)])
    s = r.summary
    assert s['rows'] == {'cases': 2, 'services': 1}
    assert s['problems']['error'] == 2 and s['problems']['missing'] == 1
    assert s['by_sheet']['cases'] == {'missing': 1, 'invalid': 1}
    assert s['by_column']['cases'] == {'學生性別': 1, '學生年級': 1}


def test_whitespace_only_rows_are_blank(ctx):
    r = run(ctx, [case(), {k: ' ' for k in BASE_CASE}, case(student_code='S3', grade=1)])
    assert [p.cell for p in r.problems] == ['D8']
    assert [row['_row'] for row in r.rows['cases']] == [6, 8]
    assert r.problems[0].value == '1'


def test_data_in_guidance_rows_is_reported(ctx):
    data = corpus.filled('113', [case()])
    import io

    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(data))
    ws = wb['表A-1-輔導教師-1.當月個案']
    ws.delete_rows(4, 2)           # the guidance rows: data moves up to row 4
    buf = io.BytesIO()
    wb.save(buf)
    r = validate_workbook(buf.getvalue(), ctx)
    assert [p.cell for p in r.errors] == ['A4'] and '說明列' in r.errors[0].message


def test_edited_guidance_text_is_fine(ctx):
    data = corpus.filled('113', [case()])
    import io

    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(data))
    wb['表A-1-輔導教師-1.當月個案']['A4'] = '本校自編'
    buf = io.BytesIO()
    wb.save(buf)
    assert validate_workbook(buf.getvalue(), ctx).ok


def test_summary_by_category(ctx, mc):
    r = run(ctx, [case(sex=''), case(student_code='S2', grade=1), case(student_code='S2'),
                  case(student_code='S4', main_other='說明'), case(student_code='A123456789')])
    assert r.summary['by_category'] == {'missing': 1, 'rule': 2, 'duplicate': 1, 'privacy': 1}
    assert {p.category for p in r.problems} == {'missing', 'rule', 'duplicate', 'privacy'}
    f = validate_workbook(b'x', ctx)
    assert f.problems[0].category == 'file'
