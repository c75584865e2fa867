"""Benchmark of filing through the pages.  Prints one ``name value unit`` line per figure.

    .venv/bin/python bench/filing.py

A fresh FileStorage with blobs in a temporary directory, the real WSGI app driven by
WebTest, a logged-in 國中 unit: upload a workbook of 5,000 case rows and 5,000 service rows
(validation, blob, rows, aggregates, the confirmation of its warnings: the whole user path),
then the stored-rows page, a re-filing with its diff, and the county / national roll-ups
over a year of synthetic filings, cold and cached.
"""
from __future__ import annotations

import datetime as dt
import tempfile
import time

from common import (
    TAIPEI,
    UNIT,
    bench_unit_browser,
    emit,
    file_through_page,
    make_app,
    unit_workbook,
)

from support import add_unit, load_corpus, open_root

mc = load_corpus()


def synthetic_year(app, units_per_county=20):
    """Aggregates-only filings for 22 counties × N units × 12 months (for the roll-ups)."""
    from cgs_portal.reporting.models import Filing, RowStore, Upload
    from cgs_portal.workbook import build_aggregates

    rows_c = [dict(zip([c.key for c in mc.VERSIONS["113"].sheet("cases").columns], r, strict=False))
              for r in mc.random_rows("113", "cases", 8, seed=5)]
    for row in rows_c:
        row["student_status"] = (0,)
        row["case_source"] = (0,)
        row["sub_categories"] = (0,)
    aggregates = build_aggregates("A", "113", rows_c, [])
    months = [(2024, m) for m in range(8, 13)] + [(2025, m) for m in range(1, 8)]
    with open_root(app) as root:
        n = 0
        for county in root["counties"].values():
            for i in range(units_per_county):
                code = f"{county.code[:2]}9{i:03d}"
                unit = add_unit(root, code, f"示範{code}", "國中", county.code)
                for y, m in months:
                    report = unit.report(y, m, create=True)
                    upload = Upload(1, "x.xlsx", None, "bench")
                    upload.aggregates = aggregates
                    upload.rows = RowStore({})
                    report.filing = Filing("cases", dt.datetime(2024, 10, 3, tzinfo=TAIPEI), "bench",
                                           False, upload=upload)
                    n += 1
    return months, n


def main_bench():
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(tmp, "2024-10-03T09:00:00")
        browser = bench_unit_browser(app, "192.0.2.5")
        browser.get(UNIT + "current")  # warm templates
        data = unit_workbook(5000, 5000, 1)
        emit("workbook_5000_bytes", len(data), "B")
        total, upload_s, page = file_through_page(browser, "2024-09", data, show_warnings=True)
        assert page.html.select_one("#count-cases").text == "5000", page.html.select_one("#count-cases")
        assert page.html.select_one("#count-services").text == "5000"
        emit("file_5000_s", total, "s")
        emit("file_5000_upload_and_validate_s", upload_s, "s")
        start = time.perf_counter()
        rows = browser.get(UNIT + "113/2024-09/rows")
        emit("rows_page_10000_rows_s", time.perf_counter() - start, "s")
        assert rows.status_int == 200

        # file_500 for the typical size
        clock = app.registry.cgs_clock
        clock.set_now(dt.datetime(2024, 9, 12, 9, 0, tzinfo=TAIPEI))
        total, _u, _p = file_through_page(browser, "2024-08", unit_workbook(500, 500, 3, month=8),
                                        show_warnings=True)
        emit("file_500_s", total, "s")
        clock.set_now(dt.datetime(2024, 10, 3, 9, 0, tzinfo=TAIPEI))

        # a re-filing after an approved amendment: upload, diff, confirm
        with open_root(app) as root:
            report = root["counties"]["65000"]["013501"].report(2024, 9)
            now = clock.now()
            report.request_amendment("bench", "013501_bench", now, now.date())
            report.decide_amendment(True, "", "admin", now)
        total, _u, _p = file_through_page(browser, "2024-09", unit_workbook(5000, 5000, 11),
                                        show_warnings=True)
        emit("refile_5000_with_diff_s", total, "s")

        months, n = synthetic_year(app)
        emit("synthetic_filings", n, "reports")
        from cgs_portal.statistics.rollups import county_total, national_total

        with open_root(app) as root:
            start = time.perf_counter()
            national_total(root["counties"], months)
            emit("national_rollup_cold_s", time.perf_counter() - start, "s")
            start = time.perf_counter()
            national_total(root["counties"], months)
            emit("national_rollup_cached_s", time.perf_counter() - start, "s")
            start = time.perf_counter()
            county_total(root["counties"]["65000"], months)
            emit("county_rollup_cached_s", time.perf_counter() - start, "s")
        found = conflicts(app)
        emit("concurrent_filing_conflicts_length_counter", found["length"], "of_200")
        emit("concurrent_filing_conflicts_naive_shared_total", found["naive"], "of_200")


def conflicts(app, pairs=200):
    """Two units of one county file at the same moment (two connections, interleaved commits).

    Counts ConflictErrors with the county's conflict-resolving ``Length`` generation counter
    (what the portal does) and with a naive shared persistent total per county (what it avoids).
    """
    import transaction
    from persistent.mapping import PersistentMapping
    from ZODB.POSException import ConflictError

    from cgs_portal.statistics.rollups import note_filing

    db = app.registry._zodb_databases[""]
    with open_root(app) as root:
        for code in ("019901", "019902"):
            add_unit(root, code, f"衝突測試{code}", "國中", "65000")
        root["counties"]["65000"].naive_total = PersistentMapping({"filings": 0})
    results = {}
    for mode in ("length", "naive"):
        conflicts_seen = 0
        for _ in range(pairs):
            managers = [transaction.TransactionManager(explicit=True) for _ in range(2)]
            conns = []
            for tm in managers:
                tm.begin()
                conns.append(db.open(transaction_manager=tm))
            for conn, code in zip(conns, ("019901", "019902"), strict=True):
                county = conn.root()["cgs_portal"]["counties"]["65000"]
                unit = county[code]
                unit.phone = str(time.perf_counter())  # the unit's own write
                if mode == "length":
                    note_filing(unit)
                else:
                    county.naive_total["filings"] += 1
            for tm in managers:
                try:
                    tm.commit()
                except ConflictError:
                    conflicts_seen += 1
                    tm.abort()
            for conn in conns:
                conn.close()
        results[mode] = conflicts_seen
    return results


if __name__ == "__main__":
    main_bench()
