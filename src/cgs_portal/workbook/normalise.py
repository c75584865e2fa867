"""Normalisation of the values people really type into a cell.

Every parser returns a :class:`Parsed` tuple ``(value, status, message, fix)``:
``status`` is :data:`OK`, :data:`NORMALISED` (accepted after cleaning: full-width
digits, stray spaces, numbers stored as text, a code typed with or as its label …),
:data:`MISSING` (blank) or :data:`INVALID`.  Nothing ambiguous is guessed: a code whose
label disagrees with its number, or a label that matches no code, is invalid.

Parsers are built per column by :func:`parser_for` and memoise their results per raw
value, because a month's workbook repeats the same few values thousands of times.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from typing import NamedTuple

OK, NORMALISED, MISSING, INVALID, PRIVACY = 0, 1, 2, 3, 4

PRIVACY_MESSAGE = '請勿填寫可識別個人身分之資料'


class Parsed(NamedTuple):
    value: object
    status: int
    message: str = ''
    fix: str = ''


_SPACES = re.compile(r'\s+')
_INT = re.compile(r'^\+?(\d{1,9})(?:\.0*)?$')
_CODE_LABEL = re.compile(r'^(\d{1,3})\s*[.、:\-_)]?\s*(.*)$')
_LIST_SPLIT = re.compile(r'[,;、/]')

# Taiwan national ID (A123456789), resident certificates old (AB12345678) and new
# (A800000014); mobile and landline phone numbers; e-mail addresses.
_ID_RE = re.compile(r'(?<![A-Za-z0-9])[A-Za-z][12ABCDabcd89]\d{8}(?![0-9])')
_PHONE_RE = re.compile(
    r'(?<![0-9])(?:09\d{2}[- ]?\d{3}[- ]?\d{3}|\(0\d{1,2}\)[- ]?\d{3,4}[- ]?\d{4}'
    r'|0\d{1,2}-\d{3,4}-?\d{4}|0[2-8]\d{7,8})(?![0-9])')
_EMAIL_RE = re.compile(r'[\w.+-]+@[\w-]+(?:\.[\w-]+)+')


def clean(text: str) -> str:
    """NFKC (full-width to half-width), trim, collapse inner whitespace."""
    if text.isascii():
        return ' '.join(text.split())
    return _SPACES.sub(' ', unicodedata.normalize('NFKC', text)).strip()


def label_key(text: str) -> str:
    """A label compared loosely: NFKC, no whitespace."""
    return _SPACES.sub('', unicodedata.normalize('NFKC', text))


def is_blank(raw) -> bool:
    return raw is None or raw == '' or (type(raw) is str and not raw.strip())


def looks_personal(text: str) -> bool:
    """True when ``text`` looks like a national ID, a phone number or an e-mail address."""
    if not text or len(text) < 5:
        return False
    t = unicodedata.normalize('NFKC', text)
    if '@' in t and _EMAIL_RE.search(t):
        return True
    return len(t) >= 8 and bool(_ID_RE.search(t) or _PHONE_RE.search(t))


def as_text(raw) -> str:
    """The raw value as a user would read it, for messages."""
    if raw is None:
        return ''
    if type(raw) is float and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, _dt.datetime):
        return raw.strftime('%Y-%m-%d %H:%M') if (raw.hour or raw.minute) else raw.strftime('%Y-%m-%d')
    if isinstance(raw, _dt.date):
        return raw.strftime('%Y-%m-%d')
    return str(raw)[:100]


def parse_int(raw, lo=None, hi=None) -> Parsed:
    if is_blank(raw):
        return Parsed(None, MISSING, '此欄不可空白', '請填入整數；沒有請填 0' if lo == 0 else '請填入整數')
    status = OK
    t = type(raw)
    if t is bool:
        return Parsed(None, INVALID, '應為整數', '請填入整數')
    if t is int:
        n = raw
    elif t is float:
        if not raw.is_integer():
            return Parsed(None, INVALID, '應為整數，不可有小數', '請填入整數')
        n = int(raw)
    elif t is str:
        s = clean(raw).replace(' ', '')
        m = _INT.match(s)
        if not m:
            return Parsed(None, INVALID, '應為整數', '請填入整數，不要填文字或符號')
        n = int(m.group(1))
        if raw != str(n):
            status = NORMALISED
    else:
        return Parsed(None, INVALID, '應為整數', '請填入整數')
    if lo is not None and n < lo:
        return Parsed(None, INVALID, f'數值不可小於 {lo}', f'請填入 {lo} 以上的整數')
    if hi is not None and n > hi:
        return Parsed(None, INVALID, f'數值不可大於 {hi}', f'請填入 {hi} 以下的整數')
    return Parsed(n, status)


def _codes_hint(codes) -> str:
    if len(codes) <= 6:
        return '、'.join(f'{c} {label}' for c, label in codes)
    return f'{codes[0][0]}–{codes[-1][0]} 的代碼（見填報說明或下拉選單）'


class CodeTable:
    """Lookup of one code list: by number, by label, by "number label"."""

    def __init__(self, codes, aliases=None):
        self.codes = tuple(codes)
        self.by_code = dict(self.codes)
        self.by_label = {label_key(label): code for code, label in self.codes}
        for label, code in (aliases or {}).items():
            if code in self.by_code:
                self.by_label.setdefault(label_key(label), code)
        self.hint = _codes_hint(self.codes)

    def one(self, raw) -> Parsed:
        """Parse one code (no blank handling)."""
        t = type(raw)
        if t is int or t is float:
            if t is float and not raw.is_integer():
                return Parsed(None, INVALID, '代碼應為整數', f'請填入 {self.hint}')
            n = int(raw)
            if n in self.by_code:
                return Parsed(n, OK)
            return Parsed(None, INVALID, f'代碼 {n} 不在允許的範圍內', f'請填入 {self.hint}')
        if t is not str:
            return Parsed(None, INVALID, '應填代碼', f'請填入 {self.hint}')
        s = clean(raw)
        m = _INT.match(s.replace(' ', ''))
        if m:
            n = int(m.group(1))
            if n not in self.by_code:
                return Parsed(None, INVALID, f'代碼 {n} 不在允許的範圍內', f'請填入 {self.hint}')
            return Parsed(n, OK if raw == str(n) else NORMALISED)
        m = _CODE_LABEL.match(s)
        if m:
            n = int(m.group(1))
            rest = m.group(2).strip()
            if n not in self.by_code:
                return Parsed(None, INVALID, f'代碼 {n} 不在允許的範圍內', f'請填入 {self.hint}')
            if rest:
                rest = rest.strip('()（） ')
                if self.by_label.get(label_key(rest)) != n:
                    return Parsed(None, INVALID, f'代碼 {n} 與名稱「{rest}」不一致',
                                  f'請只填代碼 {n}（{self.by_code[n]}），或改填正確的代碼')
                return Parsed(n, NORMALISED)
            return Parsed(n, OK if raw == str(n) else NORMALISED)
        code = self.by_label.get(label_key(s))
        if code is not None:
            return Parsed(code, NORMALISED)
        return Parsed(None, INVALID, f'無法辨識「{s[:30]}」', f'請填入 {self.hint}')


def parse_code(raw, table: CodeTable) -> Parsed:
    if is_blank(raw):
        return Parsed(None, MISSING, '此欄不可空白', f'請填入 {table.hint}')
    return table.one(raw)


def parse_codes(raw, table: CodeTable, max_items=None, zero_alone=False) -> Parsed:
    """A comma-separated list of codes → a sorted tuple without repeats."""
    if is_blank(raw):
        return Parsed(None, MISSING, '此欄不可空白', f'請填入 {table.hint}；沒有請填 0'
                      if 0 in table.by_code else f'請填入 {table.hint}')
    t = type(raw)
    if t is not str:
        p = table.one(raw)
        return Parsed((p.value,), p.status, p.message, p.fix) if p.status < MISSING else p
    s = clean(raw)
    parts = [p.strip() for p in _LIST_SPLIT.split(s)]
    if len(parts) == 1 and ' ' in s:
        tokens = s.split(' ')
        if all(tok.isdigit() for tok in tokens):
            parts = tokens
    parts = [p for p in parts if p]
    if not parts:
        return Parsed(None, MISSING, '此欄不可空白', f'請填入 {table.hint}')
    values = []
    for part in parts:
        p = table.one(part)
        if p.status >= MISSING:
            return Parsed(None, INVALID, p.message, p.fix + '；多個代碼請以逗號分隔')
        values.append(p.value)
    value = tuple(sorted(set(values)))
    if zero_alone and 0 in value and len(value) > 1:
        return Parsed(None, INVALID, '0 表示「無」，不可與其他代碼同時填寫',
                      '請只填 0，或刪除 0 只保留其他代碼')
    if max_items is not None and len(value) > max_items:
        return Parsed(None, INVALID, f'最多只能填 {max_items} 項',
                      f'請保留最重要的 {max_items} 項，以逗號分隔')
    canonical = ','.join(str(v) for v in value)
    return Parsed(value, OK if raw == canonical else NORMALISED)


def parse_text(raw, max_len=30) -> Parsed:
    if is_blank(raw):
        return Parsed(None, MISSING, '此欄不可空白', '請填入代碼')
    t = type(raw)
    if t is str:
        s = clean(raw)
        status = OK if s == raw else NORMALISED
    elif t is int or (t is float and raw.is_integer()):
        s, status = str(int(raw)), OK
    else:
        return Parsed(None, INVALID, '應為文字代碼', '請填入文字代碼')
    if len(s) > max_len:
        return Parsed(None, INVALID, f'內容過長（超過 {max_len} 字）', '請填入簡短的代碼')
    return Parsed(s, status)


def parse_other(raw, max_len=100) -> Parsed:
    """「其他說明」: ``0`` (none) → value ``None``; text otherwise."""
    if is_blank(raw):
        return Parsed(None, MISSING, '此欄不可空白', '請填寫說明；不適用時請填 0')
    t = type(raw)
    if t is int or t is float:
        if raw == 0:
            return Parsed(None, OK)
        return Parsed(as_text(raw), OK)
    if t is not str:
        return Parsed(None, INVALID, '應為文字說明', '請填寫文字說明；不適用時請填 0')
    s = clean(raw)
    if s in ('0', '0.0'):
        return Parsed(None, OK if raw == '0' else NORMALISED)
    if len(s) > max_len:
        return Parsed(None, INVALID, f'說明過長（超過 {max_len} 字）', '請精簡說明')
    return Parsed(s, OK if s == raw else NORMALISED)


_SCHOOL = re.compile(r'^[0-9A-Z]{6}$')


def parse_school(raw) -> Parsed:
    if is_blank(raw):
        return Parsed(None, MISSING, '此欄不可空白', '請填入 6 碼學校代碼')
    t = type(raw)
    if t is int or (t is float and raw.is_integer()):
        s = str(int(raw))
        if len(s) == 5:  # Excel dropped the leading zero of e.g. 083501
            return Parsed('0' + s, NORMALISED)
        status = OK
    elif t is str:
        s = clean(raw).replace(' ', '').upper()
        status = OK if s == raw else NORMALISED
    else:
        return Parsed(None, INVALID, '應為 6 碼學校代碼', '請填入 6 碼學校代碼')
    if s == '0':
        return Parsed(None, OK)
    if not _SCHOOL.match(s):
        return Parsed(None, INVALID, '學校代碼應為 6 碼英數字', '請填入教育部 6 碼學校代碼')
    return Parsed(s, status)


_YM = re.compile(r'^(?:民國)?\s*(\d{2,4})\s*(?:年|/|-|\.)\s*(\d{1,2})\s*(?:月)?'
                 r'(?:\s*(?:/|-|\.)?\s*\d{1,2}\s*日?)?(?:\s+00:00(?::00)?)?$')


def parse_year_month(raw):
    """``(roc_year, month)`` from 113年9月, 113/09, 113-09, 2024-09 or an Excel date."""
    if isinstance(raw, _dt.date):
        return (raw.year - 1911, raw.month)
    if type(raw) is not str:
        return None
    s = clean(raw)
    m = _YM.match(s)
    if not m:
        return None
    year, month = int(m.group(1)), int(m.group(2))
    if year >= 1912:
        year -= 1911
    if not (1 <= month <= 12) or not (1 <= year <= 300):
        return None
    return (year, month)


class ColumnParser:
    """A memoising ``raw -> Parsed`` function for one schema column.

    ``ok`` maps raw values already seen to their value when they were accepted as they
    are (status OK); the validator's hot loop reads it directly to skip the call.
    """

    __slots__ = ('base', 'cache', 'ok')

    def __init__(self, base):
        self.base = base
        self.cache = {}
        self.ok = {}

    def __call__(self, raw) -> Parsed:
        if raw is True or raw is False:
            return Parsed(None, INVALID, '不可填入 TRUE/FALSE', '請依填報說明填寫')
        try:
            hit = self.cache.get(raw)
        except TypeError:
            return self.base(raw)
        if hit is not None:
            return hit
        if type(raw) is str and looks_personal(raw):
            result = Parsed(None, PRIVACY, PRIVACY_MESSAGE,
                            '請刪除身分證字號、電話或電子郵件，改填學校自編代號')
        else:
            result = self.base(raw)
        if len(self.cache) < 50000:
            self.cache[raw] = result
            if result.status == OK:
                self.ok[raw] = result.value
        return result


def parser_for(column) -> ColumnParser:
    """The memoising parser of one schema column."""
    kind = column.kind
    if kind == 'int':
        lo, hi = column.min, column.max

        def base(raw):
            return parse_int(raw, lo, hi)
    elif kind == 'code':
        table = CodeTable(column.codes, column.aliases)

        def base(raw):
            return parse_code(raw, table)
    elif kind == 'codes':
        table = CodeTable(column.codes, column.aliases)
        max_items, zero_alone = column.max_items, column.zero_alone

        def base(raw):
            return parse_codes(raw, table, max_items, zero_alone)
    elif kind == 'other':
        base = parse_other
    elif kind == 'school':
        base = parse_school
    else:
        base = parse_text
    return ColumnParser(base)
