"""合併檔案 (workbook.merge): rows taken, conflicts, identical rows, shared students, limits."""
from __future__ import annotations

import io

import openpyxl
import pytest
from wb_helpers import corpus

from cgs_portal.workbook import FilingContext, validate_workbook
from cgs_portal.workbook.merge import MergeRefused, Source, merge_sources
from cgs_portal.workbook.schema import VERSIONS

CTX = FilingContext("123456", "測試國中", "國中", 113, 9, 113)
META = {"unit_code": "123456", "unit_name": "測試國中", "roc_year": 113, "month": 9}


def case(student, teacher="T01", **kw):
    row = {"teacher_code": teacher, "staff_type": 1, "student_code": student, "grade": 7, "sex": 1,
           "student_status": "0", "case_source": "0", "case_status": 2, "referral": 2, "main_category": 5,
           "main_other": "0", "sub_categories": "0", "sub_other": "0", "sessions": 2, "closure": 1}
    row.update(kw)
    return corpus.rows_for("113", "cases", [row])[0]


def service(teacher, item=1):
    row = {"teacher_code": teacher, "staff_type": 1, "service_item": item, "item_other": "0", "target": 13,
           "male": 1, "female": 2, "events": 1}
    return corpus.rows_for("113", "services", [row])[0]


def checked(name, cases, services=(), ctx=CTX, **meta):
    data = corpus.filled("113", list(cases), list(services), **{**META, **meta})
    result = validate_workbook(data, ctx)
    return name, result


def source(name, cases, services=()):
    _name, result = checked(name, cases, services)
    assert result.ok, result.errors[:3]
    return Source(name, result.version, result.rows)


def merged_rows(merged):
    return validate_workbook(merged.data, CTX)


def test_all_rows_of_every_file_sorted_by_teacher_code():
    a = source("王老師.xlsx", [case("S1", "T02"), case("S2", "T02")], [service("T02")])
    b = source("李老師.xlsx", [case("S3", "T01")], [service("T01"), service("T01", 2)])
    merged = merge_sources([a, b], **META)
    assert merged.clean
    assert [(t.name, t.cases, t.services) for t in merged.taken] == [("王老師.xlsx", 2, 1), ("李老師.xlsx", 1, 2)]
    result = merged_rows(merged)
    assert result.ok, result.errors[:3]
    assert [(r["teacher_code"], r["student_code"]) for r in result.rows["cases"]] == [
        ("T01", "S3"), ("T02", "S1"), ("T02", "S2")]
    assert [r["teacher_code"] for r in result.rows["services"]] == ["T01", "T01", "T02"]
    assert (merged.cases, merged.services) == (3, 3)


def test_same_student_same_teacher_different_values_is_a_conflict_kept_twice_and_red():
    a = source("a.xlsx", [case("S1", sessions=2), case("S2")])
    b = source("b.xlsx", [case("S1", sessions=5, grade=8)])
    merged = merge_sources([a, b], **META)
    assert not merged.clean
    (conflict,) = merged.conflicts
    assert conflict.key == ("T01", "S1") and (conflict.first, conflict.second) == ("a.xlsx", "b.xlsx")
    assert set(conflict.fields) == {"學生年級", "當月晤談累積次數(人次)"}
    assert merged.cases == 3
    spec = VERSIONS["113"].sheet("cases")
    ws = openpyxl.load_workbook(io.BytesIO(merged.data))[spec.title]
    for row in conflict.rows:
        assert ws[f"C{row}"].value == "S1"
        assert ws[f"C{row}"].fill.fgColor.rgb.endswith("FF5050")   # red
        assert ws[f"D{row}"].fill.fgColor.rgb.endswith("FF5050")   # 學生年級 differs
        assert "b.xlsx" in ws[f"C{row}"].comment.text or "a.xlsx" in ws[f"C{row}"].comment.text
    assert ws["A7"].fill.fgColor.rgb not in ("FFFF5050",)  # S2's row is not marked
    # the check refuses the duplicate, so the merged copy cannot be filed before it is fixed
    assert any(p.category == "duplicate" for p in merged_rows(merged).errors)


def test_an_identical_row_in_two_files_is_kept_once():
    a = source("a.xlsx", [case("S1"), case("S2")])
    b = source("b.xlsx", [case("S1"), case("S3")])
    merged = merge_sources([a, b], **META)
    assert merged.clean and merged.cases == 3
    assert merged.taken[1].identical == 1 and merged.taken[1].cases == 1
    assert merged_rows(merged).ok


def test_the_same_student_under_two_teachers_is_allowed_and_noted():
    a = source("a.xlsx", [case("S1", "T01")])
    b = source("b.xlsx", [case("S1", "T02", staff_type=2)])
    merged = merge_sources([a, b], **META)
    assert merged.clean and merged.shared_students == [("S1", ("T01", "T02"))]
    assert merged_rows(merged).ok


@pytest.mark.parametrize(("meta", "phrase"), [
    ({"unit_code": "999999"}, "單位"), ({"month": 10}, "月"), ])
def test_a_file_of_another_unit_or_month_is_refused_by_the_engine(meta, phrase):
    _name, result = checked("x.xlsx", [case("S1")], **meta)
    assert result.fatal and phrase in result.fatal


def test_an_old_version_is_refused_by_the_engine_and_versions_must_agree():
    data = corpus.filled("111", corpus.random_rows("111", "cases", 2), corpus.random_rows("111", "services", 2), **META)
    assert validate_workbook(data, CTX).fatal
    a = source("a.xlsx", [case("S1")])
    with pytest.raises(MergeRefused, match="版本"):
        merge_sources([a, Source("b.xlsx", "111", {"cases": [], "services": []})], **META)


def test_between_2_and_20_files():
    a = source("a.xlsx", [case("S1")])
    with pytest.raises(MergeRefused):
        merge_sources([a], **META)
    with pytest.raises(MergeRefused):
        merge_sources([a] * 21, **META)


def test_twenty_files():
    sources = [source(f"t{i:02d}.xlsx", [case(f"S{i}-{j}", f"T{20 - i:02d}") for j in range(3)],
                      [service(f"T{20 - i:02d}")]) for i in range(20)]
    merged = merge_sources(sources, **META)
    assert merged.clean and (merged.cases, merged.services) == (60, 20)
    result = merged_rows(merged)
    assert result.ok
    teachers = [r["teacher_code"] for r in result.rows["cases"]]
    assert teachers == sorted(teachers) and teachers[0] == "T01"


def test_the_same_service_in_two_files_is_summed_into_one_row():
    a = source("a.xlsx", [case("S1")], [service("T01"), service("T01", 2)])
    b = source("b.xlsx", [case("S2")], [service("T01")])
    merged = merge_sources([a, b], **META)
    assert merged.services == 2 and merged.taken[1].summed == 1
    (row, names), = merged.summed
    assert names == ["a.xlsx", "b.xlsx"] and (row["male"], row["female"], row["events"]) == (2, 4, 2)
    result = merged_rows(merged)
    assert result.ok and not result.warnings
