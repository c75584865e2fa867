"""Helpers shared by the workbook tests (a uniquely named module: test directories of
other concerns have their own conftest.py, so nothing is imported from ``conftest``)."""

from support import load_corpus

corpus = load_corpus()

BASE_CASE = dict(teacher_code='T01', staff_type=1, student_code='S001', grade=7, sex=2,
                 student_status='0', case_source='1', case_status=1, referral=2,
                 main_category=5, main_other='0', sub_categories='0', sub_other='0',
                 sessions=2, closure=1)
BASE_SERVICE = dict(teacher_code='T01', staff_type=1, service_item=4, item_other='0',
                    target=13, male=1, female=2, events=1)


def case(**kw):
    return dict(BASE_CASE, **kw)


def service(**kw):
    return dict(BASE_SERVICE, **kw)


def cells(result, severity=None):
    """{cell: message} of a result's problems (optionally one severity)."""
    return {p.cell: p.message for p in result.problems
            if severity is None or p.severity == severity}
