"""The public API: versions, value objects, aggregates."""

import json
import pickle

import pytest
from wb_helpers import case, corpus, service

import cgs_portal.workbook as wbk
from cgs_portal.workbook import VERSIONS, validate_workbook, version_in_force


def test_versions():
    assert list(VERSIONS) == ['111', '113', 'B111', 'B113']
    v = VERSIONS['113']
    assert (v.id, v.family, v.first_academic_year, v.label) == ('113', 'A', 113, '113學年度')
    assert VERSIONS['B111'].family == 'B'


@pytest.mark.parametrize('family,year,expected', [('A', 111, '111'), ('A', 112, '111'),
                                                  ('A', 113, '113'), ('A', 120, '113'),
                                                  ('A', 100, '111'), ('B', 112, 'B111'),
                                                  ('B', 114, 'B113')])
def test_version_in_force(family, year, expected):
    assert version_in_force(family, year).id == expected


def test_exports():
    for name in ('VERSIONS', 'version_in_force', 'FilingContext', 'validate_workbook',
                 'ValidationResult', 'Problem', 'compare_with_previous', 'annotate_workbook',
                 'build_template', 'neutralise'):
        assert hasattr(wbk, name)


def test_no_web_imports():
    import ast
    from pathlib import Path
    src = Path(wbk.__file__).parent
    for path in src.glob('*.py'):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or '']
                for n in names:
                    assert n.split('.')[0] not in ('pyramid', 'ZODB', 'persistent', 'transaction')


def test_result_is_plain_and_picklable(ctx):
    r = validate_workbook(corpus.filled('113', [case(sex='')], [service()]), ctx)
    clone = pickle.loads(pickle.dumps(r))
    assert clone.problems == r.problems and clone.rows == r.rows
    assert clone.ok is False and len(clone.errors) == 1 and clone.warnings == []
    json.dumps(r.summary)
    json.dumps(r.aggregates)


def test_fatal_result_shape(ctx):
    r = validate_workbook(b'hello', ctx)
    assert r.fatal and r.rows == {} and r.problems[0].kind == 'file'
    pickle.dumps(r)


def test_aggregates(ctx):
    cases = [
        case(student_code='S1', grade=7, sex=1, main_category=5, sub_categories='1,3',
             case_status=1, case_source='1,3', student_status='0', sessions=2, referral=2),
        case(student_code='S2', grade=8, sex=2, main_category=19, main_other='x',
             sub_categories='0', case_status=2, case_source='0', student_status='8,11',
             sessions=3, referral=1),
        case(teacher_code='T02', staff_type=2, student_code='S1', grade=7, sex=1,
             main_category=5, case_status=1, case_source='1', sessions=1),
    ]
    services = [service(service_item=4, target=13, male=1, female=2, events=2),
                service(teacher_code='T03', staff_type=3, service_item=1, target=7, male=5,
                        female=0)]
    r = validate_workbook(corpus.filled('113', cases, services), ctx)
    assert r.ok, r.problems
    a = r.aggregates
    assert a['counts'] == {'cases': 3, 'services': 2, 'sessions': 6}
    assert a['I_main'] == {'5|7|1|1': 1, '19|8|2|1': 1, '5|7|1|2': 1}
    assert a['I_sub'] == {'1|7|1|1': 1, '3|7|1|1': 1}
    assert a['II'] == {'1|7|1|1': 1, '2|8|2|1': 1, '1|7|1|2': 1}
    assert a['III'] == {'5|7|1|1': 2, '19|8|2|1': 3, '5|7|1|2': 1}
    assert a['IV'] == {'1|7|1|1': 1, '3|7|1|1': 1, '1|7|1|2': 1}
    assert a['V'] == {'2|7|1|1': 1, '1|8|2|1': 1, '2|7|1|2': 1}
    assert a['VI'] == {'0|7|1|1': 1, '8|8|2|1': 1, '11|8|2|1': 1, '0|7|1|2': 1}
    assert a['VII'] == {'4|13|1|1': 1, '4|13|2|1': 2, '1|7|1|3': 5}
    assert a['VII_events'] == {'4|13|1': 2, '1|7|3': 1}
    assert a['VIII'] == {'1': 1, '2': 1, '3': 1}
    assert a['teachers'] == {'1': ['T01'], '2': ['T02'], '3': ['T03']}
    assert ('S1', 7, 1, 1, 1) in a['students'] and len(a['students']) == 3
    assert a['closure'] == {'1|7|1|1': 1, '1|8|2|1': 1, '1|7|1|2': 1}


def test_aggregates_skip_rows_with_errors(ctx):
    r = validate_workbook(corpus.filled('113', [case(), case(student_code='S2', grade=1)]), ctx)
    assert r.aggregates['counts']['cases'] == 1
    assert r.summary['rows_ok']['cases'] == 1
