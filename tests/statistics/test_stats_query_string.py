"""The 統計查詢 query string: months that have not begun are left out."""
from __future__ import annotations

import datetime as dt

from cgs_portal.statistics.schemas import months_not_yet_fileable, parse, period_note

TODAY = dt.date(2024, 10, 3)


def test_a_past_academic_year_is_whole_and_the_current_one_stops_at_this_month():
    query, choices, errors = parse({"period": "ay", "ay": ["112"]}, "cases", TODAY)
    assert errors == [] and len(query.months) == 12 and period_note(choices, TODAY) == ""
    query, choices, errors = parse({"period": "ay", "ay": ["113"]}, "cases", TODAY)
    assert query.months == ((2024, 8), (2024, 9), (2024, 10))
    assert period_note(choices, TODAY) == "尚未開放填報的月份不列入查詢：113年11月起共 9 個月。"


def test_only_months_not_yet_begun_is_an_error():
    query, _choices, errors = parse({"year": ["113"], "month": ["11", "12"]}, "cases", TODAY)
    assert query is None
    assert errors == ["所選的月份尚未開放填報，還沒有資料：請選擇 113年10月（含）以前的月份。"]


def test_this_month_counts_as_begun():
    assert months_not_yet_fileable([(2024, 10), (2024, 11)], TODAY) == [(2024, 11)]
    query, _choices, errors = parse({"year": ["113"], "month": ["10"]}, "cases", TODAY)
    assert errors == [] and query.months == ((2024, 10),)


def test_the_filing_states_stop_at_the_month_whose_filing_has_opened():
    # on 3 October October's filing has not opened (early filing from the 11th): 表IX stops
    # at September, so no unit is 未填報 for October yet; the other tables keep October
    query, choices, _errors = parse({"table": "IX", "period": "ay", "ay": ["113"]}, "cases", TODAY)
    assert query.months == ((2024, 8), (2024, 9))
    assert period_note(choices, TODAY) == "尚未開放填報的月份不列入查詢：113年10月起共 10 個月。"
    _query, _choices, errors = parse({"table": "IX", "year": ["113"], "month": ["10"]}, "cases", TODAY)
    assert errors == ["所選的月份尚未開放填報，還沒有資料：請選擇 113年9月（含）以前的月份。"]
    query, _choices, _errors = parse({"table": "IX", "year": ["113"], "month": ["10"]}, "cases",
                                     dt.date(2024, 10, 11))
    assert query.months == ((2024, 10),)
