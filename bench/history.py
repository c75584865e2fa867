"""Benchmark of 填報紀錄 (歷史個案 / 歷史服務).  Prints one ``name value unit`` line per figure.

    .venv/bin/python bench/history.py            # a large 國中: 12 months × 150 cases, 60 services
    .venv/bin/python bench/history.py --quick    # 3 months, 40 requests

A fresh FileStorage with blobs in a temporary directory, the real WSGI app driven by
WebTest. The unit files every month of 113學年度 **through the filing pages** (upload,
validation, confirmation of warnings), at the upper end of the domain spec's row counts for
one unit (A-1 up to 150 rows a month for a large school; A-2 60). Then a logged-in unit asks
for its 12 months again and again with a random mix of what the page offers — first page,
sort by any column either way, 包含 filters on one or two columns (multi-valued codes too),
later pages, a column subset, the filter's value list open — each a full GET through the
app (traversal, security, ZODB, engine, template). ``history_page_p95_ms`` is the issue's
figure (target < 150 ms); the download of all matching rows is timed too.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time

from common import (
    TAIPEI,
    UNIT,
    bench_unit_browser,
    close_databases,
    emit,
    file_through_page,
    make_app,
    median,
    unit_workbook,
)

MONTHS = [(2024, m) for m in range(8, 13)] + [(2025, m) for m in range(1, 8)]


def file_month(browser, year, month, cases, services, seed):
    data = unit_workbook(cases, services, seed, roc_year=year - 1911, month=month)
    file_through_page(browser, f"{year:04d}-{month:02d}", data)


def random_query(rng, months):
    params = [("m", f"{y:04d}-{m:02d}") for y, m in months]
    kind = rng.choice(("plain", "sort", "filter", "filter2", "page", "columns", "pick"))
    if kind == "sort":
        params += [("sort", rng.choice(("student_code", "grade", "main_category", "sessions",
                                        "sub_categories", "month", "teacher_code")))]
        if rng.random() < 0.5:
            params.append(("desc", "1"))
    elif kind in ("filter", "filter2"):
        params += [("f.main_category", str(c)) for c in rng.sample(range(1, 20), rng.randint(1, 3))]
        if kind == "filter2":
            params += [("f.sub_categories", str(c)) for c in rng.sample(range(0, 20), 2)]
            params.append(("sort", "sessions"))
    elif kind == "page":
        params.append(("page", str(rng.randint(2, 30))))
    elif kind == "columns":
        params += [("col", c) for c in ("month", "student_code", "grade", "sex", "main_category")]
    else:
        params += [("fcol", rng.choice(("student_code", "main_category", "sub_categories", "grade")))]
    if rng.random() < 0.3:
        params.append(("size", "100"))
    return params


def main_bench(quick: bool):
    months = MONTHS[-3:] if quick else MONTHS
    requests = 40 if quick else 200
    cases, services = 150, 60
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(tmp, "2025-07-15T09:00:00")
        browser = bench_unit_browser(app, "192.0.2.6",
                                     password_changed_at=dt.datetime(2025, 7, 1, tzinfo=TAIPEI))
        start = time.perf_counter()
        for i, (y, m) in enumerate(months):
            file_month(browser, y, m, cases, services, seed=10 + i)
        emit("history_fill_months", len(months), "months")
        emit("history_fill_s", time.perf_counter() - start, "s")
        emit("history_case_rows", cases * len(months), "rows")

        rng = random.Random(11)
        page = browser.get(UNIT + "history-cases", [("m", f"{y:04d}-{m:02d}") for y, m in months])
        assert page.html.select_one("#history-table"), page.text[-1500:]
        times = []
        for _ in range(requests):
            sheet = "history-cases" if rng.random() < 0.8 else "history-services"
            params = random_query(rng, months)
            t0 = time.perf_counter()
            response = browser.get(UNIT + sheet, params)
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_int == 200
        times.sort()
        emit("history_requests", len(times), "requests")
        emit("history_page_p50_ms", median(times), "ms")
        emit("history_page_p95_ms", times[int(len(times) * 0.95) - 1], "ms")
        emit("history_page_max_ms", times[-1], "ms")

        t0 = time.perf_counter()
        response = browser.get(UNIT + "history-cases.xlsx", [("m", f"{y:04d}-{m:02d}") for y, m in months])
        emit("history_download_all_cases_ms", (time.perf_counter() - t0) * 1000, "ms")
        emit("history_download_bytes", len(response.body), "B")
        close_databases(app)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 months and 40 requests")
    main_bench(parser.parse_args().quick)
