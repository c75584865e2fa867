"""The demo year of filings (make run) on the test world."""
from __future__ import annotations

import datetime as dt

from helpers import UNIT

from cgs_portal.reporting.demo import demo_months, load_demo_filings
from support import TAIPEI, login


def test_demo_files_a_year_for_the_demo_units(testapp, world, portal):
    now = dt.datetime(2025, 8, 20, 9, 0, tzinfo=TAIPEI)
    assert demo_months(now.date())[0] == (2024, 8) and demo_months(now.date())[-1] == (2025, 7)
    months = demo_months(dt.date(2026, 11, 28))
    assert months[0] == (2025, 8) and months[-1] == (2026, 10) and len(months) == 15
    with portal() as root:
        lines = load_demo_filings(root, now, full_units={"013601"})
        assert "monthly reports" in lines[0]
        assert load_demo_filings(root, now) == []  # once
        from cgs_portal.reporting import ledger  # the dashboard and statistics read the ledger

        for county in root["counties"].values():
            assert ledger.differences(county) == []
        assert len(list(ledger.entries(root["counties"]["65000"], "013601"))) == 12
    app_clock = testapp.app.registry.cgs_clock
    app_clock.set_now(now)
    login(testapp, world["unit"])
    year = testapp.get(UNIT + "year", {"ay": "113"})
    states = [td.text for td in year.html.select("#year-table .state")]
    assert len(states) == 12 and all(s.startswith("已填報") for s in states)
    rows = year.html.select("#year-table a")
    assert testapp.get(rows[3]["href"]).status_int == 200
