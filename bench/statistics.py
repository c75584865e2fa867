"""Benchmark of 統計查詢 on a national year.  Prints one ``name value unit`` line per figure.

    .venv/bin/python bench/statistics.py [--quick]

1. Fills a throw-away FileStorage (with blobs) with a national year: 4,000 units × 12
   months (``--quick``: 200 × 3), row counts per the domain spec (A-1 lognormal median 8,
   A-2 median 12, ~5 % no-cases months, 40 % in July/August), *through the filing code
   path*: for every month an ``Upload`` holding a ``RowStore`` of rows in the shape the
   intake produces, confirmed with ``MonthlyReport.file`` (ledger entry, county generation,
   aggregates for the filing page) — exactly what ``reporting.service`` does after
   validation. The workbooks are not generated and read (48,000 files through the intake
   take hours on this machine); the rows are generated directly.
2. Builds the index from ZODB (``statistics.feed``), then times national, county and
   by-unit queries over random filter combinations of every table, 人數 over the merged
   year, the national xlsx, and the design it replaces (walking the per-report aggregates
   with the roll-up cache) in the same run.
3. Starts ``runzeo`` on a loopback port over the same storage, a second process (a
   reader, cold-started from the snapshot file) and re-files N months from this process:
   after each commit the reader answers straight away and says whether it was stale.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import transaction

ROOT = Path(__file__).resolve().parents[1]
TAIPEI = dt.timezone(dt.timedelta(hours=8))
AY = 113
MONTHS = [(2024, m) for m in range(8, 13)] + [(2025, m) for m in range(1, 8)]


def emit(name, value, unit):
    text = f"{value:.3f}" if isinstance(value, float) else str(value)
    print(f"{name} {text} {unit}", flush=True)


def p(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


# -- the national directory and rows -------------------------------------------------------------

def directory(n_units: int, rng):
    from cgs_portal.counties import COUNTIES

    codes = list(COUNTIES)
    weights = [10 if c in ("65000", "63000", "66000", "64000", "67000", "68000") else 2 for c in codes]
    share = [("國小", 0.65), ("國中", 0.185), ("高中", 0.09), ("高職", 0.04), ("特殊教育學校", 0.008)]
    units = []
    for i in range(n_units - len(codes)):
        level = rng.choices([s[0] for s in share], [s[1] for s in share])[0]
        county = rng.choices(codes, weights)[0]
        units.append((f"{i:06d}", f"示範{level}{i}", level, county))
    for j, county in enumerate(codes):
        units.append((f"{j:02d}C001", f"輔諮中心{j}", "輔諮中心", county))
    return units


def case_rows(rng, family, grades, pool, n, teachers, schools):
    chosen = rng.sample(pool, min(n, len(pool)))
    rows = []
    for code in chosen:
        new = rng.random() < 0.3
        subs = tuple(sorted(rng.sample(range(1, 20), rng.choice((0, 0, 1, 2)))))
        main = rng.randint(1, 19)
        subs = tuple(c for c in subs if c != main) or (0,)
        row = {"teacher_code": f"T{rng.randint(1, teachers):02d}", "staff_type": rng.randint(1, 4),
               "student_code": code, "grade": rng.choice(grades), "sex": rng.randint(1, 2),
               "student_status": (0,) if rng.random() < 0.85 else (rng.randint(1, 13),),
               "case_source": tuple(sorted(rng.sample(range(1, 6), rng.randint(1, 2)))) if new else (0,),
               "case_status": 1 if new else 2, "main_category": main, "main_other": None,
               "sub_categories": subs, "sub_other": None, "sessions": rng.randint(1, 8),
               "closure": rng.randint(1, 3)}
        if family == "A":
            row["referral"] = rng.randint(1, 4)
        else:
            row["school_code"] = rng.choice(schools)
            row["service_mode"] = rng.randint(1, 2)
        rows.append(row)
    return rows


def service_rows(rng, family, grades, n, teachers, schools):
    keys = set()
    rows = []
    targets = list(grades) + [13, 14, 15]
    for _ in range(n * 2):
        if len(rows) >= n:
            break
        key = (f"T{rng.randint(1, teachers):02d}", rng.randint(1, 17), rng.choice(targets))
        if key in keys:
            continue
        keys.add(key)
        male, female = rng.randint(0, 20), rng.randint(0, 20)
        row = {"teacher_code": key[0], "staff_type": rng.randint(1, 4), "service_item": key[1],
               "item_other": None, "target": key[2], "male": male, "female": female or (0 if male else 1),
               "events": rng.randint(1, 4)}
        if family == "B":
            row["school_code"] = rng.choice(schools)
            row["service_mode"] = rng.randint(1, 2)
        rows.append(row)
    return rows


def file_month(unit, year, month, cases, services, rng):
    """What ``reporting.service`` does after validation: an Upload with its RowStore, filed."""
    from cgs_portal.reporting import intake
    from cgs_portal.reporting.models import RowStore, Upload

    ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
    if month == 7:
        day = dt.datetime(2025, 7, 20, 9, 0, tzinfo=TAIPEI)  # early: August is the next year
    elif rng.random() < 0.1:
        day = dt.datetime(ny, nm, rng.randint(11, 25), 9, 0, tzinfo=TAIPEI)  # late
    else:
        day = dt.datetime(ny, nm, rng.randint(1, 10), 9, 0, tzinfo=TAIPEI)
    report = unit.report(year, month, create=True)
    who = f"{unit.code}_bench"
    if not cases and not services:
        return report.file_no_cases(who, day, day.date())
    upload = Upload(len(report.uploads) + 1, "填報.xlsx", day, who)
    upload.status = "pending"
    upload.version = "113"
    upload.rows = RowStore({"cases": cases, "services": services})
    upload.aggregates = intake.build_aggregates(unit.family, "113", list(upload.rows.cases),
                                                list(upload.rows.services))
    report.uploads.append(upload)
    return report.file(upload, who, day, day.date())


def fill(db, registry, n_units, months, seed=11):
    from cgs_portal.evolve import APP_KEY, bootstrap
    from cgs_portal.resources import Unit

    rng = random.Random(seed)
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    conn = db.open(transaction_manager=tm)
    zroot = conn.root()
    if APP_KEY not in zroot:
        bootstrap(zroot, registry)
    root = zroot[APP_KEY]
    units = directory(n_units, rng)
    for code, name, level, county in units:
        root["counties"][county].add(code, Unit(code, name, level, county, opened_on=dt.date(2022, 8, 1)))
    tm.commit()
    counts = [0, 0, 0]
    schools_of = {}
    for code, _n, level, county in units:
        if level != "輔諮中心":
            schools_of.setdefault(county, []).append(code)
    done = 0
    tm.begin()
    for code, _name, level, county in units:
        unit = root["counties"][county][code]
        grades = list(unit.grades)
        size = max(1, int(rng.lognormvariate(2.08, 0.8)))  # median 8 students a month
        pool = [f"S{i:04d}" for i in range(int(size * 3.5) + 2)]
        teachers = 2 if level == "國小" else 4
        schools = schools_of.get(county) or ["000000"]
        for year, month in months:
            summer = month in (7, 8)
            if rng.random() < (0.4 if summer else 0.05):
                cases, services = [], []
            else:
                n = max(1, min(150, int(rng.lognormvariate(2.08, 0.8) * size / 8)))
                cases = case_rows(rng, unit.family, grades, pool, n, teachers, schools)
                services = service_rows(rng, unit.family, grades, max(1, int(rng.lognormvariate(2.48, 0.6))),
                                        teachers, schools)
            file_month(unit, year, month, cases, services, rng)
            counts[0] += len(cases)
            counts[1] += len(services)
            counts[2] += 1
            done += 1
            if done % 400 == 0:
                tm.commit()
                tm.begin()
                conn.cacheMinimize()
    tm.commit()
    conn.close()
    return counts


# -- queries ----------------------------------------------------------------------------------------

def random_query(rng, table, months, group="none"):
    from cgs_portal.statistics.query import Query
    from cgs_portal.statistics.tables import TABLES

    t = TABLES[table]
    n = rng.choice((1, 3, 6, 12))
    chosen = tuple(sorted(rng.sample(months, min(n, len(months)))))
    return Query(table=table, measure=rng.choice(t.measures), months=chosen,
                 layout=rng.choice(("merged", "merged", "monthly")),
                 staff=tuple(sorted(rng.sample((1, 2, 3, 4), rng.choice((0, 0, 1, 2))))),
                 grades=tuple(sorted(rng.sample(range(1, 13), rng.choice((0, 0, 3))))),
                 category=rng.choice(("both", "main", "sub")), sex=rng.choice(("all", "male", "female", "total")),
                 targets=tuple(sorted(rng.sample(range(1, 16), rng.choice((0, 0, 4))))), group=group)


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return (time.perf_counter() - start) * 1000, out


def query_benches(index, months, rng, rounds):
    from cgs_portal.statistics.query import Query, Scope, run
    from cgs_portal.statistics.tables import TABLES

    nation = Scope("nation")
    ids = [t for t in TABLES]
    national = []
    for i in range(rounds):
        table = ids[i % len(ids)]
        national.append(timed(run, index, random_query(rng, table, months), nation)[0])
    emit("national_table_p50_ms", p(national, 50), "ms")
    emit("national_table_p95_ms", p(national, 95), "ms")
    emit("national_table_max_ms", max(national), "ms")
    persons = [timed(run, index, Query(t, "persons", tuple(months), category=rng.choice(("both", "main", "sub"))),
                     nation)[0] for t in ("I", "II", "III", "IV", "V", "VI", "VIII") for _ in range(3)]
    emit("national_persons_year_p95_ms", p(persons, 95), "ms")
    by_unit = [timed(run, index, random_query(rng, ids[i % len(ids)], months, "unit"), nation)[0]
               for i in range(max(30, rounds // 3))]
    emit("by_unit_p95_ms", p(by_unit, 95), "ms")
    by_county = [timed(run, index, random_query(rng, ids[i % len(ids)], months, rng.choice(("county", "level"))),
                       nation)[0] for i in range(max(30, rounds // 3))]
    emit("by_county_or_level_p95_ms", p(by_county, 95), "ms")
    counties = sorted({u.county for u in index.unit_info})
    county = [timed(run, index, random_query(rng, ids[i % len(ids)], months, rng.choice(("none", "unit"))),
                    Scope("county", rng.choice(counties)))[0] for i in range(max(30, rounds // 3))]
    emit("county_table_p95_ms", p(county, 95), "ms")
    unit_codes = [u.code for u in index.unit_info]
    own = [timed(run, index, random_query(rng, ids[i % len(ids)], months), Scope("unit", rng.choice(unit_codes)))[0]
           for i in range(max(30, rounds // 3))]
    emit("unit_table_p95_ms", p(own, 95), "ms")
    return Query("I", "visits", tuple(months), group="unit")


def xlsx_bench(index, query):
    from cgs_portal.statistics import xlsx
    from cgs_portal.statistics.query import Scope, run

    start = time.perf_counter()
    result = run(index, query, Scope("nation"))
    with tempfile.TemporaryFile() as out:  # as the download view: written to a file, streamed
        xlsx.result_workbook(result, "全國", dt.date(2025, 8, 5), out)
        size = out.tell()
    emit("xlsx_national_ms", (time.perf_counter() - start) * 1000, "ms")
    emit("xlsx_national_kb", size // 1024, "KB")
    emit("xlsx_national_rows", sum(len(b.rows) for b in result.blocks), "rows")


def aggregates_bench(db, months):
    """The design the index replaces: per-report aggregates + the roll-up cache."""
    from cgs_portal.statistics import rollups, totals

    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    conn = db.open(transaction_manager=tm)
    root = conn.root()["cgs_portal"]
    cold, total = timed(rollups.national_total, root["counties"], months)
    warm, _ = timed(rollups.national_total, root["counties"], months)
    emit("aggregates_national_cold_ms", cold, "ms")
    emit("aggregates_national_cached_ms", warm, "ms")
    emit("aggregates_national_students", totals.headline(total)["students"], "students")
    tm.abort()
    conn.close()


# -- two processes over ZEO -----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def zeo_client_db(port, blob_dir):
    from ZEO.ClientStorage import ClientStorage
    from ZODB import DB

    storage = ClientStorage(("127.0.0.1", port), blob_dir=blob_dir, shared_blob_dir=False,
                            server_sync=True, wait_timeout=30)
    return DB(storage, cache_size=10000)  # zodburi's default, what the app gets over zeo://


def reader(port, blob_dir, snapshot_path, t0):
    """The second process: cold start from the snapshot, then answer 'check' lines."""
    from cgs_portal.statistics import feed, memory, snapshot
    from cgs_portal.statistics.query import Query, Scope, run

    memory.keep_freed_memory()  # as the app's start-up does
    # the portal's code is loaded (pserve imports it before serving): from here on, what a
    # start-up costs — connecting to ZEO, loading the snapshot, the first refresh and answer
    t_imported = time.time()

    db = zeo_client_db(port, blob_dir)
    holder = feed.holder_for(db)
    loaded = snapshot.load_into(holder, snapshot_path)
    tm = transaction.TransactionManager(explicit=True)
    conn = db.open(transaction_manager=tm)

    def answer(months):
        tm.begin()
        try:
            root = conn.root()["cgs_portal"]
            index = feed.current(holder, root, synchronous=True)
            block = run(index, Query("I", "visits", months, category="main"), Scope("nation")).blocks[0]
            return int(block.values[-1, -1, -1])
        finally:
            tm.abort()

    first = answer(tuple(MONTHS[:1]))
    print(json.dumps({"ready": True, "loaded": loaded, "first_answer_s": time.time() - t0,
                      "after_imports_s": time.time() - t_imported, "first": first}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("stop"):
            break
        start = time.perf_counter()
        got = answer(tuple(tuple(m) for m in request["months"]))
        print(json.dumps({"total": got, "ms": (time.perf_counter() - start) * 1000}), flush=True)
    conn.close()
    db.close()


def start_reader(port, blob_dir, snapshot_path):
    """A cold reader process (``reader``): (the process, its first line)."""
    t0 = time.time()
    child = subprocess.Popen([sys.executable, __file__, "--reader", str(port), blob_dir, snapshot_path, str(t0)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    return child, json.loads(child.stdout.readline())


def stop_reader(child):
    child.stdin.write(json.dumps({"stop": True}) + "\n")
    child.stdin.flush()
    child.wait(30)


def stale_bench(tmp, data_fs, blobs, snapshot_path, months, refilings):
    from cgs_portal.statistics.query import Query, Scope, run  # noqa: F401

    runzeo = shutil.which("runzeo") or str(Path(sys.executable).parent / "runzeo")
    port = free_port()
    conf = f"{tmp}/zeo.conf"
    Path(conf).write_text(f"<zeo>\n  address 127.0.0.1:{port}\n</zeo>\n<filestorage>\n  path {data_fs}\n"
                          f"  blob-dir {blobs}\n</filestorage>\n")
    server = subprocess.Popen([runzeo, "-C", conf], stdout=subprocess.DEVNULL, stderr=open(f"{tmp}/zeo.log", "w"))
    child = None
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        child, hello = start_reader(port, f"{tmp}/blobcache-r", snapshot_path)
        emit("cold_start_first_answer_s", hello["first_answer_s"], "s")
        emit("cold_start_first_answer_after_imports_s", hello["after_imports_s"], "s")
        emit("cold_start_loaded_snapshot", int(hello["loaded"]), "bool")
        db = zeo_client_db(port, f"{tmp}/blobcache-w")
        from cgs_portal.statistics import feed

        holder = feed.Holder()
        tm = transaction.TransactionManager(explicit=True)
        conn = db.open(transaction_manager=tm)
        rng = random.Random(5)
        stale, apply_ms, seen_units = 0, [], set()
        month = months[-1]
        tm.begin()
        codes = [(c.code, u.code) for c in conn.root()["cgs_portal"]["counties"].values() for u in c.values()
                 if u.family == "A"]
        tm.abort()
        for i in range(refilings):
            county_code, unit_code = rng.choice(codes)
            seen_units.add((county_code, unit_code))
            tm.begin()
            root = conn.root()["cgs_portal"]
            unit = root["counties"][county_code][unit_code]
            report = unit.report(*month)
            y, m = month
            base = (dt.datetime(y, 7, 25, 9, 0, tzinfo=TAIPEI) if m == 7 else
                    dt.datetime(y + (m == 12), m % 12 + 1, 20, 9, 0, tzinfo=TAIPEI))
            when = base + dt.timedelta(minutes=i)
            if report is not None and report.filing is not None:
                report.request_amendment("更正", "bench", when, when.date())
                report.decide_amendment(True, "", "admin", when)
            pool = [f"S{k:04d}" for k in range(60)]
            cases = case_rows(rng, "A", list(unit.grades), pool, rng.randint(1, 40), 3, [])
            file_month_at(unit, month, cases, when)
            tm.commit()
            tm.begin()
            index = feed.current(holder, conn.root()["cgs_portal"], synchronous=True)
            from cgs_portal.statistics.query import Query, Scope, run

            expected = int(run(index, Query("I", "visits", (month,), category="main"),
                               Scope("nation")).blocks[0].values[-1, -1, -1])
            tm.abort()
            child.stdin.write(json.dumps({"months": [list(month)]}) + "\n")
            child.stdin.flush()
            reply = json.loads(child.stdout.readline())
            apply_ms.append(reply["ms"])
            stale += int(reply["total"] != expected)
        emit("stale_after_filing_count", stale, f"of_{refilings}")
        emit("reader_answer_after_filing_p95_ms", p(apply_ms, 95), "ms")
        stop_reader(child)
        # a restart whose snapshot is older than those filings (written before them): the
        # first answer waits for the catch-up of every county they touched
        touched = len({c for c, _u in seen_units})
        child, hello = start_reader(port, f"{tmp}/blobcache-r2", snapshot_path)
        emit("cold_start_stale_snapshot_first_answer_after_imports_s", hello["after_imports_s"], "s")
        emit("cold_start_stale_snapshot_counties_changed", touched, "counties")
        stop_reader(child)
        conn.close()
        db.close()
    finally:
        if child is not None and child.poll() is None:
            child.kill()
        server.terminate()
        server.wait(30)


def file_month_at(unit, month, cases, when):
    from cgs_portal.reporting import intake
    from cgs_portal.reporting.models import RowStore, Upload

    report = unit.report(*month, create=True)
    upload = Upload(len(report.uploads) + 1, "填報.xlsx", when, "bench")
    upload.status = "pending"
    upload.version = "113"
    upload.rows = RowStore({"cases": cases, "services": []})
    upload.aggregates = intake.build_aggregates("A", "113", list(upload.rows.cases), [])
    report.uploads.append(upload)
    report.file(upload, "bench", when, when.date())


# -- main ---------------------------------------------------------------------------------------------------

def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--reader", nargs=4)
    parser.add_argument("--keep", help="folder for the storage (kept; default: a temp dir removed at the end)")
    parser.add_argument("--reuse", action="store_true", help="with --keep: reuse a storage filled before")
    args = parser.parse_args()
    if args.reader:
        port, blob_dir, snap, t0 = args.reader
        return reader(int(port), blob_dir, snap, float(t0))
    n_units, months = (200, MONTHS[1:4]) if args.quick else (4000, MONTHS)
    rounds = 60 if args.quick else 200
    tmp = args.keep or tempfile.mkdtemp(prefix="cgs-bench-stats-")
    os.makedirs(tmp, exist_ok=True)
    data_fs, blobs = f"{tmp}/Data.fs", f"{tmp}/blobs"
    try:
        from cgs_portal import main as make_app

        app = make_app({}, **{
            "zodbconn.uri": f"file://{data_fs}?blobstorage_dir={blobs}",
            "cgs.session_secret": "bench-secret-" + "x" * 40, "cgs.testing": "true",
            "cgs.clock.now": "2025-08-05T09:00:00", "mail.debug_dir": f"{tmp}/mail"})
        db = app.registry._zodb_databases[""]
        if args.reuse and os.path.exists(f"{tmp}/filled"):
            emit("fill_year_s", "reused", "-")
            from cgs_portal.evolve import evolve  # what cgs-init does after an upgrade

            tm = transaction.TransactionManager(explicit=True)
            tm.begin()
            conn = db.open(transaction_manager=tm)
            for label in evolve(conn.root(), app.registry, tm=tm):
                print(f"# evolved the reused storage: {label}", flush=True)
            tm.abort()
            conn.close()
        else:
            start = time.perf_counter()
            counts = fill(db, app.registry, n_units, months)
            emit("fill_year_s", time.perf_counter() - start, "s")
            emit("filed_months", counts[2], "months")
            emit("case_rows", counts[0], "rows")
            emit("service_rows", counts[1], "rows")
            Path(f"{tmp}/filled").write_text("1")
        from cgs_portal.statistics import feed, snapshot

        before = rss_mb()
        holder = feed.Holder()
        tm = transaction.TransactionManager(explicit=True)
        tm.begin()
        conn = db.open(transaction_manager=tm)
        start = time.perf_counter()
        feed.refresh(holder, conn.root()["cgs_portal"])
        emit("index_build_s", time.perf_counter() - start, "s")
        start = time.perf_counter()
        feed.refresh(holder, conn.root()["cgs_portal"])
        emit("refresh_nothing_changed_ms", (time.perf_counter() - start) * 1000, "ms")
        tm.abort()
        conn.close()
        index = holder.index
        emit("index_mb", index.nbytes / 1e6, "MB")
        emit("index_rss_growth_mb", max(0.0, rss_mb() - before), "MB")
        emit("distinct_students", len(index.students), "students")
        snap = f"{tmp}/stats.npz"
        start = time.perf_counter()
        snapshot.save(holder, snap)
        emit("snapshot_write_s", time.perf_counter() - start, "s")
        emit("snapshot_mb", os.path.getsize(snap) / 1e6, "MB")
        start = time.perf_counter()
        cold = feed.Holder()
        snapshot.load_into(cold, snap)
        emit("snapshot_load_s", time.perf_counter() - start, "s")
        rng = random.Random(3)
        last = query_benches(index, months, rng, rounds)
        xlsx_bench(index, last)
        # replacing one filing's rows
        code = index.unit_info[0].code
        rows = []
        start = time.perf_counter()
        for _ in range(100):
            index.replace(code, *months[0], rows, (), 1, "x")
        emit("replace_filing_ms", (time.perf_counter() - start) * 10, "ms")
        aggregates_bench(db, months)
        db.close()
        stale_bench(tmp, data_fs, blobs, snap, months, 10 if args.quick else 30)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
