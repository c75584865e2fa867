"""Validation of an uploaded monthly workbook: the public entry point and its value objects."""

from __future__ import annotations

import logging
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from . import normalise as N
from .aggregates import build_aggregates
from .codes import LEVEL_GRADES
from .reader import Book, FileRefused, open_book, parse_ref, scan_sheet
from .rules import MAX_SESSIONS_PER_TEACHER, ROW_RULES
from .schema import VERSION_STAMP_NAME, VERSIONS, family_of_level, version_in_force

log = logging.getLogger(__name__)

MAX_PROBLEMS = 20_000
MSG_INTERNAL = ('系統無法處理此檔案。請確認檔案是以下載的範本填寫並存成 .xlsx，'
                '若問題持續請聯絡系統客服。')


@dataclass(frozen=True)
class FilingContext:
    """Who files which month: everything the rules need to know about the filing."""
    unit_code: str
    unit_name: str
    level: str
    roc_year: int
    month: int
    academic_year: int
    grades: tuple | None = None
    county_school_codes: frozenset = frozenset()
    max_bytes: int = 10 * 1024 * 1024

    @property
    def allowed_grades(self) -> tuple:
        if self.grades is not None:
            return tuple(self.grades)
        return LEVEL_GRADES.get(self.level, tuple(range(1, 13)))

    @property
    def family(self) -> str:
        return family_of_level(self.level)


@dataclass
class Problem:
    sheet: str
    sheet_key: str | None
    row: int | None
    column: str | None
    header: str | None
    value: str
    message: str
    fix: str
    severity: str = 'error'      # 'error' | 'warning'
    kind: str = 'invalid'        # 'missing' (yellow) | 'invalid' (red) | 'file'

    @property
    def cell(self) -> str | None:
        if self.row is None or self.column is None:
            return None
        return f'{self.column}{self.row}'


@dataclass
class ValidationResult:
    fatal: str | None = None
    version: str | None = None
    problems: list = field(default_factory=list)
    rows: dict = field(default_factory=dict)
    summary: dict = field(default_factory=dict)
    aggregates: dict = field(default_factory=dict)

    @property
    def errors(self) -> list:
        return [p for p in self.problems if p.severity == 'error']

    @property
    def warnings(self) -> list:
        return [p for p in self.problems if p.severity == 'warning']

    @property
    def ok(self) -> bool:
        return self.fatal is None and not any(p.severity == 'error' for p in self.problems)


def _fatal(message: str, version: str | None = None, sheet: str = '', sheet_key=None,
           row=None, column=None, header=None, value='') -> ValidationResult:
    problem = Problem(sheet, sheet_key, row, column, header, value, message,
                      '請修正後重新上傳', 'error', 'file')
    return ValidationResult(fatal=message, version=version, problems=[problem],
                            summary={'rows': {}, 'problems': {'error': 1, 'warning': 0,
                                                              'file': 1}})


def validate_workbook(data, ctx: FilingContext) -> ValidationResult:
    """Validate one uploaded workbook for one filing; never raises."""
    try:
        raw = _load(data, ctx.max_bytes)
        return _validate(raw, ctx)
    except FileRefused as refused:
        return _fatal(refused.message)
    except MemoryError:
        return _fatal('檔案內容過大，系統無法處理。請確認檔案只有本月資料。')
    except Exception:  # noqa: BLE001 - the contract is: never raise
        log.exception('workbook validation failed')
        return _fatal(MSG_INTERNAL)


def _load(data, max_bytes: int) -> bytes:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    if isinstance(data, (str, os.PathLike)):
        try:
            size = os.stat(data).st_size
        except OSError:
            raise FileRefused('找不到上傳的檔案，請重新上傳。') from None
        if size > max_bytes:
            raise FileRefused(f'檔案過大（{size / 1048576:.1f} MB），上限為 '
                              f'{max_bytes / 1048576:.0f} MB。請確認檔案只有本月資料，並刪除多餘的'
                              '工作表、圖片或格式。')
        with open(data, 'rb') as fh:
            return fh.read(max_bytes + 1)
    if hasattr(data, 'read'):
        return data.read(max_bytes + 1)
    raise FileRefused(MSG_INTERNAL)


def match_sheet(title: str, names: list) -> str | None:
    """The workbook's sheet for a schema title: exact, else equal up to spaces/width."""
    if title in names:
        return title
    key = N.label_key(title)
    for name in names:
        if N.label_key(name) == key:
            return name
    return None


