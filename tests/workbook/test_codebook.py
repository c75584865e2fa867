"""代碼查詢 (workbook.codebook): generated from the schema, with the rules of each code."""
from __future__ import annotations

from cgs_portal.workbook import codes
from cgs_portal.workbook.codebook import code_lists, search
from cgs_portal.workbook.schema import VERSIONS


def by_key(lists):
    return {entry.key: entry for entry in lists}


def test_every_coded_column_of_the_version_is_listed_with_the_schema_codes():
    lists = by_key(code_lists("113", level="國中"))
    coded = {c.key for sheet in VERSIONS["113"].sheets for c in sheet.columns if c.codes}
    assert set(lists) == coded
    assert [(c.code, c.label) for c in lists["main_category"].codes] == list(codes.CATEGORIES)
    assert [(c.code, c.label) for c in lists["closure"].codes] == list(codes.CLOSURE_A)
    # a column on both sheets (身分) is one entry naming both
    assert len(lists["staff_type"].sheets) == 2
    assert "closure" not in by_key(code_lists("111", level="國中"))


def test_rules_come_with_the_codes():
    lists = by_key(code_lists("113", level="國中"))
    assert any("19 其他" in r and "個案類別(主)其他說明" in r for r in lists["main_category"].rules)
    assert any("17 其他" in r for r in lists["service_item"].rules)
    assert any("6 線上預約" in r and "高中階段" in r for r in lists["case_source"].rules)
    assert any("不可與「個案類別(主)」相同" in r for r in lists["sub_categories"].rules)
    assert any("至多 2 項" in r for r in lists["sub_categories"].rules)


def test_grades_allowed_follow_the_unit_level():
    junior = by_key(code_lists("113", level="國中"))
    assert [c.code for c in junior["grade"].codes if c.allowed] == [7, 8, 9]
    assert "本單位（國中）可填：7 七年級、8 八年級、9 九年級" in junior["grade"].rules[0]
    assert [c.code for c in junior["target"].codes if c.allowed] == [7, 8, 9, 13, 14, 15]
    senior = by_key(code_lists("113", level="高中"))
    assert [c.code for c in senior["grade"].codes if c.allowed] == [10, 11, 12]
    assert next(c for c in senior["case_source"].codes if c.code == 6).allowed
    assert not next(c for c in junior["case_source"].codes if c.code == 6).allowed


def test_family_b_lists_its_own_codes():
    lists = by_key(code_lists("B113", level="輔諮中心"))
    assert [(c.code, c.label) for c in lists["case_source"].codes] == list(codes.CASE_SOURCES_B)
    assert "service_mode" in lists and "referral" not in lists


def test_search_by_label_code_or_column():
    lists = code_lists("113", level="國中")
    found = search(lists, "網路")
    assert [(e.key, [c.code for c in e.codes]) for e in found] == [("main_category", [15]), ("sub_categories", [15])]
    assert [e.key for e in search(lists, "結案情形")] == ["closure"]
    assert search(lists, "ｘｙｚ無此") == []
    assert search(lists, "  ") == lists
    # full-width input is normalised
    assert search(lists, "網路")[0].codes == search(lists, "網路 ")[0].codes
