"""The checks across sheets and months, once every sheet is parsed; then the summary.

Who is who across 個案 and 服務 (a teacher's 身分), the month's aggregates and their
plausibility, and the comparison with the previous month.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import repeat

from .aggregates import aggregate_columns
from .results import Problem, ValidationResult
from .rules import BAD, MAX_SESSIONS_PER_TEACHER


def check_across_sheets(checks) -> None:
    """Fill ``checks.result`` once every sheet is checked: rows, aggregates, summary."""
    check_staff_types(checks)
    good = collect_rows(checks)
    check_sessions(checks)
    summarise(checks, good)


def check_staff_types(checks) -> None:
    """One person has one 身分 across the 個案 and 服務 sheets (a warning otherwise)."""
    staff_of = {}
    for key in ('cases', 'services'):
        if key not in checks.sheets:
            continue
        title, spec, parsed, rownos, _ = checks.sheets[key]
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
                checks.add(Problem(sheet=title, sheet_key=key, row=rownos[i],
                                   column=spec.letters[j],
                                   header=spec.columns[j].header,
                                   value=str(s),
                                   message=f'同一{spec.columns[j - 1].header}「{t}」填了不同的身分（{staff_of[t]} 與 {s}）',
                                   fix='請確認此人員的身分，各列應一致',
                                   severity='warning', kind='invalid',
                                   category='consistency'))
                staff_of[t] = s


def collect_rows(checks) -> dict:
    """Set the result's rows and aggregates (of the rows without errors); the good rows."""
    result = checks.result
    good = {}
    agg_columns = {}
    for key, (_, _, parsed, rownos, bad_rows) in checks.sheets.items():
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
    result.aggregates = aggregate_columns(checks.version.family, checks.version.id,
                                          agg_columns.get('cases', {}),
                                          agg_columns.get('services', {}))
    return good


def check_sessions(checks) -> None:
    """A teacher's sessions of the month stay plausible (a warning otherwise)."""
    result = checks.result
    if 'cases' in checks.sheets:
        title, spec, _, _, _ = checks.sheets['cases']
        j = [c.key for c in spec.columns].index('sessions')
        for teacher, total in result.aggregates['sessions_by_teacher'].items():
            if total > MAX_SESSIONS_PER_TEACHER:
                checks.add(Problem(sheet=title, sheet_key='cases', row=None,
                                   column=spec.letters[j],
                                   header=spec.columns[j].header,
                                   value=str(total),
                                   message=f'「{teacher}」本月晤談累積次數合計 {total} 次，超過 {MAX_SESSIONS_PER_TEACHER} 次',
                                   fix='請確認次數是否正確；若正確可忽略此提醒',
                                   severity='warning', kind='invalid',
                                   category='plausibility'))


def summarise(checks, good: dict) -> None:
    """The result's summary: rows, problems by sheet, column and category, normalised cells."""
    result = checks.result
    by_sheet = defaultdict(Counter)
    totals = Counter()
    for (sheet_key, severity, kind), count in checks.counts.items():
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
        'by_column': {k: dict(v) for k, v in checks.by_column.items()},
        'by_category': dict(checks.by_category),
        'normalised': sum(checks.normalised.values()),
        'normalised_by_sheet': dict(checks.normalised),
        'hidden_rows': checks.hidden,
        'truncated': checks.truncated,
    }


def compare_with_previous(result: ValidationResult, previous_aggregates: dict | None) -> list:
    """Warnings comparing this month with the previous one (e.g. 3× last month's cases)."""
    if not previous_aggregates or result.fatal:
        return []
    prev = (previous_aggregates.get('counts') or {}).get('cases', 0)
    now = len(result.rows.get('cases', []))
    out = []
    if prev > 0 and now > 3 * prev:
        out.append(Problem(sheet='', sheet_key='cases', row=None, column=None, header=None,
                           value=str(now),
                           message=f'本月個案 {now} 列，超過上月（{prev} 列）的三倍',
                           fix='請確認是否重複填寫或誤填其他月份的資料；若正確可忽略此提醒',
                           severity='warning', kind='invalid',
                           category='plausibility'))
    return out
