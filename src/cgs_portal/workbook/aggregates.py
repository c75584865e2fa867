"""Statistics counters of one validated workbook (tables I–VIII of the domain spec).

Counters are flat ``{key: int}`` dicts whose keys join the dimension codes with ``|`` in
the order documented in ``docs/workbook.md`` (e.g. table I: ``"category|grade|sex|staff"``)
so roll-ups are plain sums and the whole structure is JSON-able.  Distinct people are kept
as sorted lists of keys so 人數 can be computed distinct across months.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from operator import itemgetter


def _s(counter) -> dict:
    """Tuple keys → ``"a|b|c"`` string keys (done once per distinct key, not per row)."""
    return {'|'.join(map(str, key)): value for key, value in counter.items()}


def _sum(keys, weights) -> Counter:
    out = Counter()
    for key, weight in zip(keys, weights, strict=True):
        if weight:
            out[key] += weight
    return out


CASE_FIELDS = ('grade', 'sex', 'staff_type', 'main_category', 'case_status', 'sessions',
               'student_code', 'teacher_code', 'sub_categories', 'case_source',
               'student_status', 'referral', 'closure', 'school_code')


def build_aggregates(family: str, version: str, cases: list, services: list) -> dict:
    """The counters of one workbook from its (error-free) normalised row dicts."""
    columns = {k: [r.get(k) for r in cases] for k in CASE_FIELDS}
    return aggregate_columns(family, version, columns, services)


def aggregate_columns(family: str, version: str, cases: dict, services: list) -> dict:
    """The counters from case columns (field → list of values) and service row dicts."""
    n = len(cases['grade'])
    col = {k: cases.get(k) or [None] * n for k in CASE_FIELDS}
    dims = list(zip(col['grade'], col['sex'], col['staff_type'], strict=True))
    i_main = Counter((m, g, s, t) for m, (g, s, t) in zip(col['main_category'], dims, strict=True))
    i_sub = Counter((c, g, s, t) for subs, (g, s, t) in zip(col['sub_categories'], dims, strict=True)
                    for c in subs if c)
    iii = _sum([(m, g, s, t) for m, (g, s, t) in zip(col['main_category'], dims, strict=True)],
               col['sessions'])
    iv = Counter((c, g, s, t) for st, srcs, (g, s, t) in zip(col['case_status'], col['case_source'],
                                                              dims, strict=True)
                 if st == 1 for c in srcs if c)
    v = Counter((c, g, s, t) for c, (g, s, t) in zip(col['referral'], dims, strict=True)
                if c is not None)
    vi = Counter((c, g, s, t) for ids, (g, s, t) in zip(col['student_status'], dims, strict=True)
                 for c in ids)
    closure = Counter((c, g, s, t) for c, (g, s, t) in zip(col['closure'], dims, strict=True)
                      if c is not None)
    codes = col['student_code']
    if family == 'B':
        codes = [f'{school or ""}/{code}' for school, code in zip(col['school_code'], codes, strict=True)]
    students = set(zip(codes, col['grade'], col['sex'], col['case_status'], col['staff_type'],
                       strict=True))
    ii_sets = defaultdict(set)
    for code, g, s, st, t in students:
        ii_sets[(st, g, s, t)].add(code)
    sessions_by_teacher = _sum(col['teacher_code'], col['sessions'])
    teachers = defaultdict(set)
    for t, code in zip(col['staff_type'], col['teacher_code'], strict=True):
        teachers[t].add(code)
    vii, vii_events = Counter(), Counter()
    get = itemgetter('service_item', 'target', 'staff_type', 'male', 'female')
    for row in services:
        item, target, staff, male, female = get(row)
        if male:
            vii[(item, target, 1, staff)] += male
        if female:
            vii[(item, target, 2, staff)] += female
        events = row.get('events')
        if events is not None:
            vii_events[(item, target, staff)] += events
        teachers[staff].add(row['teacher_code'])
    return {
        'family': family,
        'version': version,
        'counts': {'cases': n, 'services': len(services),
                   'sessions': sum(col['sessions'])},
        'I_main': _s(i_main),
        'I_sub': _s(i_sub),
        'II': _s({key: len(s) for key, s in ii_sets.items()}),
        'III': _s(iii),
        'IV': _s(iv),
        'V': _s(v),
        'VI': _s(vi),
        'VII': _s(vii),
        'VII_events': _s(vii_events),
        'VIII': {str(staff): len(codes) for staff, codes in teachers.items()},
        'closure': _s(closure),
        'students': sorted(students),
        'teachers': {str(staff): sorted(codes) for staff, codes in teachers.items()},
        'sessions_by_teacher': dict(sessions_by_teacher),
    }
