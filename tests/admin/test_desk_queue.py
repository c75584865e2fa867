"""申請修改審核: filters and bulk decisions."""
from __future__ import annotations

import datetime as dt

import pytest

from cgs_portal.reporting import workflow
from support import csrf_token, login

TAIPEI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def requests(portal, world):
    """Two pending requests in 新北 (國小 013601, 國中 013501), one in 臺北 (國小 333601)."""
    with portal() as root:
        for county, code, day in (("65000", "013601", 1), ("65000", "013501", 2), ("63000", "333601", 3)):
            report = root["counties"][county][code].report(2024, 9, create=True)
            filed = dt.datetime(2024, 10, day, 9, tzinfo=TAIPEI)
            report.file_no_cases("u", filed, filed.date())
            report.request_amendment("誤填", "u", filed, filed.date())
    return world


def rows(page):
    table = page.html.find(id="queue-table")
    return [tr["id"] for tr in table.find("tbody").find_all("tr")] if table else []


def test_filters(testapp, requests):
    login(testapp, requests["admin"])
    assert len(rows(testapp.get("/amendments"))) == 3
    assert rows(testapp.get("/amendments", {"county": "65000"})) == ["request-013601-2024-09", "request-013501-2024-09"]
    assert rows(testapp.get("/amendments", {"county": "65000", "level": "國中"})) == ["request-013501-2024-09"]
    assert rows(testapp.get("/amendments", {"m": "2024-10"})) == []
    # today is 2024-10-03: waiting at least 2 days leaves the request of the 1st
    assert rows(testapp.get("/amendments", {"age": "2"})) == ["request-013601-2024-09"]
    assert len(rows(testapp.get("/amendments", {"county": "<x>", "age": "-1", "level": "z"}))) == 3


def test_bulk_decisions_once(testapp, requests, portal, settings):
    login(testapp, requests["admin"])
    token = csrf_token(testapp)
    data = {"csrf_token": token, "decision": "approve", "note": "同意",
            "reports": ["65000/013601/2024-09", "63000/333601/2024-09"]}
    page = testapp.post("/amendments-bulk", data).follow()
    assert "已核准 2 件修改申請" in page.text
    page = testapp.post("/amendments-bulk", data).follow()  # a double submit decides nothing twice
    assert "已核准 0 件修改申請；2 件已處理過" in page.text
    with portal() as root:
        assert root["counties"]["65000"]["013601"].month_state(2024, 9, dt.date(2024, 10, 3)) == workflow.AMENDMENT_OPEN
        assert root["counties"]["65000"]["013501"].month_state(2024, 9, dt.date(2024, 10, 3)) == workflow.AMENDMENT_REQUESTED
    page = testapp.post("/amendments-bulk", {"csrf_token": token, "decision": "refuse"}).follow()
    assert "請勾選" in page.text
    page = testapp.post("/amendments-bulk", {"csrf_token": token, "decision": "refuse",
                                             "reports": ["x/y/z", "65000/013501/2024-09"]}).follow()
    assert "已不核准 1 件" in page.text


@pytest.mark.parametrize("role", ["unit", "county", "helpdesk"])
def test_only_administrators_decide(testapp, requests, role):
    login(testapp, requests[role])
    testapp.post("/amendments-bulk", {"csrf_token": csrf_token(testapp), "decision": "approve",
                                      "reports": ["65000/013601/2024-09"]}, status=403)
    testapp.get("/amendments", status=403)
