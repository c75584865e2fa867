"""Validation of an uploaded monthly workbook: the public entry point and its value objects."""

from __future__ import annotations

import gc
import logging
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from itertools import repeat

from . import normalise as N
from .aggregates import aggregate_columns
from .levels import family_of_level, grades_of_level
from .ooxml import parse_ref
from .reader import Book, FileRefused, open_book, scan_sheet, too_big
from .rules import BAD, MAX_SESSIONS_PER_TEACHER, ROW_RULES
from .schema import VERSION_STAMP_NAME, VERSIONS, version_in_force

log = logging.getLogger(__name__)

MAX_PROBLEMS = 20_000
OK, NORMALISED, MISSING = N.OK, N.NORMALISED, N.MISSING
_CATEGORY = {N.MISSING: 'missing', N.INVALID: 'value', N.PRIVACY: 'privacy'}
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

    @cached_property
    def allowed_grades(self) -> tuple:
        if self.grades is not None:
            return tuple(self.grades)
        return grades_of_level(self.level)

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
    category: str = ''           # what was checked, for summary['by_category'] (see docs)

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
                      '請修正後重新上傳', 'error', 'file', 'file')
    return ValidationResult(fatal=message, version=version, problems=[problem],
                            summary={'rows': {}, 'problems': {'error': 1, 'warning': 0,
                                                              'file': 1}})


def validate_workbook(data, ctx: FilingContext) -> ValidationResult:
    """Validate one uploaded workbook for one filing; never raises."""
    gc_was_enabled = gc.isenabled()
    try:
        raw = _load(data, ctx.max_bytes)
        # Tens of thousands of small, acyclic objects: collecting them mid-way only costs.
        gc.disable()
        return _validate(raw, ctx)
    except FileRefused as refused:
        return _fatal(refused.message)
    except MemoryError:
        return _fatal('檔案內容過大，系統無法處理。請確認檔案只有本月資料。')
    except Exception:  # noqa: BLE001 - the contract is: never raise
        log.exception('workbook validation failed')
        return _fatal(MSG_INTERNAL)
    finally:
        if gc_was_enabled:
            gc.enable()


def _load(data, max_bytes: int) -> bytes:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    if isinstance(data, (str, os.PathLike)):
        try:
            size = os.stat(data).st_size
        except OSError:
            raise FileRefused('找不到上傳的檔案，請重新上傳。') from None
        if size > max_bytes:
            raise too_big(size, max_bytes)
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
    if not any(entry[3] for entry in checker.sheets.values()):
        return _fatal('檔案中沒有任何個案或服務資料。若本月無個案及服務，請改選「當月無個案及服務」；'
                      '否則請填寫資料後再上傳。', version.id)
    checker.finish()
    return result


