"""Benchmark of the 稽催 runs at national scale.  Prints one ``name value unit`` line per figure.

    .venv/bin/python bench/remind.py [--quick]

A fresh FileStorage in a temporary directory with 4,000 units in the 22 counties (built
directly, not through HTTP), a contact account for ~95 % of them, one official per county.
Day 1 (2025-10-01) mails every unit; then ~87 % file September and day 11 (2025-10-13)
mails the ~13 % missing and the 22 county officials (table + .xlsx); day 16 builds the
national .xlsx. Runs commit in batches; the peak RSS is printed to show memory stays flat.
``--quick``: 400 units.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import sys
import tempfile
import time

from common import ROOT, close_databases, emit, make_app

sys.path.insert(0, str(ROOT / "tests" / "reminders"))

from remind_helpers import TAIPEI, remind, run_env  # noqa: E402

from cgs_portal.accounts.models import ACTIVE, Account  # noqa: E402
from cgs_portal.counties import COUNTIES  # noqa: E402
from cgs_portal.resources import Unit  # noqa: E402
from support import open_root  # noqa: E402

LEVELS = ["國小"] * 55 + ["國中"] * 25 + ["高中"] * 10 + ["高職"] * 6 + ["特殊教育學校"] * 2 + ["輔諮中心"] * 2


def build(app, n_units, rng):
    counties = list(COUNTIES)
    codes = []
    with open_root(app) as root:
        accounts = root["accounts"]
        for code in counties:
            accounts.add_account(Account(f"gov_{code}", "county", county_code=code, name=f"{code}承辦",
                                         email=f"gov{code}@example.invalid", status=ACTIVE))
        accounts.add_account(Account("admin1", "admin", name="管理者", email="admin@example.invalid",
                                     status=ACTIVE))
        for n in range(n_units):
            county = counties[n % len(counties)]
            code = f"B{n:05d}"
            root["counties"][county].add(code, Unit(code, f"效能測試學校{n}", rng.choice(LEVELS), county,
                                                    opened_on=dt.date(2020, 8, 1)))
            codes.append(code)
            if rng.random() < 0.95:
                accounts.add_account(Account(f"{code}_p001", "unit", unit_code=code, county_code=county,
                                             personal_id="p001", name=f"承辦{n}", phone="02-0000",
                                             email=f"u{n}@example.invalid", status=ACTIVE))
    return codes


def file_most(app, codes, rng, share=0.87):
    now = dt.datetime(2025, 10, 5, 9, 0, tzinfo=TAIPEI)
    chosen = [c for c in codes if rng.random() < share]
    for start in range(0, len(chosen), 500):
        with open_root(app) as root:
            for code in chosen[start:start + 500]:
                unit = root["counties"].find_unit(code)
                unit.report(2025, 9, create=True).file_no_cases(code, now, now.date())
    return len(chosen)


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main_bench(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="400 units instead of 4,000")
    args = parser.parse_args(argv)
    n_units = 400 if args.quick else 4000
    rng = random.Random(12)
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(tmp, "2025-10-01T07:00:00", testing=False,
                       settings={"cgs.public_url": "https://cgs.example.edu.tw"})
        try:
            codes = build(app, n_units, rng)
            seconds, outcome = timed(lambda: remind(app, dt.date(2025, 10, 1)))
            emit(f"remind_day1_{n_units}_units_s", seconds, "s")
            emit("remind_day1_mails", outcome.counts["sent"], "mails")
            emit("remind_day1_unreachable", outcome.counts["unreachable"], "units")
            filed = file_most(app, codes, rng)
            seconds, outcome = timed(lambda: remind(app, dt.date(2025, 10, 13)))
            emit(f"remind_day11_{n_units}_units_s", seconds, "s")
            emit("remind_day11_missing_units", n_units - filed, "units")
            emit("remind_day11_mails", outcome.counts["sent"], "mails")
            seconds, size = timed(lambda: national_xlsx(app))
            emit("remind_day16_list_s", seconds, "s")
            emit("remind_day16_xlsx_bytes", size, "bytes")
            emit("remind_peak_rss_mb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "MB")
        finally:
            close_databases(app)


def national_xlsx(app) -> int:
    from cgs_portal.reminders import service

    with run_env(app) as (_request, root, _tm):
        return len(service.national_xlsx(root, (2025, 9), dt.date(2025, 10, 16)))


if __name__ == "__main__":
    main_bench()
