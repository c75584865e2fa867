"""預填下月檔 (workbook.carry): which rows are carried, as what, and the file they go into."""
from __future__ import annotations

import pytest
from wb_helpers import corpus

from cgs_portal.workbook import FilingContext, validate_workbook
from cgs_portal.workbook.carry import carry_forward, cell_value, select_rows, write_rows
from cgs_portal.workbook.schema import VERSIONS

JUNIOR = (7, 8, 9)


def rows_of(version, dicts, **meta):
    """Row dicts exactly as the engine stores them for a filing (validated)."""
    data = corpus.filled(version, [corpus.rows_for(version, "cases", [d])[0] for d in dicts],
                         corpus.random_rows(version, "services", 2), **meta)
    roc_year, month = meta.get("roc_year", 113), meta.get("month", 9)
    result = validate_workbook(data, FilingContext("123456", "測試國中", "國中", roc_year, month, roc_year if month >= 8 else roc_year - 1))
    assert result.ok, result.errors[:3]
    return result.rows["cases"]


def case(i, grade=7, closure=1, **kw):
    row = {"teacher_code": f"T0{1 + i % 2}", "staff_type": 1 + i % 2, "student_code": f"S{i:03d}", "grade": grade,
           "sex": 1 + i % 2, "student_status": "8,11" if i == 0 else "0", "case_source": "1,3", "case_status": 1,
           "referral": 3, "main_category": 19 if i == 1 else 5, "main_other": "手足衝突" if i == 1 else "0",
           "sub_categories": "1,19" if i == 2 else "0", "sub_other": "課業" if i == 2 else "0", "sessions": 4,
           "closure": closure}
    row.update(kw)
    return row


def read_back(data, month=10, roc_year=113, ay=113):
    return validate_workbook(data, FilingContext("123456", "測試國中", "國中", roc_year, month, ay))


def test_113_source_keeps_only_continuing_cases_as_old_cases_with_counts_left_empty():
    rows = rows_of("113", [case(0), case(1), case(2), case(3, closure=2), case(4, closure=3)])
    result = carry_forward(rows, "113", "113", source_academic_year=113, target_academic_year=113,
                           grades=JUNIOR, unit_code="123456", unit_name="測試國中", roc_year=113, month=10)
    assert (result.carried, result.closed, result.graduated, result.source_rows) == (3, 2, 0, 5)
    checked = read_back(result.data)
    assert checked.fatal is None
    carried = checked.rows["cases"]
    assert [r["student_code"] for r in carried] == ["S000", "S001", "S002"]
    for before, after in zip(rows[:3], carried, strict=True):
        for kept in ("teacher_code", "staff_type", "student_code", "grade", "sex", "student_status", "referral",
                     "main_category", "main_other", "sub_categories", "sub_other"):
            assert after[kept] == before[kept], kept
        assert after["case_status"] == 2 and after["case_source"] == (0,)
        assert after["sessions"] is None and after["closure"] is None
    # the check marks exactly the two empty counts of every carried row yellow, nothing else
    assert {(p.header, p.kind) for p in checked.errors} == {("當月晤談累積次數(人次)", "missing"), ("結案情形", "missing")}
    assert len(checked.errors) == 6
    assert checked.rows["services"] == []


def test_111_source_has_no_closure_so_every_row_is_carried_into_the_113_layout():
    rows = rows_of("111", [case(i) for i in range(4)], roc_year=112, month=7)
    assert "closure" not in rows[0]
    result = carry_forward(rows, "111", "113", source_academic_year=112, target_academic_year=113,
                           grades=JUNIOR, unit_code="123456", unit_name="測試國中", roc_year=113, month=8)
    assert (result.carried, result.closed) == (4, 0)
    assert result.grade_shift == 1
    checked = read_back(result.data, month=8)
    assert [r["grade"] for r in checked.rows["cases"]] == [8, 8, 8, 8]
    assert all(r["case_status"] == 2 for r in checked.rows["cases"])


def test_111_to_111_keeps_the_111_layout():
    rows = rows_of("111", [case(i) for i in range(3)], roc_year=112, month=3)
    result = carry_forward(rows, "111", "111", source_academic_year=112, target_academic_year=112,
                           grades=JUNIOR, unit_code="123456", unit_name="測試國中", roc_year=112, month=4)
    checked = read_back(result.data, month=4, roc_year=112, ay=112)
    assert checked.version == "111" and len(checked.rows["cases"]) == 3
    assert {p.header for p in checked.errors} == {"當月晤談累積次數(人次)"}


def test_the_academic_year_boundary_moves_grades_up_and_leaves_graduates_out():
    rows = rows_of("113", [case(0, grade=7), case(1, grade=8), case(2, grade=9), case(3, grade=9)],
                   roc_year=114, month=7)
    result = carry_forward(rows, "113", "113", source_academic_year=113, target_academic_year=114,
                           grades=JUNIOR, roc_year=114, month=8, unit_code="123456", unit_name="測試國中")
    assert (result.carried, result.graduated, result.grade_shift) == (2, 2, 1)
    checked = read_back(result.data, month=8, roc_year=114, ay=114)
    assert [(r["student_code"], r["grade"]) for r in checked.rows["cases"]] == [("S000", 8), ("S001", 9)]


def test_within_one_academic_year_grades_stay():
    kept, _closed, graduated = select_rows([{"grade": 9, "closure": 1, "student_code": "S1"}], "113",
                                           grade_shift=0, grades=JUNIOR)
    assert kept[0]["grade"] == 9 and graduated == 0


def test_a_month_with_nothing_to_carry_gives_the_plain_template():
    result = carry_forward((), "113", "113", source_academic_year=113, target_academic_year=113,
                           grades=JUNIOR, unit_code="123456", unit_name="測試國中", roc_year=113, month=10)
    assert result.carried == 0 and result.source_rows == 0
    checked = read_back(result.data)  # the blank template: a valid layout with no rows yet
    assert checked.version == "113" and "沒有任何個案或服務資料" in checked.fatal
    all_closed = rows_of("113", [case(0, closure=2)])
    result = carry_forward(all_closed, "113", "113", source_academic_year=113, target_academic_year=113,
                           grades=JUNIOR, roc_year=113, month=10)
    assert (result.carried, result.closed) == (0, 1)


def test_text_that_looks_like_a_formula_is_written_as_data():
    spec = VERSIONS["113"].sheet("cases")
    row = dict(case(0), student_code="=HYPERLINK(1)", student_status=(0,), case_source=(0,),
               sub_categories=(0,), main_other=None, sub_other=None)
    data = write_rows("113", {"cases": [row]})
    import io
    import zipfile

    from cgs_portal.workbook.carry import sheet_paths

    zin = zipfile.ZipFile(io.BytesIO(data))
    xml = zin.read(sheet_paths(zin)[spec.title]).decode()
    assert "<f>" not in xml and "'=HYPERLINK(1)" in xml


@pytest.mark.parametrize(("kind", "value", "expected"), [
    ("other", None, "0"), ("codes", (3, 10), "3,10"), ("text", "S1", "S1"), ("int", None, None), ("code", 5, 5)])
def test_cell_values_are_what_a_teacher_would_type(kind, value, expected):
    column = next(c for c in VERSIONS["113"].sheet("cases").columns if c.kind == kind)
    assert cell_value(column, value) == expected
