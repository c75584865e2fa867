"""The 填報紀錄 engine (``statistics.history``): columns, 包含 filters, sort, paging, the link."""
from __future__ import annotations

import pytest

from cgs_portal.statistics import history as H


def rows(*dicts):
    return tuple(dicts)


@pytest.fixture
def hist():
    sept = rows(
        {"teacher_code": "T01", "student_code": "S1", "main_category": 5, "sub_categories": (0,), "sessions": 3, "sex": 1},
        {"teacher_code": "T02", "student_code": "S2", "main_category": 3, "sub_categories": (5, 12), "sessions": 1, "sex": 2},
        {"teacher_code": "T01", "student_code": "S3", "main_category": 12, "sub_categories": (3,), "sessions": 2, "sex": 2},
    )
    march = rows({"teacher_code": "T03", "student_code": "S9", "main_category": 5, "sub_categories": (0,), "sessions": 4,
                  "sex": 1})
    return H.History("A", "cases", [H.MonthRows(2024, 9, sept), H.MonthRows(2024, 3, march)])


def keys(history, query):
    return [e[1]["student_code"] for e in history.select(query)]


def test_columns_month_first_schema_order_and_merged_versions():
    cases = [c.key for c in H.columns_of("A", "cases")]
    assert cases[:4] == ["month", "teacher_code", "staff_type", "student_code"]
    assert cases[-1] == "closure"  # only the 113 template has it; kept
    services = [c.key for c in H.columns_of("A", "services")]
    assert services[-1] == "events"
    centre = [c.key for c in H.columns_of("B", "cases")]
    assert centre[1] == "school_code" and "service_mode" in centre and "referral" not in centre
    sex = {c.key: c for c in H.columns_of("A", "cases")}["sex"]
    assert sex.labels == {1: "生理男", 2: "生理女"}  # the newest version's words


def test_a_column_only_an_older_version_has_is_kept_after_its_neighbour(monkeypatch):
    from collections import OrderedDict

    from cgs_portal.workbook.schema import VERSIONS, Column, SheetSpec, TemplateSpec

    new = VERSIONS["113"]
    cols = new.sheet("cases").columns
    old_cols = cols[:2] + (Column("legacy", "舊欄位", "x", "text", "old"),) + cols[2:]
    old_sheet = SheetSpec("cases", "t", "t", old_cols, (), 6)
    fake = OrderedDict([("100", TemplateSpec("100", "A", 100, "old", (old_sheet, new.sheet("services")), "g")),
                        ("113", new)])
    monkeypatch.setattr(H, "VERSIONS", fake)
    keys = [c.key for c in H.columns_of("A", "cases")]
    assert keys[keys.index("legacy") - 1] == cols[1].key


def test_cells_and_labels():
    by = {c.key: c for c in H.columns_of("A", "cases")}
    assert by["main_category"].cell(3) == "3 家庭困擾"
    assert by["student_status"].cell((8, 11)) == "8 情緒行為障礙、11 自閉症"
    assert by["sub_categories"].tokens((5, 12)) == ("5", "12")
    assert by["sessions"].cell(7) == 7
    assert by["closure"].cell(None) == "" and by["closure"].tokens(None) == ("",)
    assert by["closure"].label("") == H.BLANK
    assert by["month"].cell((2024, 9)) == "113年9月" and by["month"].tokens((2024, 9)) == ("2024-09",)
    assert by["main_category"].label("99") == "99"  # an unknown code is shown as it is


def test_filters_use_contains_and_combine(hist):
    assert keys(hist, H.Query(filters=(("main_category", ("3", "12")),))) == ["S2", "S3"]
    assert keys(hist, H.Query(filters=(("sub_categories", ("5",)),))) == ["S2"]
    assert keys(hist, H.Query(filters=(("sub_categories", ("3", "12")),))) == ["S2", "S3"]
    both = H.Query(filters=(("sex", ("2",)), ("teacher_code", ("T01",))))
    assert keys(hist, both) == ["S3"]
    assert keys(hist, H.Query(filters=(("month", ("2024-03",)),))) == ["S9"]
    assert keys(hist, H.Query(filters=(("closure", ("",)),))) == ["S9", "S1", "S2", "S3"]  # all blank here


def test_rows_come_in_month_order_and_sort_is_stable(hist):
    assert keys(hist, H.Query()) == ["S9", "S1", "S2", "S3"]
    assert keys(hist, H.Query(sort="main_category")) == ["S2", "S9", "S1", "S3"]
    assert keys(hist, H.Query(sort="main_category", descending=True)) == ["S3", "S9", "S1", "S2"]
    assert keys(hist, H.Query(sort="sessions")) == ["S2", "S3", "S1", "S9"]
    assert keys(hist, H.Query(sort="sub_categories")) == ["S9", "S1", "S3", "S2"]


