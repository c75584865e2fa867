"""Row rules of the workbook: every cross-column rule of the domain spec, in one place.

A schema names its rules as ``(name, params)`` pairs (``SheetSpec.row_rules``).  Rules run
column-wise, because they run on every row of every upload: each is a function
``rule(cols, ctx, params)`` where ``cols`` maps a field key to the list of that column's
parsed values (one per data row), and returns ``[(row position, Finding), …]``.  A cell
that is missing or invalid holds :data:`BAD` and rules depending on it stay silent, so a
user sees one message per cell.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .levels import SENIOR_LEVELS


class Finding(NamedTuple):
    field: str
    kind: str        # 'missing' | 'invalid'
    message: str
    fix: str
    severity: str = 'error'


class _Bad:
    """The parsed value of a missing or invalid cell: equal to nothing, contains nothing."""
    __slots__ = ()

    def __contains__(self, item):
        return False

    def __iter__(self):
        return iter(())

    def __bool__(self):
        return False

    def __repr__(self):
        return 'BAD'


BAD = _Bad()
_ZERO = (0,)


def _by_combination(columns, judge):
    """Run ``judge`` once per distinct combination of values, then place the findings.

    Rules are pure functions of a few cells, and a month's rows repeat the same few
    combinations, so this turns a per-row Python loop into set building in C."""
    verdicts = {combo: judge(*combo) for combo in set(zip(*columns, strict=True))}
    bad = {combo: finding for combo, finding in verdicts.items() if finding is not None}
    if not bad:
        return []
    return [(i, bad[combo]) for i, combo in enumerate(zip(*columns, strict=True)) if combo in bad]


def case_source(cols, ctx, params):
    """個案來源 only for a new case, ``0`` for an old one; 6 only at senior-high level."""
    senior_only = params.get('senior_only')
    senior_level = ctx.level in SENIOR_LEVELS

    def judge(status, source, grade):
        if source is BAD:
            return None
        if status == 1:
            if source == _ZERO:
                return Finding('case_source', 'invalid', '新案須填寫個案來源，不可填 0',
                               '請填入個案來源代碼（可複選，以逗號分隔）')
            if senior_only in source and not senior_level and not (
                    grade is not BAD and grade >= 10):
                return Finding('case_source', 'invalid',
                               f'個案來源 {senior_only} 線上預約管道僅限高中階段',
                               '請改填其他個案來源代碼')
        elif status == 2 and source != _ZERO:
            return Finding('case_source', 'invalid', '舊案的個案來源應填 0',
                           '舊案請填 0；若為本月新開案，請將輔導概況改為 1')
        return None
    return _by_combination((cols['case_status'], cols['case_source'], cols['grade']), judge)


def other_text(cols, ctx, params):
    """「其他說明」 required exactly when the 「其他」 code is chosen, else ``0``."""
    code_field, text_field, code = params['code_field'], params['text_field'], params['code']

    def judge(value, text):
        if value is BAD or text is BAD:
            return None
        chosen = code in value if value.__class__ is tuple else code == value
        if chosen and text is None:
            return Finding(text_field, 'invalid', f'已選 {code} 其他，須填寫其他說明',
                           '請簡要說明「其他」的內容（勿填個人資料）')
        if not chosen and text is not None:
            return Finding(text_field, 'invalid', f'未選 {code} 其他，本欄應填 0',
                           f'請填 0；若確為其他，請在前一欄選 {code}')
        return None
    return _by_combination((cols[code_field], cols[text_field]), judge)


def sub_categories(cols, ctx, params):
    """Secondary categories must not repeat the main one (count/zero rules are per column)."""
    def judge(main, subs):
        if main in subs:
            return Finding('sub_categories', 'invalid', f'副類別不可與主類別（{main}）重複',
                           '請刪除與主類別相同的代碼；沒有其他類別請填 0')
        return None
    return _by_combination((cols['main_category'], cols['sub_categories']), judge)


def grade_fits(cols, ctx, params):
    """A student grade (or a grade service target) must fit the unit's school level."""
    field = params['field']
    grades = ctx.allowed_grades
    values = cols[field]
    fine = set(grades) | set(range(13, 100)) | {BAD}
    if not set(values) - fine:
        return []
    span = f'{min(grades)}–{max(grades)}' if grades else '—'
    extra = '，或教職員、家長、專業人員' if field == 'target' else ''
    return [(i, Finding(field, 'invalid', f'年級 {value} 不符合本單位學制（{ctx.level}：{span} 年級）',
                        f'請填入 {span} 年級{extra}'))
            for i, value in enumerate(values) if value not in fine]


def male_plus_female(cols, ctx, params):
    pairs = list(zip(cols['male'], cols['female'], strict=True))
    if (0, 0) not in set(pairs):
        return []
    return [(i, Finding('female', 'invalid', '服務人次(男)與服務人次(女)合計須大於 0',
                        '請填入實際服務人次；若本項沒有服務，請刪除此列'))
            for i, pair in enumerate(pairs) if pair == (0, 0)]


_NAME_LIKE = re.compile(r'^[\u4e00-\u9fff]{2,4}$')


def student_code_looks_like_name(cols, ctx, params):
    codes = cols['student_code']
    names = {c for c in set(codes) if c.__class__ is str and not c.isascii() and _NAME_LIKE.match(c)}
    if not names:
        return []
    return [(i, Finding('student_code', 'invalid', '學生代號疑似學生姓名',
                        '請改用學校自編代號（例如 S001），勿填學生姓名', 'warning'))
            for i, code in enumerate(codes) if code in names]


def school_known(cols, ctx, params):
    known = ctx.county_school_codes
    if not known:
        return []
    return [(i, Finding('school_code', 'invalid', f'學校代碼 {code} 不是本縣市的學校',
                        '請填入本縣市學校的 6 碼學校代碼'))
            for i, code in enumerate(cols['school_code'])
            if code.__class__ is str and code not in known]


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
