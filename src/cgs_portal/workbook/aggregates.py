"""Statistics counters of one validated workbook (tables I–VIII of the domain spec).

Counters are flat ``{key: int}`` dicts whose keys join the dimension codes with ``|`` in
the order documented in ``docs/workbook.md`` (e.g. table I: ``"category|grade|sex|staff"``)
so roll-ups are plain sums and the whole structure is JSON-able.  Distinct people are kept
as sorted lists of keys so 人數 can be computed distinct across months.
"""

from __future__ import annotations

from collections import Counter, defaultdict


def _k(*parts) -> str:
    return '|'.join(str(p) for p in parts)


def build_aggregates(family: str, version: str, cases: list, services: list) -> dict:
    i_main, i_sub, ii_sets, iii, iv, v, vi, closure = (Counter(), Counter(), defaultdict(set),
                                                        Counter(), Counter(), Counter(),
                                                        Counter(), Counter())
    vii, vii_events = Counter(), Counter()
    teachers = defaultdict(set)
    sessions_by_teacher = Counter()
    students = set()
    total_sessions = 0
    for row in cases:
        grade, sex, staff = row['grade'], row['sex'], row['staff_type']
        main = row['main_category']
        status = row['case_status']
        sessions = row['sessions']
        student = row['student_code']
        if family == 'B':
            student = f"{row.get('school_code') or ''}/{student}"
        i_main[_k(main, grade, sex, staff)] += 1
        for sub in row['sub_categories']:
            if sub:
                i_sub[_k(sub, grade, sex, staff)] += 1
        ii_sets[_k(status, grade, sex, staff)].add(student)
        students.add((student, grade, sex, status, staff))
        iii[_k(main, grade, sex, staff)] += sessions
        total_sessions += sessions
        if status == 1:
            for source in row['case_source']:
                if source:
                    iv[_k(source, grade, sex, staff)] += 1
        if 'referral' in row:
            v[_k(row['referral'], grade, sex, staff)] += 1
        for ident in row['student_status']:
            vi[_k(ident, grade, sex, staff)] += 1
        if row.get('closure') is not None:
            closure[_k(row['closure'], grade, sex, staff)] += 1
        teachers[staff].add(row['teacher_code'])
        sessions_by_teacher[row['teacher_code']] += sessions
    for row in services:
        item, target, staff = row['service_item'], row['target'], row['staff_type']
        if row['male']:
            vii[_k(item, target, 1, staff)] += row['male']
        if row['female']:
            vii[_k(item, target, 2, staff)] += row['female']
        if row.get('events') is not None:
            vii_events[_k(item, target, staff)] += row['events']
        teachers[staff].add(row['teacher_code'])
    return {
        'family': family,
        'version': version,
        'counts': {'cases': len(cases), 'services': len(services), 'sessions': total_sessions},
        'I_main': dict(i_main),
        'I_sub': dict(i_sub),
        'II': {key: len(s) for key, s in ii_sets.items()},
        'III': dict(iii),
        'IV': dict(iv),
        'V': dict(v),
        'VI': dict(vi),
        'VII': dict(vii),
        'VII_events': dict(vii_events),
        'VIII': {str(staff): len(codes) for staff, codes in teachers.items()},
        'closure': dict(closure),
        'students': sorted(students),
        'teachers': {str(staff): sorted(codes) for staff, codes in teachers.items()},
        'sessions_by_teacher': dict(sessions_by_teacher),
    }
