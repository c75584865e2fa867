"""Small-cell protection: primary cells below the threshold, and their complements."""
from __future__ import annotations

import datetime as dt

import numpy as np

from cgs_portal.statistics.index import FILED, StatsIndex
from cgs_portal.statistics.query import Query, Scope, run
from cgs_portal.statistics.suppress import protect


def test_a_single_hidden_cell_in_a_row_gets_a_complement():
    # rows: a, b, 合計 ; columns: g1, g2, g3, 合計 ; one sub column
    values = np.array([[5, 1, 7, 13], [4, 6, 8, 18], [9, 7, 15, 31]])[:, :, None]
    sensitive = np.zeros(values.shape, bool)
    sensitive[0, 1, 0] = True  # the 1
    hidden = protect(values, sensitive, group_total=True, sub_total=False)[:, :, 0]
    # row a: the 1 and the smallest other non-zero cell (5); column g2: the 1 and 6; then
    # column g1 has the 5 hidden, so 4 goes too; row b now has 4 and 6 hidden: fine.
    assert hidden.tolist() == [[True, True, False, False], [True, True, False, False],
                               [False, False, False, False]]


def test_when_the_other_cells_are_zero_the_total_is_hidden():
    values = np.array([[2, 0, 2], [3, 4, 7], [5, 4, 9]])[:, :, None]
    sensitive = np.zeros(values.shape, bool)
    sensitive[0, 0, 0] = True
    hidden = protect(values, sensitive, group_total=True, sub_total=False)[:, :, 0]
    assert hidden[0].tolist() == [True, False, True]
    # column 1: the 2 and the 3 below it; column total: row b then needs a second: the 4
    assert hidden[1, 0] and hidden[1, 1]


def test_no_line_is_left_with_exactly_one_hidden_cell():
    rng = np.random.default_rng(5)
    for _ in range(50):
        body = rng.integers(0, 6, (6, 5, 2))
        sub = np.concatenate([body, body.sum(2, keepdims=True)], 2)
        grp = np.concatenate([sub, sub.sum(1, keepdims=True)], 1)
        values = np.concatenate([grp, grp.sum(0, keepdims=True)], 0)
        sensitive = (values > 0) & (values < 3)
        hidden = protect(values, sensitive, True, True)
        assert (hidden | ~sensitive).all()
        for axis in range(3):
            assert not (hidden.sum(axis=axis) == 1).any()


def _county_index():
    index = StatsIndex()
    index.set_unit("013601", "甲國小", "65000", "國小", "A", opened_on=dt.date(2022, 8, 1))
    rows = []
    for i, (grade, sex) in enumerate([(1, 1), (1, 1), (1, 2), (1, 2), (1, 1), (2, 1), (2, 2), (2, 1), (2, 2)]):
        rows.append({"teacher_code": "T1", "staff_type": 1, "student_code": f"S{i}", "grade": grade,
                     "sex": sex, "main_category": 5 if i != 8 else 1, "sub_categories": (0,),
                     "case_source": (0,), "student_status": (0,), "case_status": 2, "referral": 2,
                     "sessions": 1})
    index.replace("013601", 2024, 9, rows, (), FILED, "s")
    return index


def test_county_figures_are_protected_and_the_unit_sees_its_own_exactly():
    index = _county_index()
    query = Query("I", "persons", ((2024, 9),), category="main", sex="all")
    county = run(index, query, Scope("county", "65000")).blocks[0]
    emotion, other = county.rows.index("情緒困擾"), county.rows.index("人際困擾")
    g1, g2 = county.groups.index("一年級"), county.groups.index("二年級")
    # 情緒困擾: 一年級 男 3, 女 2 (<3), 二年級 男 2 (<3), 女 1 (<3)
    assert county.cell(emotion, g1, 1) is None
    # 男 3 is safe itself, but 男 + 女 = 計 (5) would give the 2 away: its complement
    assert county.cell(emotion, g1, 0) is None
    assert int(county.values[emotion, g1, 0]) == 3
    assert county.cell(emotion, g2, 0) is None and county.cell(emotion, g2, 1) is None
    assert county.cell(other, g2, 1) is None  # the one 人際困擾 student
    # no line can be recomputed: every line has 0 or ≥ 2 hidden members
    for axis in range(3):
        assert not (county.suppressed.sum(axis=axis) == 1).any()
    unit = run(index, query, Scope("unit", "013601")).blocks[0]
    assert not unit.suppressed.any()
    assert unit.cell(other, g2, 1) == 1


def test_visits_are_protected_by_the_students_behind_them():
    index = _county_index()
    # the same student in three months: 3 人次, 1 人數 → hidden
    for month in (10, 11):
        index.replace("013601", 2024, month, [{"teacher_code": "T1", "staff_type": 1, "student_code": "S8",
                                                "grade": 2, "sex": 2, "main_category": 1,
                                                "sub_categories": (0,), "case_source": (0,),
                                                "student_status": (0,), "case_status": 2,
                                                "referral": 2, "sessions": 1}], (), FILED, f"m{month}")
    block = run(index, Query("I", "visits", ((2024, 9), (2024, 10), (2024, 11)), category="main"),
                Scope("county", "65000")).blocks[0]
    other = block.rows.index("人際困擾")
    assert int(block.values[other, -1, -1]) == 3
    assert block.cell(other, -1, -1) is None


def test_threshold_is_configurable():
    index = _county_index()
    query = Query("I", "persons", ((2024, 9),), category="main")
    block = run(index, query, Scope("county", "65000"), threshold=4).blocks[0]
    emotion, g1 = block.rows.index("情緒困擾"), block.groups.index("一年級")
    assert block.cell(emotion, g1, 0) is None  # 3 < 4
