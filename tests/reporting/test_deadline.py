"""One source for "until when may this month be filed": 逾期補填, the month page and the mail agree."""
from __future__ import annotations

import datetime as dt

from helpers import UNIT, month_page, no_cases
from test_amendments import admin_browser, decide, request_change

from cgs_portal.resources import MonthlyReport, Unit
from support import login, outbox


def test_a_reopened_month_shows_the_amendment_end_everywhere(app, testapp, world, settings):
    login(testapp, world["unit"])
    no_cases(testapp, "2024-09")
    request_change(testapp, "2024-09").follow()
    decide(admin_browser(app, world), "approve")  # 2024-10-03 + 14 days
    assert "113/10/17" in outbox(settings)[0]["body"]
    row = next(tr for tr in testapp.get(UNIT + "overdue").html.select("#overdue-table tbody tr")
               if "113年9月" in tr.text)
    assert row.select("td")[2].text == "113/10/17"  # not September's ordinary 113/10/10
    assert "請於 113/10/17 前重新填報" in month_page(testapp, "2024-09").html.select_one("#amendment-open").text
    year_row = next(tr for tr in testapp.get(UNIT + "year").html.select("tbody tr") if "113年9月" in tr.text)
    assert "113/10/17" in year_row.text


def test_filing_deadline_is_the_window_unless_an_amendment_is_open():
    unit = Unit("013601", "示範國小", "國小", "65000", opened_on=dt.date(2022, 8, 1))
    today = dt.date(2024, 10, 20)
    assert unit.filing_deadline(2024, 9, today) == dt.date(2024, 10, 10)  # no report: the window
    report = MonthlyReport(2024, 9, state="amendment_open")

    class Amendment:
        open_until = dt.date(2024, 10, 25)

    report.amendment = Amendment()
    assert report.filing_deadline(today) == dt.date(2024, 10, 25)
    assert report.filing_deadline(dt.date(2024, 10, 26)) == dt.date(2024, 10, 10)  # expired
