"""Every table against figures counted by hand from ``stats_fixture`` (013601, Sep–Oct 2024).

Sep: S1 (g3 男, main 5, sub 3+8, new, sources 1+3, 2 sessions), S2 (g3 女, main 5, new,
source 2, status 8, referral 1), S3 (g4 男, main 1, sub 5, 3 sessions); Oct: S1 (main 5),
S3 (main 3, status 8+11, referral 3, 4 sessions). Services Sep: T1 item 4 → 教職員 1+2,
item 1 → 三年級 5+4; Oct: T2 item 1 → 三年級 2+0.
"""
from __future__ import annotations

import pytest
from stats_fixture import small_index

from cgs_portal.statistics.query import Query, Scope, run

UNIT = Scope("unit", "013601")
MONTHS = ((2024, 9), (2024, 10))


def totals(table, measure="visits", **kw):
    """{row label: row total} of the first block."""
    block = run(small_index(), Query(table, measure, MONTHS, **kw), UNIT).blocks[0]
    return {label: int(block.values[i, -1, -1]) for i, label in enumerate(block.rows)
            if block.values[i, -1, -1]}


def cell(table, row, group, sub, measure="visits", **kw):
    block = run(small_index(), Query(table, measure, MONTHS, **kw), UNIT).blocks[0]
    return int(block.values[block.rows.index(row), block.groups.index(group), block.subs.index(sub)])


def test_table_I_both_categories_visits_and_persons():
    assert totals("I") == {"人際困擾": 1, "家庭困擾": 2, "情緒困擾": 4, "自我傷害": 1, "合計": 8}
    # 人數: S1 twice under 情緒困擾 (Sep, Oct) counts once; 合計 is distinct (S1, S2, S3)
    assert totals("I", "persons") == {"人際困擾": 1, "家庭困擾": 2, "情緒困擾": 3, "自我傷害": 1, "合計": 3}
    assert cell("I", "情緒困擾", "三年級", "男") == 2  # S1 Sep + Oct
    assert cell("I", "情緒困擾", "三年級", "男", "persons") == 1
    assert cell("I", "情緒困擾", "三年級", "女") == 1
    assert cell("I", "情緒困擾", "四年級", "男") == 1  # S3's secondary category


def test_table_I_main_or_secondary_only():
    assert totals("I", category="main") == {"人際困擾": 1, "家庭困擾": 1, "情緒困擾": 3, "合計": 5}
    # S1 has two secondary categories: each counts once
    assert totals("I", category="sub") == {"家庭困擾": 1, "情緒困擾": 1, "自我傷害": 1, "合計": 3}
    assert totals("I", "persons", category="sub") == {"家庭困擾": 1, "情緒困擾": 1, "自我傷害": 1, "合計": 2}


def test_table_II_new_and_old_cases():
    assert totals("II") == {"新案": 2, "舊案": 3, "合計": 5}
    assert totals("II", "persons") == {"新案": 2, "舊案": 2, "合計": 3}


def test_table_III_sessions():
    assert totals("III") == {"人際困擾": 3, "家庭困擾": 4, "情緒困擾": 4, "合計": 11}
    assert totals("III", "persons") == {"人際困擾": 1, "家庭困擾": 1, "情緒困擾": 2, "合計": 3}


def test_table_IV_sources_of_new_cases():
    assert totals("IV") == {"學生主動求助": 1, "家長轉介": 1, "教師轉介(含教職員工)": 1, "合計": 3}
    assert totals("IV", "persons")["合計"] == 2
    assert run(small_index(), Query("IV", "visits", MONTHS), UNIT).blocks[0].subs == ["計"]


def test_table_V_referrals():
    assert totals("V") == {"本月轉介輔諮中心": 1, "無轉介": 3, "已轉介輔諮中心且該中心持續服務中": 1, "合計": 5}
    assert totals("V", "persons") == {"本月轉介輔諮中心": 1, "無轉介": 2,
                                      "已轉介輔諮中心且該中心持續服務中": 1, "合計": 3}


def test_table_VI_student_status():
    assert totals("VI") == {"以下皆非": 3, "情緒行為障礙": 2, "自閉症": 1, "合計": 6}
    assert totals("VI", "persons") == {"以下皆非": 2, "情緒行為障礙": 2, "自閉症": 1, "合計": 3}


