"""Declarative schemas of the monthly workbook, one :class:`TemplateSpec` per version.

A new template version is a data change: add a ``TemplateSpec`` to :data:`VERSIONS`
built from :class:`Column` and :class:`SheetSpec` values.  The reader, the validator,
the template builder and the guide all work from these objects only.

Column kinds:

``text``   free text (教師編碼, 學生代號 …), required, never blank.
``int``    a whole number within ``min``/``max``.
``code``   one code of ``codes``; the label or "code label" is accepted too.
``codes``  a comma-separated list of codes of ``codes`` (``max_items``, ``zero_alone``).
``other``  the 「其他說明」 text: required when the row rule asks for it, else ``0``.
``school`` a 6-character MOE school code (family B).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter

from . import codes as C

VERSION_STAMP_NAME = 'CGS_TEMPLATE_VERSION'


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    group: str
    kind: str
    meaning: str
    codes: tuple = ()
    min: int | None = None
    max: int | None = None
    max_items: int | None = None
    zero_alone: bool = False
    width: float = 12
    guidance: str = ''
    example: object = None
    aliases: dict = field(default_factory=dict)

    @property
    def code_map(self) -> dict:
        return dict(self.codes)

    def allowed_text(self) -> str:
        """The allowed values as shown in the guide."""
        if self.codes:
            return '、'.join(f'{c} {label}' for c, label in self.codes)
        if self.kind == 'int':
            if self.max is None:
                return f'整數，至少 {self.min}'
            return f'整數 {self.min}–{self.max}'
        if self.kind == 'other':
            return '文字說明；不適用時填 0'
        if self.kind == 'school':
            return '本縣市學校之 6 碼學校代碼'
        return '文字（勿填姓名、身分證字號、電話或電子郵件）'


@dataclass(frozen=True)
class SheetSpec:
    key: str                  # 'cases' | 'services'
    title: str                # sheet title in the workbook
    title_text: str           # row-1 title; {roc_year} {month} {unit_name}
    columns: tuple
    guidance_rows: tuple      # row numbers holding guidance text
    first_data_row: int
    row_rules: tuple = ()     # (rule name, params) pairs, see rules.ROW_RULES
    unique: tuple = ()        # field keys that must be unique together
    # Counts summed when rows share the unique key (services are recorded as they happen);
    # rows that also differ in 'same' stay a duplicate error. Empty: duplicates are errors.
    summed: tuple = ()
    same: tuple = ()
    title_row: int = 1
    group_row: int = 2
    header_row: int = 3

    @property
    def letters(self) -> tuple:
        return tuple(get_column_letter(i + 1) for i in range(len(self.columns)))

    @property
    def meta_cells(self) -> dict:
        """Cells right of the table on row 1: field -> (label cell, value cell, label)."""
        n = len(self.columns) + 2
        out = {}
        for i, (name, label) in enumerate((('unit_code', '單位代碼'),
                                           ('unit_name', '單位名稱'),
                                           ('year_month', '填報年月'))):
            out[name] = (f'{get_column_letter(n + 2 * i)}1',
                         f'{get_column_letter(n + 2 * i + 1)}1', label)
        return out

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)


@dataclass(frozen=True)
class TemplateSpec:
    id: str
    family: str               # 'A' school counselling teachers, 'B' county centres
    first_academic_year: int
    label: str
    sheets: tuple
    guide_title: str

    def sheet(self, key: str) -> SheetSpec:
        for sheet in self.sheets:
            if sheet.key == key:
                return sheet
        raise KeyError(key)


# -- column builders --------------------------------------------------------------------

def _teacher(family):
    if family == 'A':
        return Column('teacher_code', '教師編碼', '輔導教師', 'text',
                      '學校自行編定之輔導教師代碼，同一位教師各月份相同', width=11,
                      guidance='學校自編代碼', example='T01')
    return Column('teacher_code', '專業人員編碼', '專業人員', 'text',
                  '中心自行編定之專業人員代碼，同一人各月份相同', width=12,
                  guidance='中心自編代碼', example='P01')


def _staff(family):
    codes = C.STAFF_TYPES_A if family == 'A' else C.STAFF_TYPES_B
    return Column('staff_type', '身分', '輔導教師' if family == 'A' else '專業人員', 'code',
                  '輔導人力類型' if family == 'A' else '專業人員類別', codes=codes, width=14,
                  guidance='1–4', example=1)


def _school(group):
    return Column('school_code', '學校代碼', group, 'school',
                  '個案或服務所屬學校之 6 碼學校代碼（本縣市學校）', width=10,
                  guidance='6 碼代碼', example='083501')


def _case_columns(family, version):
    sex = C.SEX_113 if version >= 113 else C.SEX_111
    cols = []
    if family == 'B':
        cols.append(_school('個案學生'))
    cols += [
        _teacher(family),
        _staff(family),
        Column('student_code', '學生代號', '個案學生', 'text',
               '學校自編之學生代號，各月份相同；勿填姓名或身分證字號', width=11,
               guidance='自編代號', example='S001'),
        Column('grade', '學生年級', '個案學生', 'code', '學生年級（須符合學制）',
               codes=C.GRADES, width=10, guidance='1–12', example=7),
        Column('sex', '學生性別', '個案學生', 'code', '學生性別', codes=sex, width=10,
               guidance='1 男 2 女' if version < 113 else '1 生理男 2 生理女', example=2,
               aliases=C.SEX_ALIASES),
        Column('student_status', '學生身分', '個案學生', 'codes',
               '特殊教育學生身分，可複選以逗號分隔；非特教學生填 0',
               codes=C.STUDENT_STATUS, max_items=13, zero_alone=True, width=12,
               guidance='可複選，無則填0', example=0),
        Column('case_source', '個案來源', '個案概況', 'codes',
               '新案之個案來源，可複選以逗號分隔；舊案填 0',
               codes=C.CASE_SOURCES_A if family == 'A' else C.CASE_SOURCES_B,
               max_items=7, zero_alone=True, width=12,
               guidance='新案可複選；舊案填0', example=1),
        Column('case_status', '輔導概況', '個案概況', 'code', '新案或舊案',
               codes=C.CASE_STATUS, width=10, guidance='1 新案 2 舊案', example=1),
    ]
    if family == 'A':
        cols.append(Column('referral', '轉介概況', '個案概況', 'code', '轉介輔諮中心情形',
                           codes=C.REFERRALS, width=14, guidance='1–4', example=2))
    else:
        cols.append(Column('service_mode', '服務型態', '個案概況', 'code', '直接或間接服務',
                           codes=C.SERVICE_MODES, width=10, guidance='1 直接 2 間接',
                           example=1))
    cols += [
        Column('main_category', '個案類別(主)', '個案類別', 'code', '主要個案類別（單選）',
               codes=C.CATEGORIES, width=14, guidance='單選 1–19', example=5),
        Column('main_other', '個案類別(主)其他說明', '個案類別', 'other',
               '個案類別(主)為 19 其他時填寫說明，否則填 0', width=16,
               guidance='選19時填寫，否則填0', example=0),
        Column('sub_categories', '個案類別(副)', '個案類別', 'codes',
               '次要個案類別，至多 2 項，以逗號分隔，不可與主類別相同；無則填 0',
               codes=C.SUB_CATEGORIES, max_items=2, zero_alone=True, width=14,
               guidance='至多2項，無則填0', example=0),
        Column('sub_other', '個案類別(副)其他說明', '個案類別', 'other',
               '個案類別(副)含 19 其他時填寫說明，否則填 0', width=16,
               guidance='含19時填寫，否則填0', example=0),
        Column('sessions', '當月晤談累積次數(人次)', '晤談', 'int', '本月與該生晤談的累積次數',
               min=1, max=999, width=14, guidance='至少 1', example=2),
    ]
    if version >= 113 or family == 'B':
        cols.append(Column('closure', '結案情形', '結案', 'code', '本月結案情形',
                           codes=C.CLOSURE_A if family == 'A' else C.CLOSURE_B, width=12,
                           guidance='1–3', example=1))
    return tuple(cols)


def _service_columns(family, version):
    cols = []
    if family == 'B':
        cols.append(_school('服務對象'))
    cols += [
        _teacher(family),
        _staff(family),
        Column('service_item', '服務項目', '服務項目', 'code', '服務項目（單選）',
               codes=C.SERVICE_ITEMS, width=14, guidance='1–17', example=4),
        Column('item_other', '其他說明', '服務項目', 'other',
               '服務項目為 17 其他時填寫說明，否則填 0', width=14,
               guidance='選17時填寫，否則填0', example=0),
    ]
    if family == 'B':
        cols.append(Column('service_mode', '服務型態', '服務項目', 'code', '直接或間接服務',
                           codes=C.SERVICE_MODES, width=10, guidance='1 直接 2 間接',
                           example=1))
    cols += [
        Column('target', '對象', '服務對象', 'code', '服務對象（年級須符合學制）',
               codes=C.TARGETS, width=12, guidance='1–15', example=13),
        Column('male', '服務人次(男)', '服務人次', 'int', '男性服務人次；無則填 0',
               min=0, max=99999, width=12, guidance='無則填0', example=1),
        Column('female', '服務人次(女)', '服務人次', 'int', '女性服務人次；無則填 0',
               min=0, max=99999, width=12, guidance='男+女須大於0', example=2),
    ]
    if version >= 113:
        cols.append(Column('events', '場次', '場次', 'int', '本月該項服務之場次',
                           min=1, max=9999, width=8, guidance='至少 1', example=1))
    return tuple(cols)


_CASE_RULES = (
    ('case_source', {'senior_only': 6}),
    ('other_text', {'code_field': 'main_category', 'text_field': 'main_other', 'code': 19}),
    ('sub_categories', {}),
    ('other_text', {'code_field': 'sub_categories', 'text_field': 'sub_other', 'code': 19}),
    ('grade_fits', {'field': 'grade'}),
    ('student_code_looks_like_name', {}),
)
_SERVICE_RULES = (
    ('other_text', {'code_field': 'service_item', 'text_field': 'item_other', 'code': 17}),
    ('grade_fits', {'field': 'target'}),
    ('male_plus_female', {}),
)


def _family_a(version):
    return (
        SheetSpec('cases', '表A-1-輔導教師-1.當月個案',
                  '{roc_year}-{month} {unit_name}輔導教師工作成果(當月個案填報)',
                  _case_columns('A', version), guidance_rows=(4, 5), first_data_row=6,
                  row_rules=_CASE_RULES, unique=('teacher_code', 'student_code')),
        SheetSpec('services', '表A-2-輔導教師-2.相關服務',
                  '{roc_year}-{month} {unit_name}輔導教師工作成果(相關服務填報)',
                  _service_columns('A', version), guidance_rows=(4,), first_data_row=5,
                  row_rules=_SERVICE_RULES,
                  unique=('teacher_code', 'service_item', 'item_other', 'target'),
                  summed=_SUMMED, same=('staff_type',)),
    )


_SUMMED = ('male', 'female', 'events')     # 'events' where the version has it


def _family_b(version):
    rules_cases = (('case_source', {}),) + _CASE_RULES[1:] + (('school_known', {}),)
    rules_services = _SERVICE_RULES + (('school_known', {}),)
    return (
        SheetSpec('cases', '表B-1 當月個案',
                  '{roc_year}-{month} {unit_name}專業人員工作成果(當月個案填報)',
                  _case_columns('B', version), guidance_rows=(4, 5), first_data_row=6,
                  row_rules=rules_cases,
                  unique=('school_code', 'teacher_code', 'student_code')),
        SheetSpec('services', '表B-2 相關服務',
                  '{roc_year}-{month} {unit_name}專業人員工作成果(相關服務填報)',
                  _service_columns('B', version), guidance_rows=(4,), first_data_row=5,
                  row_rules=rules_services,
                  unique=('school_code', 'teacher_code', 'service_item', 'item_other',
                          'service_mode', 'target'),
                  summed=_SUMMED, same=('staff_type',)),
    )


VERSIONS: OrderedDict[str, TemplateSpec] = OrderedDict(
    (v.id, v) for v in (
        TemplateSpec('111', 'A', 111, '111學年度', _family_a(111), '填報說明-A-輔導教師'),
        TemplateSpec('113', 'A', 113, '113學年度', _family_a(113), '填報說明-A-輔導教師'),
        TemplateSpec('B111', 'B', 111, '111學年度（輔諮中心）', _family_b(111),
                        '填報說明-B-輔諮中心'),
        TemplateSpec('B113', 'B', 113, '113學年度（輔諮中心）', _family_b(113),
                        '填報說明-B-輔諮中心'),
    )
)


def version_in_force(family: str, academic_year: int) -> TemplateSpec:
    """The newest version of ``family`` in force in ``academic_year`` (ROC)."""
    found = None
    for version in VERSIONS.values():
        if version.family == family and version.first_academic_year <= academic_year:
            if found is None or version.first_academic_year > found.first_academic_year:
                found = version
    if found is None:
        # Years before the first known version use the oldest one of the family.
        found = min((v for v in VERSIONS.values() if v.family == family),
                    key=lambda v: v.first_academic_year)
    return found
