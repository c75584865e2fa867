"""Benchmark of the reporting-rate dashboards.  Prints one ``name value unit`` line per figure.

    .venv/bin/python bench/dashboard.py           # 4,000 units x 12 months (a national year)
    .venv/bin/python bench/dashboard.py --quick   # 400 units

A fresh FileStorage in a temporary directory is filled through the real transitions
(``MonthlyReport.admin_record`` for paper / no-cases filings, on time or late, some months not
filed), so every county ledger is written exactly as filings write it. Then the real WSGI app
(WebTest, a logged-in national administrator) renders the national dashboard cold (a fresh
process cache, a fresh ZODB connection) and warm, and a county's dashboard.
"""
from __future__ import annotations

import datetime as dt
import random
import sys
import tempfile
import time

import webtest
from common import TAIPEI, close_databases, make_app, median
from common import emit as emit_figure

from cgs_portal.admin import rates
from cgs_portal.calendar import academic_year_months
from cgs_portal.counties import COUNTIES
from cgs_portal.resources import Unit
from support import add_account, login, open_root

NOW = "2025-08-05T09:00:00"  # every month of 113學年度 has opened; July is being filed
LEVELS = ("國小", "國中", "高中", "輔諮中心")


def emit(name, value, unit):
    emit_figure(name, value, unit, digits=1)


def fill(app, n_units: int) -> int:
    """n_units spread over the 22 counties, each with 12 months of states; returns the reports."""
    rng = random.Random(113)
    codes = sorted(COUNTIES)
    reports = 0
    with open_root(app) as root:
        account = add_account(root, "admin1", role="admin", name="管理者", email="a@example.invalid")
        account.password_changed_at = dt.datetime(2025, 7, 20, tzinfo=TAIPEI)
    for c, county_code in enumerate(codes):
        with open_root(app) as root:
            county = root["counties"][county_code]
            for i in range(c, n_units, len(codes)):
                code = f"{i:06d}"
                unit = county.add(code, Unit(code, f"效能示範學校{i}", LEVELS[i % 4], county_code,
                                             opened_on=dt.date(2020, 8, 1)))
                for y, m in academic_year_months(113):
                    roll = rng.random()
                    if roll < 0.08:
                        continue  # not filed
                    ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
                    day = rng.randint(1, 10) if roll < 0.85 else rng.randint(11, 25)
                    at = dt.datetime(ny, nm, day, 9, tzinfo=TAIPEI)
                    kind = "no_cases" if roll < 0.2 else "paper"
                    unit.report(y, m, create=True).admin_record(kind, "效能測試", "admin1", at)
                    reports += 1
    return reports


def timed(browser, url, repeat=1):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        browser.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main_bench(quick: bool):
    n_units = 400 if quick else 4000
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(tmp, NOW, blob_layout=None)
        start = time.perf_counter()
        count = fill(app, n_units)
        emit("fill_units", n_units, "units")
        emit("fill_reports", count, "reports")
        emit("fill_s", time.perf_counter() - start, "s")
        browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.99"})
        login(browser, "admin1")
        browser.get("/rates?ay=112")  # compile the templates (another year: not the figure's cache)
        browser.get("/counties/65000/?ay=112")
        rates.CACHE.clear()
        url = "/rates?ay=113&m=2025-07"
        cold = timed(browser, url)[0]
        page = browser.get(url)
        assert "全國填報率" in page.text and f"/ {n_units}" in page.text, "the national page lost units"
        warm = timed(browser, url, 7)
        emit("national_dashboard_ms_cold", cold, "ms")
        emit("national_dashboard_ms_warm", median(warm), "ms")
        rates.CACHE.clear()
        county_cold = timed(browser, "/counties/65000/?ay=113&m=2025-07")[0]
        county_warm = timed(browser, "/counties/65000/?ay=113&m=2025-07", 7)
        emit("county_dashboard_ms_cold", county_cold, "ms")
        emit("county_dashboard_ms", median(county_warm), "ms")
        close_databases(app)


if __name__ == "__main__":
    main_bench("--quick" in sys.argv)
