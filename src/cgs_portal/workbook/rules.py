"""Row rules of the workbook: every cross-column rule of the domain spec, in one place.

A schema names its rules as ``(name, params)`` pairs (``SheetSpec.row_rules``); each rule
is a function ``rule(row, ctx, bad, **params)`` yielding :class:`Finding` values.
``row`` maps field keys to parsed values (``None`` when the cell is missing or invalid,
in which case the field is in ``bad`` and rules depending on it stay silent, so a user
sees one message per cell).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .codes import SENIOR_LEVELS


class Finding(NamedTuple):
    field: str
    kind: str        # 'missing' | 'invalid'
    message: str
    fix: str
    severity: str = 'error'


def _as_set(value):
    if value is None:
        return ()
    return value if isinstance(value, tuple) else (value,)


def case_source(row, ctx, bad, senior_only=None):
    """個案來源 only for a new case, ``0`` for an old one; 6 only at senior-high level."""
    if 'case_status' in bad or 'case_source' in bad:
        return
    status, source = row.get('case_status'), row.get('case_source') or ()
    if status == 1:
        if 0 in source:
            yield Finding('case_source', 'invalid', '新案須填寫個案來源，不可填 0',
                          '請填入個案來源代碼（可複選，以逗號分隔）')
        elif senior_only is not None and senior_only in source:
            grade = row.get('grade')
            if ctx.level not in SENIOR_LEVELS and not (grade and grade >= 10):
                yield Finding('case_source', 'invalid',
                              f'個案來源 {senior_only} 線上預約管道僅限高中階段',
                              '請改填其他個案來源代碼')
    elif status == 2 and source != (0,):
        yield Finding('case_source', 'invalid', '舊案的個案來源應填 0',
                      '舊案請填 0；若為本月新開案，請將輔導概況改為 1')


def other_text(row, ctx, bad, code_field, text_field, code):
    """「其他說明」 required exactly when the 「其他」 code is chosen, else ``0``."""
    if code_field in bad or text_field in bad:
        return
    chosen = code in _as_set(row.get(code_field))
    text = row.get(text_field)
    if chosen and text is None:
        yield Finding(text_field, 'invalid', f'已選 {code} 其他，須填寫其他說明',
                      '請簡要說明「其他」的內容（勿填個人資料）')
    elif not chosen and text is not None:
        yield Finding(text_field, 'invalid', f'未選 {code} 其他，本欄應填 0',
                      f'請填 0；若確為其他，請在前一欄選 {code}')


def sub_categories(row, ctx, bad):
    """Secondary categories must not repeat the main one (count/zero rules are per column)."""
    if 'main_category' in bad or 'sub_categories' in bad:
        return
    main, subs = row.get('main_category'), row.get('sub_categories') or ()
    if main is not None and main in subs:
        yield Finding('sub_categories', 'invalid', f'副類別不可與主類別（{main}）重複',
                      '請刪除與主類別相同的代碼；沒有其他類別請填 0')


def grade_fits(row, ctx, bad, field):
    """A student grade (or a grade service target) must fit the unit's school level."""
    if field in bad:
        return
    value = row.get(field)
    if value is None or value > 12:
        return
    grades = ctx.allowed_grades
    if value not in grades:
        span = f'{min(grades)}–{max(grades)}' if grades else '—'
        yield Finding(field, 'invalid', f'年級 {value} 不符合本單位學制（{ctx.level}：{span} 年級）',
                      f'請填入 {span} 年級' + ('，或教職員、家長、專業人員' if field == 'target' else ''))


def male_plus_female(row, ctx, bad):
    if 'male' in bad or 'female' in bad:
        return
    if (row.get('male') or 0) + (row.get('female') or 0) <= 0:
        yield Finding('female', 'invalid', '服務人次(男)與服務人次(女)合計須大於 0',
                      '請填入實際服務人次；若本項沒有服務，請刪除此列')


_NAME_LIKE = re.compile(r'^[\u4e00-\u9fff]{2,4}$')


def student_code_looks_like_name(row, ctx, bad):
    code = row.get('student_code')
    if code and _NAME_LIKE.match(code):
        yield Finding('student_code', 'invalid', '學生代號疑似學生姓名',
                      '請改用學校自編代號（例如 S001），勿填學生姓名', 'warning')


def school_known(row, ctx, bad):
    code = row.get('school_code')
    if code and ctx.county_school_codes and code not in ctx.county_school_codes:
        yield Finding('school_code', 'invalid', f'學校代碼 {code} 不是本縣市的學校',
                      '請填入本縣市學校的 6 碼學校代碼')


ROW_RULES = {
    'case_source': case_source,
    'other_text': other_text,
    'sub_categories': sub_categories,
    'grade_fits': grade_fits,
    'male_plus_female': male_plus_female,
    'student_code_looks_like_name': student_code_looks_like_name,
    'school_known': school_known,
}

#: One teacher's monthly session total above which a warning is raised.
MAX_SESSIONS_PER_TEACHER = 60