def test_table_VII_services():
    assert totals("VII") == {"團體輔導": 11, "教師諮詢": 3, "合計": 14}
    assert cell("VII", "團體輔導", "三年級", "男") == 7
    assert cell("VII", "教師諮詢", "教職員", "女") == 2
    # 服務對象: students only
    assert totals("VII", targets=(3,)) == {"團體輔導": 11, "合計": 11}
    assert totals("VII", sex="female") == {"團體輔導": 4, "教師諮詢": 2, "合計": 6}
    result = run(small_index(), Query("VII", "persons", MONTHS), UNIT)
    assert result.measure == "visits" and result.notes


def test_table_VIII_teachers():
    assert totals("VIII", "persons") == {"專任輔導教師": 1, "兼任輔導教師": 1, "合計": 2}
    assert totals("VIII") == {"專任輔導教師": 2, "兼任輔導教師": 2, "合計": 4}  # teacher-months


def test_table_IX_filing_states():
    block = run(small_index(), Query("IX", "visits", ((2024, 9), (2024, 10), (2024, 11), (2024, 12))),
                UNIT).blocks[0]
    got = {label: int(block.values[i, -1, -1]) for i, label in enumerate(block.rows)}
    assert got == {"已填報": 1, "逾期補填": 1, "當月無個案及服務": 1, "未填報": 1, "合計": 4}


def test_monthly_layout_persons_total_is_distinct_across_months():
    block = run(small_index(), Query("I", "persons", MONTHS, layout="monthly"), UNIT).blocks[0]
    assert block.groups == ["113年9月", "113年10月", "合計"]
    total = block.rows.index("合計")
    assert block.values[total, :, -1].tolist() == [3, 2, 3]
    emotion = block.rows.index("情緒困擾")
    assert block.values[emotion, :, -1].tolist() == [3, 1, 3]  # S1, S2, S3 (sub) | S1 | distinct


@pytest.mark.parametrize("kw, expected", [
    ({"staff": (2,)}, {"人際困擾": 1, "家庭困擾": 1, "情緒困擾": 1, "合計": 3}),
    ({"grades": (3,)}, {"家庭困擾": 1, "情緒困擾": 3, "自我傷害": 1, "合計": 5}),
    ({"sex": "female"}, {"情緒困擾": 1, "合計": 1}),
])
def test_filters(kw, expected):
    assert totals("I", **kw) == expected


def test_grade_filter_limits_the_columns():
    block = run(small_index(), Query("I", "visits", MONTHS, grades=(3, 4)), UNIT).blocks[0]
    assert block.groups == ["三年級", "四年級", "合計"]


def test_a_month_without_rows_is_empty():
    result = run(small_index(), Query("I", "visits", ((2023, 9),)), UNIT)
    assert result.empty


def test_previous_year_comparison_column():
    index = small_index()
    index.replace("013601", 2023, 9, [{"teacher_code": "T1", "staff_type": 1, "student_code": "S9", "grade": 2,
                                       "sex": 1, "main_category": 5, "sub_categories": (0,),
                                       "case_source": (0,), "student_status": (0,), "case_status": 2,
                                       "referral": 2, "sessions": 1}], (), 1, "z")
    block = run(index, Query("I", "visits", MONTHS, compare=True), UNIT).blocks[0]
    assert int(block.compare[block.rows.index("情緒困擾")]) == 1
    assert int(block.compare[block.rows.index("合計")]) == 1


def test_other_scopes_see_nothing_of_a_unit_outside_them():
    result = run(small_index(), Query("I", "visits", MONTHS), Scope("county", "63000"))
    assert result.empty
    assert int(result.blocks[0].values.sum()) == 0


def test_the_chart_draws_the_table_figures_and_names_the_measure():
    result = run(small_index(), Query("I", "persons", MONTHS), UNIT)
    chart = result.chart()
    assert chart["type"] == "bar" and chart["stacked"] is True
    assert chart["title"] == "表I 學校輔導議題人次（人數）"
    block = result.blocks[0]
    male = chart["datasets"][0]
    assert male["label"] == "男"
    j, k = len(block.groups) - 1, block.subs.index("男")
    assert male["data"] == [int(block.values[i, j, k]) for i in range(len(block.rows) - 1)]
    assert run(small_index(), Query("I", "visits", MONTHS), UNIT).chart()["title"].endswith("（人次）")
