"""The checks of one sheet at a time: the header cells (unit, month) and every data row.

The hot path of every upload: a sheet is transposed once and checked column by column,
each distinct raw value parsed once (see docs/workbook.md for the measurements).
"""

from __future__ import annotations

from collections import Counter

from . import normalise as N
from .ooxml import parse_ref
from .results import Problem, ProblemLog
from .rules import BAD, ROW_RULES
from .structure import column_letter, title_year_month

OK, NORMALISED, MISSING = N.OK, N.NORMALISED, N.MISSING
_CATEGORY = {N.MISSING: 'missing', N.INVALID: 'value', N.PRIVACY: 'privacy'}


class SheetChecks(ProblemLog):
    """The problems of one workbook found sheet by sheet, and each sheet's parsed columns."""

    def __init__(self, ctx, version, result):
        super().__init__(result)
        self.ctx = ctx
        self.version = version
        self.result = result
        self.normalised = Counter()
        self.hidden = 0
        self.sheets = {}     # sheet key -> (title, spec, parsed columns, row numbers, bad rows)

    # -- the header cells: unit and month ------------------------------------------
    def check_meta(self, sheets) -> str | None:
        """The unit code and month of the header cells: a message when they name another."""
        ctx = self.ctx
        seen_unit = seen_month = False
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
                self.add(Problem(sheet=title, sheet_key=spec.key, row=1,
                                 column=ref.rstrip('0123456789'),
                                 header='填報年月', value=N.as_text(ym_raw),
                                 message='無法辨識填報年月',
                                 fix=f'請填寫如 {ctx.roc_year}年{ctx.month}月 或 {ctx.roc_year}/{ctx.month:02d}',
                                 severity='error', kind='invalid',
                                 category='header'))
                seen_month = True
            if ym is None and top and type(top[0]) is str:
                ym = title_year_month(top[0])
            if ym is not None:
                seen_month = True
                if ym != (ctx.roc_year, ctx.month):
                    return (f'填報年月不符：檔案「{title}」為 {ym[0]}年{ym[1]}月，本次填報的是 '
                            f'{ctx.roc_year}年{ctx.month}月。請確認月份後重新上傳。')
        # Blank cells (the published blank template): the filing names the unit and month,
        # so they are taken from it and the result says so (issue 10, item 21).
        if not seen_unit:
            self.result.notices.append(
                f'檔案未填寫單位代碼，已依上傳頁面採用本單位代碼 {ctx.unit_code}（{ctx.unit_name}）。')
        if not seen_month:
            self.result.notices.append(
                f'檔案未填寫填報年月，已依上傳頁面採用 {ctx.roc_year}年{ctx.month}月。')
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
                    found.append((i, j, Problem(sheet=title, sheet_key=sheet_key, row=first + i,
                                                column=column_letter(j),
                                                header=None,
                                                value=v[:100],
                                                message=N.PRIVACY_MESSAGE,
                                                fix='請刪除身分證字號、電話或電子郵件',
                                                severity='error',
                                                kind='invalid',
                                                category='privacy')))
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

        def cell_problem(i, j, raw, p, kind, category):
            """The error of data cell (i, j) whose value ``raw`` the parser refused with ``p``."""
            return Problem(sheet=title, sheet_key=sheet_key, row=rownos[i], column=letters[j],
                           header=headers[j], value=N.as_text(raw), message=p[2], fix=p[3],
                           severity='error', kind=kind, category=category)

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
                    found.append((i, j, cell_problem(i, j, raw, p,
                                                     'missing' if p[1] == MISSING else 'invalid',
                                                     _CATEGORY.get(p[1], 'value'))))
            if scan.has_bool:   # True == 1.0 for sets and dicts: bools are judged apart
                for i, raw in enumerate(col):
                    if raw.__class__ is bool:
                        vals[i] = BAD
                        bad_rows.add(i)
                        found.append((i, j, cell_problem(i, j, raw, parser(raw), 'invalid', 'value')))
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
                found.append((i, j, Problem(sheet=title, sheet_key=sheet_key, row=r,
                                            column=letters[j],
                                            header=headers[j],
                                            value=N.as_text(columns[j][i]),
                                            message=message,
                                            fix=fix,
                                            severity='error',
                                            kind='invalid',
                                            category='structure')))
        # 3. Row rules, column-wise.
        index = {k: j for j, k in enumerate(keys)}
        for name, params in spec.row_rules:
            for i, f in ROW_RULES[name](parsed, ctx, params):
                j = index[f.field]
                if f.severity == 'error':
                    bad_rows.add(i)
                    parsed[f.field][i] = BAD
                found.append((i, j, Problem(sheet=title, sheet_key=sheet_key, row=rownos[i],
                                            column=letters[j],
                                            header=headers[j],
                                            value=N.as_text(columns[j][i]),
                                            message=f.message,
                                            fix=f.fix,
                                            severity=f.severity,
                                            kind=f.kind,
                                            category='rule')))
        found.extend(self._unique(spec, title, parsed, rownos, columns, bad_rows))
        found.sort(key=lambda f: (f[2].row, f[1]))
        for _, _, problem in found:
            self.add(problem)
        hidden = [r for r in scan.hidden_rows if r >= first and r <= len(values)]
        if hidden:
            self.hidden += len(hidden)
            shown = '、'.join(str(r) for r in hidden[:10]) + ('…' if len(hidden) > 10 else '')
            self.add(Problem(sheet=title, sheet_key=sheet_key, row=hidden[0], column=None,
                             header=None, value='',
                             message=f'第 {shown} 列為隱藏列，其中的資料仍會一併填報',
                             fix='請取消隱藏確認內容，不需要的列請刪除', severity='warning',
                             kind='invalid', category='structure'))
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
            self.add(Problem(sheet=title, sheet_key=spec.key, row=r, column='A',
                             header=spec.columns[0].header,
                             value=N.as_text(row[0]) if row else '',
                             message=f'第 {r} 列是填寫說明列，不會被當作資料讀取（資料自第 {spec.first_data_row} 列開始）',
                             fix=f'請勿刪除或覆寫第 {spec.guidance_rows[0]}–{spec.guidance_rows[-1]} 列的說明，'
                             f'資料請從第 {spec.first_data_row} 列開始填寫',
                             severity='error', kind='invalid',
                             category='structure'))

    @staticmethod
    def _drop_whitespace_rows(found, parsed, rownos, bad_rows, n, columns):
        """Rows whose every cell is blank or only spaces are blank rows, not n problems."""
        missing = Counter(i for i, _, p in found if p.kind == 'missing' and p.row is not None)
        blank = {i for i, count in missing.items() if count == n}
        if not blank:
            return
        found[:] = [f for f in found if f[0] not in blank]
        remap = _drop_rows(blank, parsed, rownos, bad_rows, columns)
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
        groups = {}     # first row index -> later row indices summed into it
        summed = [k for k in spec.summed if k in parsed]
        for i, key in enumerate(combos):
            if BAD in key:
                continue
            first = seen.setdefault(key, i)
            if first == i:
                continue
            if summed and all(parsed[k][i] == parsed[k][first] for k in spec.same):
                if i not in bad_rows and first not in bad_rows:
                    groups.setdefault(first, []).append(i)
                continue    # a row with other errors is fixed first; then it is summed
            if first != i:
                bad_rows.add(i)
                out.append((i, j, Problem(sheet=title, sheet_key=spec.key, row=rownos[i],
                                          column=spec.letters[j],
                                          header=spec.columns[j].header,
                                          value=N.as_text(columns[j][i]),
                                          message=f'與第 {rownos[first]} 列重複（{labels}相同）',
                                          fix='同一組資料只能填一列，請合併或刪除重複的列',
                                          severity='error',
                                          kind='invalid',
                                          category='duplicate')))
        if groups:
            out.extend(self._sum_rows(spec, title, parsed, rownos, columns, bad_rows, groups, summed))
        return out

    @staticmethod
    def _sum_rows(spec, title, parsed, rownos, columns, bad_rows, groups, summed):
        """Sum each group of same-key rows into its first row (a warning naming the rows),
        then drop the later rows from the parsed sheet."""
        out = []
        labels = '、'.join(spec.column(k).header for k in spec.unique)
        j = [c.key for c in spec.columns].index(spec.unique[-1])
        for first, later in groups.items():
            for k in summed:
                parsed[k][first] = sum(parsed[k][i] for i in [first, *later])
            shown = '、'.join(str(rownos[i]) for i in [first, *later])
            totals = '、'.join(f'{spec.column(k).header} {parsed[k][first]}' for k in summed)
            out.append((first, j, Problem(sheet=title, sheet_key=spec.key, row=rownos[first],
                                          column=spec.letters[j], header=spec.columns[j].header,
                                          value=N.as_text(columns[j][first]),
                                          message=f'第 {shown} 列的{labels}相同，已合併為一列（{totals}）',
                                          fix='若這些列確實是不同的服務，請確認服務項目、其他說明或服務對象；否則可忽略此提醒',
                                          severity='warning', kind='invalid', category='duplicate')))
        remap = _drop_rows({i for later in groups.values() for i in later}, parsed, rownos, bad_rows, columns)
        return [(remap[i], c, p) for i, c, p in out]


def _drop_rows(drop, parsed, rownos, bad_rows, columns) -> dict:
    """Remove the row indices ``drop`` from a parsed sheet, in place; old index -> new index."""
    keep = [i not in drop for i in range(len(rownos))]
    for key, vals in parsed.items():
        parsed[key] = [v for v, k in zip(vals, keep, strict=True) if k]
    for j, col in enumerate(columns):
        columns[j] = tuple(v for v, k in zip(col, keep, strict=True) if k)
    remap = {}
    for i, k in enumerate(keep):
        if k:
            remap[i] = len(remap)
    rownos[:] = [rownos[i] for i in remap]
    bad = {remap[i] for i in bad_rows if i in remap}
    bad_rows.clear()
    bad_rows.update(bad)
    return remap
