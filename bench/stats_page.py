"""Bench of the 統計查詢 *page* (not the engine): a national administrator's by-unit 逐月 table.

    .venv/bin/python bench/stats_page.py [--units 4000] [--repeat 3] [--keep DIR]

Builds a national index in memory with the row generators of ``bench/statistics.py`` (4,000
units × 12 months of 113學年度, the same seed; straight into ``StatsIndex.replace``, not
through ZODB: the figure here is the page, the engine and its feed are benched there) and
keeps it as a snapshot file in ``--keep`` for the next run. The real WSGI app (FileStorage
in a temporary folder, the national administrator logged in through the real form) answers
``GET /stats-cases`` with that index (``current_index`` patched), table I, 人次, grouped by
單位, 逐月彙整 over the 12 months (the query's first request, then the engine's ``run`` of
that query alone), then page 2 (the result kept: ``paging.RECENT``) and the xlsx download
(``--no-download`` skips it: a minute here). Prints ``name value unit`` lines: times are the
median of ``--repeat`` requests, sizes in KB.
"""
from __future__ import annotations

import argparse
import datetime as dt
import html as html_lib
import json
import os
import random
import re
import tempfile
import time
from statistics import MONTHS, case_rows, directory, service_rows  # bench/statistics.py

import webtest  # noqa: I001
from common import TAIPEI, close_databases, emit, make_app, median

from support import add_account, login, open_root

QUERY = [("run", "1"), ("table", "I"), ("measure", "visits"), ("period", "ay"), ("ay", "113"),
         ("layout", "monthly"), ("group", "unit")]


def national_index(n_units: int, seed=11):
    """The bench's national year, filed straight into the index (same generators and seed)."""
    from cgs_portal.resources import Unit
    from cgs_portal.statistics.index import FILED, NO_CASES, StatsIndex

    rng = random.Random(seed)
    index = StatsIndex()
    units = directory(n_units, rng)
    schools_of = {}
    for code, _n, level, county in units:
        if level != "輔諮中心":
            schools_of.setdefault(county, []).append(code)
    for code, name, level, county in units:
        unit = Unit(code, name, level, county, opened_on=dt.date(2022, 8, 1))
        index.set_unit(code, name, county, level, unit.family, unit.opened_on)
        grades = list(unit.grades)
        size = max(1, int(rng.lognormvariate(2.08, 0.8)))
        pool = [f"S{i:04d}" for i in range(int(size * 3.5) + 2)]
        teachers = 2 if level == "國小" else 4
        schools = schools_of.get(county) or ["000000"]
        for year, month in MONTHS:
            if rng.random() < (0.4 if month in (7, 8) else 0.05):
                index.replace(code, year, month, (), (), NO_CASES, "x")
                continue
            n = max(1, min(150, int(rng.lognormvariate(2.08, 0.8) * size / 8)))
            cases = case_rows(rng, unit.family, grades, pool, n, teachers, schools)
            services = service_rows(rng, unit.family, grades, max(1, int(rng.lognormvariate(2.48, 0.6))),
                                    teachers, schools)
            index.replace(code, year, month, cases, services, FILED, "x")
    return index


def load_or_build(keep: str, n_units: int):
    from cgs_portal.statistics import feed, snapshot

    path = os.path.join(keep, f"page-index-{n_units}.npz")
    holder = feed.Holder()
    if os.path.exists(path) and snapshot.load_into(holder, path):
        return holder.index, "loaded"
    holder.index = national_index(n_units)
    snapshot.save(holder, path)
    return holder.index, "built"


def timed_get(browser, url, params, repeat):
    times, response = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        response = browser.get(url, params)
        times.append((time.perf_counter() - start) * 1000)
    return median(times), response


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-download", action="store_true")
    parser.add_argument("--keep", default=os.path.join(tempfile.gettempdir(), "cgs-bench-stats-page"))
    args = parser.parse_args()
    os.makedirs(args.keep, exist_ok=True)
    start = time.perf_counter()
    index, how = load_or_build(args.keep, args.units)
    emit("index_ready_s", time.perf_counter() - start, f"s_{how}")
    emit("case_rows", int(index.live_rows()[0]), "rows")
    from cgs_portal.statistics.views import query as views

    views.current_index = lambda request: index
    with tempfile.TemporaryDirectory(prefix="cgs-bench-page-") as tmp:
        app = make_app(tmp, "2025-08-05T09:00:00")
        with open_root(app) as root:
            account = add_account(root, "admin_bench", role="admin", name="管理者", email="admin@example.invalid")
            account.password_changed_at = dt.datetime(2025, 8, 1, 9, 0, tzinfo=TAIPEI)  # the 180-day gate
        browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.20"})
        login(browser, "admin_bench")
        browser.get("/stats-cases", QUERY[:1] + [("table", "II")])  # templates compiled, caches warm
        from cgs_portal.statistics import paging

        firsts = []
        for _ in range(args.repeat):  # the query's first request: nothing kept yet
            paging.RECENT.kept.clear()
            ms, page = timed_get(browser, "/stats-cases", QUERY, 1)
            firsts.append(ms)
        ms = median(firsts)
        body = page.body  # counted as bytes: the whole by-unit page is far too large for an HTML parser
        emit("by_unit_monthly_page_ms", ms, "ms")
        emit("by_unit_monthly_page_kb", len(body) // 1024, "KB")
        emit("by_unit_monthly_tables", body.count(b'<table class="table table-sm table-bordered stats-table"'),
             "tables")
        emit("by_unit_monthly_body_rows", body.count(b"<th scope=\"row\">"), "rows")
        emit("by_unit_monthly_cells", body.count(b"<td"), "cells")
        chart = re.search(rb'id="stats-chart-data">(.*?)</script>', body, re.S)
        emit("chart_json_kb", len(chart.group(1)) // 1024, "KB")
        emit("chart_labels", len(json.loads(chart.group(1)).get("labels", [])), "bars")
        from cgs_portal.statistics.query import Query, Scope, run

        query = Query("I", "visits", tuple(MONTHS), layout="monthly", group="unit")
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            run(index, query, Scope("nation"), 3)
            times.append((time.perf_counter() - start) * 1000)
        emit("engine_run_ms", median(times), "ms")  # the part of the page that is the engine's
        ms2, page2 = timed_get(browser, "/stats-cases", QUERY + [("pg", "2")], args.repeat)
        emit("by_unit_monthly_page2_ms", ms2, "ms")  # turning the page: the result is kept (paging.RECENT)
        emit("by_unit_monthly_page2_kb", len(page2.body) // 1024, "KB")
        if args.no_download:
            close_databases(app)
            return
        link = html_lib.unescape(re.search(r'id="download" href="([^"]+)"', page.text).group(1))
        ms3, download = timed_get(browser, link, [], 1)
        emit("download_ms", ms3, "ms")
        emit("download_kb", len(download.body) // 1024, "KB")
        close_databases(app)


if __name__ == "__main__":
    main()