def _header_mismatches(spec, values) -> list:
    row = values[spec.header_row - 1] if len(values) >= spec.header_row else []
    found = [N.label_key(N.as_text(v)) if v != '' else '' for v in row]
    out = []
    for j, col in enumerate(spec.columns):
        have = found[j] if j < len(found) else ''
        if have != N.label_key(col.header):
            out.append((j, col, row[j] if j < len(row) else ''))
    return out


def _detect_version(book: Book, family: str, in_force, sheets: dict):
    """The version from the hidden stamp, else from the header rows."""
    stamp = book.defined_names.get(VERSION_STAMP_NAME)
    if stamp:
        version = VERSIONS.get(stamp)
        if version is None:
            raise FileRefused(f'無法辨識的範本版本「{stamp[:20]}」，請下載「{in_force.label}」範本重新填寫。')
        return version
    candidates = []
    for version in VERSIONS.values():
        if version.family != family:
            continue
        if all(not _header_mismatches(spec, sheets[spec.key][1]) for spec in version.sheets):
            candidates.append(version)
    if in_force in candidates or not candidates:
        return in_force
    return max(candidates, key=lambda v: v.first_academic_year)


def _validate(data: bytes, ctx: FilingContext) -> ValidationResult:
    book = open_book(data, ctx.max_bytes)
    family = ctx.family
    in_force = version_in_force(family, ctx.academic_year)
    stamp = book.defined_names.get(VERSION_STAMP_NAME)
    stamped = VERSIONS.get(stamp) if stamp else None
    if stamped is not None and stamped.family != family:
        kind = '輔諮中心' if stamped.family == 'B' else '學校'
        return _fatal(f'此檔案是{kind}使用的範本（{stamped.label}），本單位請下載「{in_force.label}」範本填寫。',
                      stamped.id)
    if not book.sheet_names:
        return _fatal('活頁簿中沒有任何工作表，請下載範本重新填寫。')
    # Titles are the same across versions of a family.
    sheets = {}
    for spec in in_force.sheets:
        title = match_sheet(spec.title, book.sheet_names)
        if title is None:
            listed = '、'.join(f'「{n}」' for n in book.sheet_names[:6])
            return _fatal(f'找不到工作表「{spec.title}」（檔案中的工作表：{listed}）。'
                          f'請使用下載的「{in_force.label}」範本，勿更改或刪除工作表名稱。')
        scan = scan_sheet(book, title)
        values, merged = book.values(title)
        sheets[spec.key] = (title, values, merged, scan)
    version = _detect_version(book, family, in_force, sheets)
    if version.id != in_force.id:
        return _fatal(f'範本版本不符：此檔案為「{version.label}」範本，{ctx.academic_year}學年度'
                      f'請下載「{in_force.label}」範本重新填寫後上傳。', version.id)
    for spec in version.sheets:
        title, values, _, _ = sheets[spec.key]
        bad = _header_mismatches(spec, values)
        if bad:
            return _fatal(_header_message(spec, title, values, bad, version), version.id, title,
                          spec.key, spec.header_row, spec.letters[bad[0][0]],
                          bad[0][1].header, N.as_text(bad[0][2]))
    result = ValidationResult(version=version.id)
    checker = _Checker(ctx, version, result)
    fatal = checker.check_meta(sheets)
    if fatal:
        return _fatal(fatal, version.id)
    for spec in version.sheets:
        checker.check_sheet(spec, *sheets[spec.key])
    if not any(checker.rows.values()):
        return _fatal('檔案中沒有任何個案或服務資料。若本月無個案及服務，請改選「當月無個案及服務」；'
                      '否則請填寫資料後再上傳。', version.id)
    checker.finish()
    return result


def _header_message(spec, title, values, bad, version) -> str:
    row = values[spec.header_row - 1] if len(values) >= spec.header_row else []
    found = {N.label_key(N.as_text(v)): j for j, v in enumerate(row) if v != ''}
    parts = []
    for j, col, have in bad[:3]:
        letter = spec.letters[j]
        where = found.get(N.label_key(col.header))
        if where is not None:
            parts.append(f'「{col.header}」應在 {letter} 欄，檔案中在 {spec.letters[where] if where < len(spec.letters) else "其他"} 欄')
        elif have in ('', None):
            parts.append(f'{letter} 欄應為「{col.header}」，檔案中是空白')
        else:
            parts.append(f'{letter} 欄應為「{col.header}」，檔案中為「{N.as_text(have)[:30]}」')
    more = f'等 {len(bad)} 處' if len(bad) > 3 else ''
    return (f'工作表「{title}」第 {spec.header_row} 列的欄位標題與「{version.label}」範本不符：'
            + '；'.join(parts) + more + '。請勿新增、刪除、移動或改名欄位，請使用下載的範本填寫。')