def _header_message(spec, title, values, bad, version) -> str:
    expected = [N.label_key(c.header) for c in spec.columns]
    for r, other in enumerate(values[:12], start=1):
        if r != spec.header_row and [N.label_key(N.as_text(v)) for v in other[:len(expected)]] \
                == expected:
            return (f'工作表「{title}」的欄位標題列應在第 {spec.header_row} 列，檔案中在第 {r} 列。'
                    '請勿在標題上方插入或刪除列，請使用下載的範本填寫。')
    row = values[spec.header_row - 1] if len(values) >= spec.header_row else []
    found = {N.label_key(N.as_text(v)): j for j, v in enumerate(row) if v != ''}
    parts = []
    for j, col, have in bad[:3]:
        letter = spec.letters[j]
        where = found.get(N.label_key(col.header))
        if where is not None:
            parts.append(f'「{col.header}」應在 {letter} 欄，檔案中在 {_letter(where)} 欄')
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
        self.normalised = Counter()
        self.counts = Counter()
        self.by_column = defaultdict(Counter)
        self.hidden = 0
        self.truncated = False
        self.sheets = {}
        self.by_category = Counter()

    def add(self, problem: Problem):
        self.counts[(problem.sheet_key, problem.severity, problem.kind)] += 1
        self.by_category[problem.category or problem.kind] += 1
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
                                 'error', 'invalid', 'header'))
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
                             '未填寫單位代碼', f'請填入本單位代碼 {ctx.unit_code}', 'error', 'missing',
                             'header'))
        if not seen_month:
            ref = spec.meta_cells['year_month'][1]
            self.add(Problem(title, spec.key, 1, ref.rstrip('0123456789'), '填報年月', '',
                             '未填寫填報年月', f'請填入 {ctx.roc_year}年{ctx.month}月', 'error', 'missing',
                             'header'))
        return None

    # -- one data sheet ---------------------------------------------------------------
    def check_sheet(self, spec, title, values, merged, scan):
        """Parse and check one sheet column by column (the hot path of every upload)."""
        ctx = self.ctx
        cols = spec.columns
        n = len(cols)
        keys = [c.key for c in cols]
        headers = [c.header for c in cols]
        letters = spec.letters
        parsers = [N.parser_for(c) for c in cols]
        first = spec.first_data_row
        sheet_key = spec.key
        normalised = 0
        forced = {}     # (excel row, col index) -> (message, fix)
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
                            forced[(r + 1, c)] = ('合併儲存格：此格與其他欄合併',
                                                  '請取消合併儲存格，每一格分別填寫')
        for (r, c) in scan.formula_without_value:
            if r >= first and c <= n:
                forced[(r, c - 1)] = ('公式沒有計算結果，無法讀取數值',
                                      '請在 Excel 中重新計算並存檔，或直接填入數值（不要用公式）')
        forced_rows = {r for r, _ in forced}
        found = []      # (position, column, Problem)
        bad_rows = set()
        self._guidance_rows(spec, title, values)
        # 1. The data rows, transposed (in C); blank rows dropped.
        data = values[first - 1:]
        width = max(n, max(map(len, data), default=0))
        if data and min(map(len, data)) < width:
            data = [r + [''] * (width - len(r)) if len(r) < width else r for r in data]
        allcols = list(zip(*data, strict=True)) if data else [()] * n
        extra_bad = []
        for j in range(n, len(allcols)):          # cells right of the table
            col = allcols[j]
            if col.count('') == len(col):
                continue
            for i, v in enumerate(col):
                if v.__class__ is str and v and N.looks_personal(v):
                    extra_bad.append(i)
                    found.append((i, j, Problem(
                        title, sheet_key, first + i, _letter(j), None, v[:100],
                        N.PRIVACY_MESSAGE, '請刪除身分證字號、電話或電子郵件', 'error', 'invalid',
                        'privacy')))
        columns = allcols[:n]
        if columns[0].count('') == 0:     # a blank row is blank in its first column too
            keep = [True] * len(columns[0])
        else:
            keep = [t.count('') != n for t in zip(*columns, strict=True)]
        for r in forced_rows:
            if 0 <= r - first < len(keep):
                keep[r - first] = True
        rownos = list(range(first, first + len(keep)))
        if not all(keep):
            columns = [tuple(v for v, k in zip(col, keep, strict=True) if k) for col in columns]
            rownos = [r for r, k in zip(rownos, keep, strict=True) if k]
        where = {r: i for i, r in enumerate(rownos)}
        for i in extra_bad:
            if first + i in where:
                bad_rows.add(where[first + i])
        # 2. Column by column: values seen before come from the parser's memo in C.
        parsed = {}
        for j in range(n):
            col = columns[j]
            parser = parsers[j]
            # Each distinct raw value is parsed once; the cells are then mapped in C.
            value_of, bad_raws, norm_raws = {}, {}, []
            plain_text = cols[j].kind == 'text'
            for raw in set(col):
                if plain_text and raw.__class__ is str and len(raw) < 8 and raw.isascii() \
                        and raw.isalnum():
                    value_of[raw] = raw     # short ASCII codes: clean, and cannot be personal
                    continue
                p = parser(raw)
                status = p[1]
                if status == OK:
                    value_of[raw] = p[0]
                elif status == NORMALISED:
                    value_of[raw] = p[0]
                    norm_raws.append(raw)
                else:
                    value_of[raw] = BAD
                    bad_raws[raw] = p
            vals = list(map(value_of.__getitem__, col))
            if norm_raws:
                if len(norm_raws) < 8:
                    normalised += sum(col.count(raw) for raw in norm_raws)
                else:
                    counts = Counter(col)
                    normalised += sum(counts[raw] for raw in norm_raws)
            if bad_raws:
                get = bad_raws.get
                for i, raw in enumerate(col):
                    p = get(raw)
                    if p is None or raw.__class__ is bool:
                        continue
                    bad_rows.add(i)
                    found.append((i, j, Problem(title, sheet_key, rownos[i], letters[j], headers[j],
                                                N.as_text(raw), p[2], p[3], 'error',
                                                'missing' if p[1] == MISSING else 'invalid',
                                                _CATEGORY.get(p[1], 'value'))))
            if scan.has_bool:   # True == 1.0 for sets and dicts: bools are judged apart
                for i, raw in enumerate(col):
                    if raw.__class__ is bool:
                        vals[i] = BAD
                        bad_rows.add(i)
                        p = parser(raw)
                        found.append((i, j, Problem(title, sheet_key, rownos[i], letters[j],
                                                    headers[j], N.as_text(raw), p[2], p[3],
                                                    'error', 'invalid', 'value')))
            parsed[keys[j]] = vals
        if found and bad_rows:
            self._drop_whitespace_rows(found, parsed, rownos, bad_rows, n, columns)
        if forced:
            where = {r: i for i, r in enumerate(rownos)}
            for (r, j), (message, fix) in forced.items():
                i = where.get(r)
                if i is None:
                    continue
                parsed[keys[j]][i] = BAD
                bad_rows.add(i)
                found = [f for f in found if not (f[0] == i and f[1] == j)]
                found.append((i, j, Problem(title, sheet_key, r, letters[j], headers[j],
                                            N.as_text(columns[j][i]), message, fix, 'error',
                                            'invalid', 'structure')))
        # 3. Row rules, column-wise.
        index = {k: j for j, k in enumerate(keys)}
        for name, params in spec.row_rules:
            for i, f in ROW_RULES[name](parsed, ctx, params):
                j = index[f.field]
                if f.severity == 'error':
                    bad_rows.add(i)
                    parsed[f.field][i] = BAD
                found.append((i, j, Problem(title, sheet_key, rownos[i], letters[j], headers[j],
                                            N.as_text(columns[j][i]), f.message, f.fix,
                                            f.severity, f.kind, 'rule')))
        found.extend(self._unique(spec, title, parsed, rownos, columns, bad_rows))
        found.sort(key=lambda f: (f[2].row, f[1]))
        for _, _, problem in found:
            self.add(problem)
        hidden = [r for r in scan.hidden_rows if r >= first and r <= len(values)]
        if hidden:
            self.hidden += len(hidden)
            shown = '、'.join(str(r) for r in hidden[:10]) + ('…' if len(hidden) > 10 else '')
            self.add(Problem(title, sheet_key, hidden[0], None, None, '',
                             f'第 {shown} 列為隱藏列，其中的資料仍會一併填報',
                             '請取消隱藏確認內容，不需要的列請刪除', 'warning', 'invalid',
                             'structure'))
        self.normalised[sheet_key] += normalised
        self.sheets[sheet_key] = (title, spec, parsed, rownos, bad_rows)

    def _guidance_rows(self, spec, title, values):
        """Data typed into the guidance rows (or guidance rows deleted, moving data up) would
        be skipped silently: say so instead."""
        for k, r in enumerate(spec.guidance_rows):
            if r > len(values):
                break
            row = values[r - 1][:len(spec.columns)]
            expected = [N.label_key(c.guidance if k == 0 else f'例：{c.example}')
                        for c in spec.columns]
            cells = [N.label_key(N.as_text(v)) for v in row]
            if not any(cells) or any(c and c == e for c, e in zip(cells, expected, strict=False)):
                continue
            self.add(Problem(title, spec.key, r, 'A', spec.columns[0].header,
                             N.as_text(row[0]) if row else '',
                             f'第 {r} 列是填寫說明列，不會被當作資料讀取（資料自第 {spec.first_data_row} 列開始）',
                             f'請勿刪除或覆寫第 {spec.guidance_rows[0]}–{spec.guidance_rows[-1]} 列的說明，'
                             f'資料請從第 {spec.first_data_row} 列開始填寫', 'error', 'invalid',
                             'structure'))

    @staticmethod
    def _drop_whitespace_rows(found, parsed, rownos, bad_rows, n, columns):
        """Rows whose every cell is blank or only spaces are blank rows, not n problems."""
        missing = Counter(i for i, _, p in found if p.kind == 'missing' and p.row is not None)
        blank = {i for i, count in missing.items() if count == n}
        if not blank:
            return
        found[:] = [f for f in found if f[0] not in blank]
        keep = [i not in blank for i in range(len(rownos))]
        for key, vals in parsed.items():
            parsed[key] = [v for v, k in zip(vals, keep, strict=True) if k]
        for j, col in enumerate(columns):
            columns[j] = tuple(v for v, k in zip(col, keep, strict=True) if k)
        remap = {}
        new_rownos = []
        for i, k in enumerate(keep):
            if k:
                remap[i] = len(new_rownos)
                new_rownos.append(rownos[i])
        rownos[:] = new_rownos
        bad = {remap[i] for i in bad_rows if i in remap}
        bad_rows.clear()
        bad_rows.update(bad)
        found[:] = [(remap[i], j, p) for i, j, p in found if i in remap] + \
            [f for f in found if f[0] not in remap and f[0] not in blank]

    def _unique(self, spec, title, parsed, rownos, columns, bad_rows):
        if not spec.unique:
            return []
        keys = spec.unique
        target = 'student_code' if 'student_code' in keys else keys[-1]
        j = [c.key for c in spec.columns].index(target)
        labels = '、'.join(spec.column(k).header for k in keys)
        seen = {}
        out = []
        combos = list(zip(*(parsed[k] for k in keys), strict=True))
        if len(set(combos)) == len(combos):
            return out
        for i, key in enumerate(combos):
            if BAD in key:
                continue
            first = seen.setdefault(key, i)
            if first != i:
                bad_rows.add(i)
                out.append((i, j, Problem(title, spec.key, rownos[i], spec.letters[j],
                                          spec.columns[j].header, N.as_text(columns[j][i]),
                                          f'與第 {rownos[first]} 列重複（{labels}相同）',
                                          '同一組資料只能填一列，請合併或刪除重複的列', 'error',
                                          'invalid', 'duplicate')))
        return out

    # -- workbook level ----------------------------------------------------------------
    def finish(self):
        result = self.result
        staff_of = {}
        for key in ('cases', 'services'):
            if key not in self.sheets:
                continue
            title, spec, parsed, rownos, _ = self.sheets[key]
            pairs = list(zip(parsed['teacher_code'], parsed['staff_type'], strict=True))
            if len(set(pairs)) == len(set(parsed['teacher_code'])) and not any(
                    staff_of.get(t, s) != s for t, s in set(pairs)):
                staff_of.update(pairs)
                continue
            j = [c.key for c in spec.columns].index('staff_type')
            for i, (t, s) in enumerate(pairs):
                if t is BAD or s is BAD:
                    continue
                if staff_of.setdefault(t, s) != s:
                    self.add(Problem(title, key, rownos[i], spec.letters[j],
                                     spec.columns[j].header, str(s),
                                     f'同一{spec.columns[j - 1].header}「{t}」填了不同的身分（{staff_of[t]} 與 {s}）',
                                     '請確認此人員的身分，各列應一致', 'warning', 'invalid',
                                     'consistency'))
                    staff_of[t] = s
        good = {}
        agg_columns = {}
        for key, (_, _, parsed, rownos, bad_rows) in self.sheets.items():
            names = list(parsed) + ['_row', '_ok']
            lists = [[None if v is BAD else v for v in vals] if BAD in vals else vals
                     for vals in parsed.values()]
            oks = [i not in bad_rows for i in range(len(rownos))] if bad_rows else \
                [True] * len(rownos)
            rows = list(map(dict, map(zip, repeat(names), zip(*lists, rownos, oks, strict=True))))
            result.rows[key] = rows
            good[key] = [r for r in rows if r['_ok']] if bad_rows else rows
            agg_columns[key] = ({k: [v for v, ok in zip(vals, oks, strict=True) if ok]
                                 for k, vals in parsed.items()} if bad_rows else parsed)
        result.aggregates = aggregate_columns(self.version.family, self.version.id,
                                              agg_columns.get('cases', {}),
                                              agg_columns.get('services', {}))
        if 'cases' in self.sheets:
            title, spec, _, _, _ = self.sheets['cases']
            j = [c.key for c in spec.columns].index('sessions')
            for teacher, total in result.aggregates['sessions_by_teacher'].items():
                if total > MAX_SESSIONS_PER_TEACHER:
                    self.add(Problem(title, 'cases', None, spec.letters[j], spec.columns[j].header,
                                     str(total),
                                     f'「{teacher}」本月晤談累積次數合計 {total} 次，超過 {MAX_SESSIONS_PER_TEACHER} 次',
                                     '請確認次數是否正確；若正確可忽略此提醒', 'warning', 'invalid',
                                     'plausibility'))
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
            'rows_ok': {key: len(rows) for key, rows in good.items()},
            'problems': {'error': totals['error'], 'warning': totals['warning'],
                         'missing': totals['missing'], 'invalid': totals['invalid'],
                         'file': totals['file']},
            'by_sheet': {k: dict(v) for k, v in by_sheet.items()},
            'by_column': {k: dict(v) for k, v in self.by_column.items()},
            'by_category': dict(self.by_category),
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
                           'warning', 'invalid', 'plausibility'))
    return out