def test_blanks_sort_last():
    h = H.History("A", "cases", [H.MonthRows(2024, 9, rows({"student_code": "A", "closure": None},
                                                             {"student_code": "B", "closure": 2},
                                                             {"student_code": "C", "closure": 1}))])
    assert [e[1]["student_code"] for e in h.select(H.Query(sort="closure"))] == ["C", "B", "A"]


def test_paging_clamps(hist):
    page = hist.page(H.Query(size=25, page=9))
    assert (page.page, page.pages, page.total, page.matched, page.first, page.last) == (1, 1, 4, 4, 1, 4)
    many = H.History("A", "cases", [H.MonthRows(2024, 9, tuple({"student_code": f"S{i:03d}"} for i in range(60)))])
    last = many.page(H.Query(size=25, page=3, columns=("student_code",)))
    assert last.rows == [[f"S{i:03d}"] for i in range(50, 60)] and last.first == 51
    empty = hist.page(H.Query(filters=(("student_code", ("none",)),)))
    assert empty.matched == 0 and empty.first == 0 and empty.pages == 1


def test_shown_columns_keep_table_order(hist):
    page = hist.page(H.Query(columns=("main_category", "month", "student_code")))
    assert [c.key for c in page.columns] == ["month", "student_code", "main_category"]
    assert page.rows[0] == ["113年3月", "S9", "5 情緒困擾"]


def test_options_count_over_the_other_filters(hist):
    assert hist.options("main_category") == [("3", "3 家庭困擾", 1), ("5", "5 情緒困擾", 2),
                                             ("12", "12 學習困擾", 1)]
    narrowed = H.Query(filters=(("teacher_code", ("T01",)), ("main_category", ("19",))))
    assert hist.options("main_category", narrowed) == [("5", "5 情緒困擾", 1), ("12", "12 學習困擾", 1),
                                                       ("19", "19 其他", 0)]
    assert [o[0] for o in hist.options("sub_categories")] == ["0", "3", "5", "12"]


def test_describe_filters(hist):
    q = H.Query(filters=(("main_category", ("3", "12")), ("month", ("2024-09",))))
    assert hist.describe_filters(q) == ["個案類別(主) 包含 3 家庭困擾、12 學習困擾", "填報月份 包含 113年9月"]


COLUMNS = H.columns_of("A", "cases")
FILED = ((2024, 3), (2024, 9), (2024, 10))


def parse(**params):
    return H.parse_query({k.replace("__", "."): v if isinstance(v, list) else [v] for k, v in params.items()},
                         COLUMNS, FILED)


def test_parse_a_full_query_and_round_trip():
    query, messages, flags = parse(m=["2024-10", "2024-09", "2024-09"], col=["student_code", "month"],
                                   f__main_category=["3", "12"], sort="sessions", desc="1", page="2",
                                   size="25", fcol="sex")
    assert not messages and not flags["cols"]
    assert query.months == ((2024, 9), (2024, 10)) and query.columns == ("month", "student_code")
    assert query.filters == (("main_category", ("3", "12")),)
    assert (query.sort, query.descending, query.page, query.size, query.pick) == ("sessions", True, 2, 25, "sex")
    again, messages, _ = H.parse_query(_multi(H.link_params(query)), COLUMNS, FILED)
    assert again == query and not messages


def _multi(pairs):
    out = {}
    for name, value in pairs:
        out.setdefault(name, []).append(value)
    return out


@pytest.mark.parametrize("params, expected", [
    ({"m": ["2023-01"]}, "112年1月 沒有本單位的填報資料"),
    ({"m": ["2024-13"]}, "格式不正確"),
    ({"m": [f"{y}-{m:02d}" for y in range(2020, 2024) for m in range(1, 13)]}, "最多查詢 36 個月份"),
    ({"col": ["__dict__"]}, "沒有「__dict__」這個欄位"),
    ({"sort": ["password"]}, "排序欄位不存在"),
    ({"fcol": ["x"]}, "篩選欄位不存在"),
    ({"page": ["0"]}, "頁碼有誤"),
    ({"page": ["9" * 5000]}, "頁碼有誤"),
    ({"size": ["1000000"]}, "每頁筆數只能是"),
    ({"desc": ["yes"]}, "排序方向有誤"),
    ({"f.main_category": ["99"]}, "「個案類別(主)」沒有「99」這個選項"),
    ({"f.student_code": ["x" * 65]}, "「學生代號」沒有"),
    ({"f.student_code": [str(i) for i in range(51)]}, "最多 50 個值"),
    ({"f.nope": ["1"]}, "沒有「nope」這個欄位"),
])
def test_forged_values_get_a_message_and_are_left_out(params, expected):
    query, messages, _ = H.parse_query(params, COLUMNS, FILED)
    assert any(expected in m for m in messages), messages
    assert len(query.months) <= H.MAX_MONTHS
    assert all(len(tokens) <= H.MAX_FILTER_VALUES for _k, tokens in query.filters)
    assert query.page >= 1 and query.size in H.PAGE_SIZES


def test_empty_query():
    query, messages, flags = H.parse_query({}, COLUMNS, FILED)
    assert query == H.Query() and not messages and not flags["cols"]
