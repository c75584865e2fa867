"""Statistics counters of one validated workbook (tables I–VIII of the domain spec).

The table names and the order of their keys are the statistics vocabulary
(:mod:`cgs_portal.statistics.vocabulary`); the whole structure is JSON-able.  Distinct people are kept
as sorted lists of keys so 人數 can be computed distinct across months.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from ..statistics.vocabulary import COUNTER_TABLES, TEACHERS_TABLE, join_key

_ZERO = (0,)


def _s(counter) -> dict:
    """Tuple keys → ``"a|b|c"`` string keys (done once per distinct key, not per row)."""
    return {join_key(key): value for key, value in counter.items()}


def _weighted(pairs: Counter) -> dict:
    """{(key, weight): count} → {key: Σ weight × count}."""
    out = {}
    for (key, weight), count in pairs.items():
        if weight:
            out[key] = out.get(key, 0) + weight * count
    return out


def _expand(combos: Counter, keep_zero: bool = False) -> Counter:
    """{(codes tuple, dims): count} → {(code, *dims): count}, each listed code once."""
    out = Counter()
    for (codes, dims), count in combos.items():
        for code in codes:
            if code or keep_zero:
                out[(code, *dims)] += count
    return out


CASE_FIELDS = ('grade', 'sex', 'staff_type', 'main_category', 'case_status', 'sessions',
               'student_code', 'teacher_code', 'sub_categories', 'case_source',
               'student_status', 'referral', 'closure', 'school_code')
SERVICE_FIELDS = ('service_item', 'target', 'staff_type', 'male', 'female', 'events',
                  'teacher_code')


def build_aggregates(family: str, version: str, cases: list, services: list) -> dict:
    """The counters of one workbook from its (error-free) normalised row dicts."""
    return aggregate_columns(family, version,
                             {k: [r.get(k) for r in cases] for k in CASE_FIELDS},
                             {k: [r.get(k) for r in services] for k in SERVICE_FIELDS})


def aggregate_columns(family: str, version: str, cases: dict, services: dict) -> dict:
    """The counters from case and service columns (field → list of values, one per row)."""
    n = len(cases.get('grade') or ())
    col = {k: cases.get(k) or [None] * n for k in CASE_FIELDS}
    g, x, t = col['grade'], col['sex'], col['staff_type']
    # Count distinct combinations in C first, then expand the (few) combinations in Python.
    main_keys = list(zip(col['main_category'], g, x, t, strict=True))
    i_main = Counter(main_keys)
    iii = _weighted(Counter(zip(main_keys, col['sessions'], strict=True)))
    dims = list(zip(g, x, t, strict=True))
    i_sub = _expand(Counter(zip(col['sub_categories'], dims, strict=True)))
    iv = _expand(Counter((src, d) for st, src, d in zip(col['case_status'], col['case_source'],
                                                         dims, strict=True) if st == 1))
    v = Counter({k: n for k, n in Counter(zip(col['referral'], g, x, t, strict=True)).items()
                 if k[0] is not None})
    vi = _expand(Counter(zip(col['student_status'], dims, strict=True)), keep_zero=True)
    closure = Counter({k: n for k, n in Counter(zip(col['closure'], g, x, t, strict=True)).items()
                       if k[0] is not None})
    codes = col['student_code']
    if family == 'B':
        codes = [f'{school or ""}/{code}' for school, code in zip(col['school_code'], codes,
                                                                  strict=True)]
    students = set(zip(codes, g, x, col['case_status'], t, strict=True))
    ii = Counter((st, gr, sx, st_) for _, gr, sx, st, st_ in students)
    sessions_by_teacher = _weighted(Counter(zip(col['teacher_code'], col['sessions'],
                                                strict=True)))
    teachers = defaultdict(set)
    for staff, code in set(zip(t, col['teacher_code'], strict=True)):
        teachers[staff].add(code)
    m = len(services.get('service_item') or ())
    svc = {k: services.get(k) or [None] * m for k in SERVICE_FIELDS}
    vii, vii_events = {}, {}
    get, get_events = vii.get, vii_events.get
    for item, target, staff, male, female, events in zip(
            svc['service_item'], svc['target'], svc['staff_type'], svc['male'], svc['female'],
            svc['events'], strict=True):
        if male:
            key = (item, target, 1, staff)
            vii[key] = get(key, 0) + male
        if female:
            key = (item, target, 2, staff)
            vii[key] = get(key, 0) + female
        if events:
            key = (item, target, staff)
            vii_events[key] = get_events(key, 0) + events
    for staff, code in set(zip(svc['staff_type'], svc['teacher_code'], strict=True)):
        teachers[staff].add(code)
    return {
        'family': family,
        'version': version,
        'counts': {'cases': n, 'services': m, 'sessions': sum(col['sessions'])},
        # the counter tables, in the vocabulary's order (its key order is the tuples' order)
        **{name: _s(table) for name, table in zip(
            COUNTER_TABLES, (i_main, i_sub, ii, iii, iv, v, vi, vii, vii_events, closure),
            strict=True)},
        TEACHERS_TABLE: {str(staff): len(codes) for staff, codes in teachers.items()},
        'students': list(students),
        'teachers': {str(staff): sorted(codes) for staff, codes in teachers.items()},
        'sessions_by_teacher': dict(sessions_by_teacher),
    }