class _Checker:
    def __init__(self, ctx, version, result):
        self.ctx = ctx
        self.version = version
        self.result = result
        self.problems = result.problems
        self.rows = {}
        self.normalised = Counter()
        self.counts = Counter()
        self.by_column = defaultdict(Counter)
        self.hidden = 0
        self.truncated = False

    def add(self, problem: Problem):
        self.counts[(problem.sheet_key, problem.severity, problem.kind)] += 1
        if problem.header:
            self.by_column[problem.sheet_key or ''][problem.header] += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        else:
            self.truncated = True

    # -- the header cells: unit and month ------------------------------------------
    def check_meta(self, sheets) -> str | None:
        ctx = self.ctx
        seen_unit = seen_month = False
        first = None
        for spec in self.version.sheets:
            title, values, _, _ = sheets[spec.key]
            top = values[0] if values else []
            meta = spec.meta_cells

            def cell(ref, top=top):
                col = parse_ref(ref)[1] - 1
                return top[col] if col < len(top) else ''
            unit = cell(meta['unit_code'][1])
            if not N.is_blank(unit):
                seen_unit = True
                code = N.as_text(unit).strip().upper()
                code = N.clean(code)
                if len(code) == 5 and code.isdigit():
                    code = '0' + code
                if code != ctx.unit_code.upper():
                    return (f'單位代碼不符：檔案「{title}」中為「{code[:20]}」，本單位為「{ctx.unit_code}」。'
                            '請確認是否上傳了其他單位的檔案。')
            ym_raw = cell(meta['year_month'][1])
            ym = N.parse_year_month(ym_raw) if not N.is_blank(ym_raw) else None
            if ym is None and not N.is_blank(ym_raw):
                ref = meta['year_month'][1]
                self.add(Problem(title, spec.key, 1, ref.rstrip('0123456789'), '填報年月',
                                 N.as_text(ym_raw), '無法辨識填報年月',
                                 f'請填寫如 {ctx.roc_year}年{ctx.month}月 或 {ctx.roc_year}/{ctx.month:02d}',
                                 'error', 'invalid'))
                seen_month = True
            if ym is None and top and type(top[0]) is str:
                ym = _title_year_month(top[0])
            if ym is not None:
                seen_month = True
                if ym != (ctx.roc_year, ctx.month):
                    return (f'填報年月不符：檔案「{title}」為 {ym[0]}年{ym[1]}月，本次填報的是 '
                            f'{ctx.roc_year}年{ctx.month}月。請確認月份後重新上傳。')
            if first is None:
                first = (title, spec)
        title, spec = first
        if not seen_unit:
            ref = spec.meta_cells['unit_code'][1]
            self.add(Problem(title, spec.key, 1, ref.rstrip('0123456789'), '單位代碼', '',
                             '未填寫單位代碼', f'請填入本單位代碼 {ctx.unit_code}', 'error', 'missing'))
        if not seen_month:
            ref = spec.meta_cells['year_month'][1]
            self.add(Problem(title, spec.key, 1, ref.rstrip('0123456789'), '填報年月', '',
                             '未填寫填報年月', f'請填入 {ctx.roc_year}年{ctx.month}月', 'error', 'missing'))
        return None

    # -- one data sheet ---------------------------------------------------------------
    def check_sheet(self, spec, title, values, merged, scan):
        ctx = self.ctx
        cols = spec.columns
        n = len(cols)
        keys = [c.key for c in cols]
        headers = [c.header for c in cols]
        letters = spec.letters
        parsers = [N.parser_for(c) for c in cols]
        rules = [(ROW_RULES[name], params) for name, params in spec.row_rules]
        first = spec.first_data_row
        sheet_key = spec.key
        add = self.add
        normalised = 0
        cell_problems = {}     # (row, col index) -> (message, fix) forced problems
        for (r0, c0), (r1, c1) in merged:
            if r1 + 1 < first or c0 >= n:
                continue
            if c0 == c1:
                anchor = values[r0][c0] if r0 < len(values) and c0 < len(values[r0]) else ''
                for r in range(max(r0 + 1, first - 1), r1 + 1):
                    if r < len(values) and c0 < len(values[r]):
                        values[r][c0] = anchor
                        normalised += 1
            else:
                for r in range(max(r0, first - 1), r1 + 1):
                    for c in range(c0, min(c1, n - 1) + 1):
                        if (r, c) != (r0, c0):
                            cell_problems[(r + 1, c)] = ('合併儲存格：此格與其他欄合併',
                                                         '請取消合併儲存格，每一格分別填寫')
        for (r, c) in scan.formula_without_value:
            if r >= first and c <= n:
                cell_problems[(r, c - 1)] = ('公式沒有計算結果，無法讀取數值',
                                             '請在 Excel 中重新計算並存檔，或直接填入數值（不要用公式）')
        forced_rows = {r for r, _ in cell_problems}
        out = []
        blank = ('', None)
        is_blank = N.is_blank
        looks_personal = N.looks_personal
        for idx in range(first - 1, len(values)):
            raw_row = values[idx]
            excel_row = idx + 1
            cells = raw_row[:n]
            if len(cells) < n:
                cells = cells + [''] * (n - len(cells))
            if excel_row not in forced_rows:
                empty = True
                for v in cells:
                    if v not in blank and not (type(v) is str and not v.strip()):
                        empty = False
                        break
                if empty:
                    extra = raw_row[n:]
                    if not any(type(v) is str and looks_personal(v) for v in extra):
                        continue
            row = {}
            bad = set()
            row_errors = False
            for j in range(n):
                raw = cells[j]
                p = parsers[j](raw)
                status = p[1]
                if status == 0:
                    row[keys[j]] = p[0]
                    continue
                if status == 1:
                    row[keys[j]] = p[0]
                    normalised += 1
                    continue
                row[keys[j]] = None
                bad.add(keys[j])
                row_errors = True
                add(Problem(title, sheet_key, excel_row, letters[j], headers[j], N.as_text(raw),
                            p[2], p[3], 'error', 'missing' if status == 2 else 'invalid'))
            if excel_row in forced_rows:
                for j in range(n):
                    forced = cell_problems.get((excel_row, j))
                    if forced:
                        row[keys[j]] = None
                        bad.add(keys[j])
                        row_errors = True
                        # Replace a 'missing' report of the same cell by the real cause.
                        self._drop(title, excel_row, letters[j])
                        add(Problem(title, sheet_key, excel_row, letters[j], headers[j],
                                    N.as_text(cells[j]), forced[0], forced[1], 'error', 'invalid'))
            for rule, params in rules:
                for f in rule(row, ctx, bad, **params):
                    j = keys.index(f.field)
                    if f.severity == 'error':
                        row_errors = True
                        bad.add(f.field)
                    add(Problem(title, sheet_key, excel_row, letters[j], headers[j],
                                N.as_text(cells[j]), f.message, f.fix, f.severity, f.kind))
            if len(raw_row) > n:
                for j in range(n, len(raw_row)):
                    v = raw_row[j]
                    if type(v) is str and looks_personal(v):
                        row_errors = True
                        add(Problem(title, sheet_key, excel_row, _letter(j), None, v[:100],
                                    N.PRIVACY_MESSAGE, '請刪除身分證字號、電話或電子郵件', 'error',
                                    'invalid'))
            row['_row'] = excel_row
            row['_ok'] = not row_errors
            out.append(row)
        del is_blank
        self._unique(spec, title, out)
        hidden = [r for r in scan.hidden_rows if r >= first and r <= len(values)]
        if hidden:
            self.hidden += len(hidden)
            shown = '、'.join(str(r) for r in hidden[:10]) + ('…' if len(hidden) > 10 else '')
            add(Problem(title, sheet_key, hidden[0], None, None, '',
                        f'第 {shown} 列為隱藏列，其中的資料仍會一併填報',
                        '請取消隱藏確認內容，不需要的列請刪除', 'warning', 'invalid'))
        self.rows[sheet_key] = out
        self.normalised[sheet_key] += normalised
        self.result.rows[sheet_key] = out
        self._titles = getattr(self, '_titles', {})
        self._titles[sheet_key] = (title, spec)

    def _drop(self, title, row, column):
        for i in range(len(self.problems) - 1, -1, -1):
            p = self.problems[i]
            if p.row != row:
                break
            if p.sheet == title and p.column == column:
                self.counts[(p.sheet_key, p.severity, p.kind)] -= 1
                del self.problems[i]

    def _unique(self, spec, title, rows):
        if not spec.unique:
            return
        keys = spec.unique
        seen = {}
        target = 'student_code' if 'student_code' in keys else keys[-1]
        j = [c.key for c in spec.columns].index(target)
        labels = '、'.join(spec.column(k).header for k in keys)
        for row in rows:
            key = tuple(row.get(k) for k in keys)
            if any(v is None for k, v in zip(keys, key, strict=True) if not k.endswith('other')):
                continue
            if key in seen:
                row['_ok'] = False
                self.add(Problem(title, spec.key, row['_row'], spec.letters[j],
                                 spec.columns[j].header, N.as_text(row.get(target)),
                                 f'與第 {seen[key]} 列重複（{labels}相同）',
                                 '同一組資料只能填一列，請合併或刪除重複的列', 'error', 'invalid'))
            else:
                seen[key] = row['_row']

    # -- workbook level ----------------------------------------------------------------
    def finish(self):
        result = self.result
        cases = result.rows.get('cases', [])
        services = result.rows.get('services', [])
        titles = getattr(self, '_titles', {})
        # One teacher, one staff type.
        staff_of = {}
        for key in ('cases', 'services'):
            if key not in titles:
                continue
            title, spec = titles[key]
            j = [c.key for c in spec.columns].index('staff_type')
            for row in result.rows.get(key, []):
                t, s = row.get('teacher_code'), row.get('staff_type')
                if t is None or s is None:
                    continue
                if staff_of.setdefault(t, s) != s:
                    self.add(Problem(title, key, row['_row'], spec.letters[j],
                                     spec.columns[j].header, str(s),
                                     f'同一{spec.columns[j - 1].header}「{t}」填了不同的身分（{staff_of[t]} 與 {s}）',
                                     '請確認此人員的身分，各列應一致', 'warning', 'invalid'))
                    staff_of[t] = s
        # Sessions per teacher.
        if 'cases' in titles:
            title, spec = titles['cases']
            totals = Counter()
            for row in cases:
                if row.get('teacher_code') is not None and row.get('sessions') is not None:
                    totals[row['teacher_code']] += row['sessions']
            j = [c.key for c in spec.columns].index('sessions')
            for teacher, total in totals.items():
                if total > MAX_SESSIONS_PER_TEACHER:
                    self.add(Problem(title, 'cases', None, spec.letters[j], spec.columns[j].header,
                                     str(total),
                                     f'「{teacher}」本月晤談累積次數合計 {total} 次，超過 {MAX_SESSIONS_PER_TEACHER} 次',
                                     '請確認次數是否正確；若正確可忽略此提醒', 'warning', 'invalid'))
        good_cases = [r for r in cases if r['_ok']]
        good_services = [r for r in services if r['_ok']]
        result.aggregates = build_aggregates(self.version.family, self.version.id,
                                             good_cases, good_services)
        by_sheet = defaultdict(Counter)
        totals = Counter()
        for (sheet_key, severity, kind), count in self.counts.items():
            if count <= 0:
                continue
            by_sheet[sheet_key or 'file'][kind if severity == 'error' else 'warning'] += count
            totals[severity] += count
            if severity == 'error':
                totals[kind] += count
        result.summary = {
            'rows': {key: len(rows) for key, rows in result.rows.items()},
            'rows_ok': {'cases': len(good_cases), 'services': len(good_services)},
            'problems': {'error': totals['error'], 'warning': totals['warning'],
                         'missing': totals['missing'], 'invalid': totals['invalid'],
                         'file': totals['file']},
            'by_sheet': {k: dict(v) for k, v in by_sheet.items()},
            'by_column': {k: dict(v) for k, v in self.by_column.items()},
            'normalised': sum(self.normalised.values()),
            'normalised_by_sheet': dict(self.normalised),
            'hidden_rows': self.hidden,
            'truncated': self.truncated,
        }


def _letter(j: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(j + 1)


def _title_year_month(title: str):
    import re
    m = re.match(r'^\s*「?\s*(\d{2,4})\s*[-年/.]\s*(\d{1,2})(?!\d)', N.clean(title))
    if not m:
        return None
    return N.parse_year_month(f'{m.group(1)}-{m.group(2)}')


def compare_with_previous(result: ValidationResult, previous_aggregates: dict | None) -> list:
    """Warnings comparing this month with the previous one (e.g. 3× last month's cases)."""
    if not previous_aggregates or result.fatal:
        return []
    prev = (previous_aggregates.get('counts') or {}).get('cases', 0)
    now = len(result.rows.get('cases', []))
    out = []
    if prev > 0 and now > 3 * prev:
        out.append(Problem('', 'cases', None, None, None, str(now),
                           f'本月個案 {now} 列，超過上月（{prev} 列）的三倍',
                           '請確認是否重複填寫或誤填其他月份的資料；若正確可忽略此提醒',
                           'warning', 'invalid'))
    return out
