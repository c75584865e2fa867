import datetime as dt

import pytest

from cgs_portal.workbook import VERSIONS
from cgs_portal.workbook import normalise as N

CASES = VERSIONS['113'].sheet('cases')


def parse(key, raw):
    return N.parser_for(CASES.column(key))(raw)


@pytest.mark.parametrize('raw', [5, 5.0, '5', '５', ' 5 ', '5.0', '5 情緒困擾', '5情緒困擾',
                                 '5.情緒困擾', '情緒困擾', ' 情緒 困擾 ', '５ 情緒困擾'])
def test_code_spellings_all_mean_5(raw):
    p = parse('main_category', raw)
    assert p.value == 5 and p.status in (N.OK, N.NORMALISED)


@pytest.mark.parametrize('raw,normalised', [(5, False), (5.0, False), ('5', False),
                                            ('５', True), ('情緒困擾', True), (' 5', True)])
def test_normalised_flag(raw, normalised):
    assert (parse('main_category', raw).status == N.NORMALISED) is normalised


@pytest.mark.parametrize('raw', ['5 人際困擾', '20', '0', 'x', 5.5, '情緒', dt.date(2024, 1, 1)])
def test_code_invalid_is_not_guessed(raw):
    assert parse('main_category', raw).status == N.INVALID


@pytest.mark.parametrize('raw', ['', None, '   ', '\u3000'])
def test_blank_is_missing(raw):
    assert parse('main_category', raw).status == N.MISSING


@pytest.mark.parametrize('raw,value', [('3,10', (3, 10)), ('３，10', (3, 10)), ('3, 10', (3, 10)),
                                       ('3 10', (3, 10)), ('10,3', (3, 10)), ('3、10', (3, 10)),
                                       ('3;10', (3, 10)), (3.0, (3,)), ('3,3', (3,)),
                                       ('0', (0,)), ('3,', (3,)), ('人際困擾,3', (1, 3))])
def test_code_lists(raw, value):
    assert parse('sub_categories', raw).value == value


@pytest.mark.parametrize('raw', ['0,3', '1,2,3', '3,20', '3,,x'])
def test_code_list_invalid(raw):
    assert parse('sub_categories', raw).status == N.INVALID


def test_student_status_zero_excludes_others():
    assert parse('student_status', '0,9').status == N.INVALID
    assert parse('student_status', '8,9,11').value == (8, 9, 11)


@pytest.mark.parametrize('raw,value', [(3, 3), ('3', 3), ('３', 3), ('3.0', 3), (3.0, 3),
                                       (' 3 ', 3)])
def test_int(raw, value):
    assert parse('sessions', raw).value == value


@pytest.mark.parametrize('raw', [0, '0', 3.5, '三', '1,000', -1, 1000])
def test_int_invalid(raw):
    assert parse('sessions', raw).status == N.INVALID


def test_sex_labels_both_versions():
    for vid in ('111', '113'):
        p = N.parser_for(VERSIONS[vid].sheet('cases').column('sex'))
        assert p('生理女').value == 2 and p('女').value == 2 and p('1 男').value == 1
        assert p('2 生理女').value == 2


def test_text_cleaned():
    assert parse('teacher_code', ' Ｔ０１ ').value == 'T01'
    assert parse('teacher_code', 12.0).value == '12'
    assert parse('teacher_code', 'x' * 31).status == N.INVALID


def test_other_text():
    assert parse('main_other', 0).value is None
    assert parse('main_other', '０').value is None
    assert parse('main_other', ' 手足衝突 ').value == '手足衝突'


def test_school_code_leading_zero_restored():
    p = N.parse_school(83501)
    assert p.value == '083501' and p.status == N.NORMALISED
    assert N.parse_school('08C001').value == '08C001'
    assert N.parse_school('12345').status == N.INVALID


@pytest.mark.parametrize('raw', ['113年9月', '113/09', '113-09', '2024-09', '2024/9', '113.9',
                                 '民國113年09月', '１１３年９月', dt.date(2024, 9, 1),
                                 dt.datetime(2024, 9, 30, 0, 0), '2024-09-01'])
def test_year_month(raw):
    assert N.parse_year_month(raw) == (113, 9)


@pytest.mark.parametrize('raw', ['113年13月', '9月', 'abc', 11309, '113'])
def test_year_month_invalid(raw):
    assert N.parse_year_month(raw) is None


@pytest.mark.parametrize('text', ['A123456789', 'a123456789', 'A800000014', 'AB12345678',
                                  'Ａ１２３４５６７８９', '0912345678', '0912-345-678',
                                  '(02)29214630', '02-2921-4630', '04-7222121', 'kid@example.com',
                                  '聯絡 t.wang@mail.edu.tw 謝謝'])
def test_personal_data_detected(text):
    assert N.looks_personal(text)


@pytest.mark.parametrize('text', ['T01', 'S00012', '083501', '手足衝突', '12345678', 'A12345',
                                  '113年9月', '3,10'])
def test_not_personal(text):
    assert not N.looks_personal(text)


def test_personal_data_in_any_column_is_privacy():
    assert parse('student_code', 'A123456789').status == N.PRIVACY
    assert parse('main_other', '電話0912345678').status == N.PRIVACY
