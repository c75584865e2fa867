"""Benchmark of 填報幫手's engine work.  Prints one ``name value unit`` line per figure.

    .venv/bin/python bench/helper.py [--quick]

- ``carry_forward_5000_rows_s``: 預填下月檔 of a filing with 5,000 case rows, all still open
  (the worst case: every row is written), from the stored row dicts to the .xlsx bytes.
- ``merge_10_files_5000_rows_s``: 合併檔案 of 10 teachers' workbooks of 500 case rows and
  500 service rows each (5,000 + 5,000 rows): every file checked by the engine as the page
  does, then merged into the unit's template. ``merge_10_files_engine_only_s`` is the merge
  alone. Best of a few runs (the machine is shared); ``--quick`` runs a tenth of the rows once.
"""
from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("make_corpus", ROOT / "tests/data/make_corpus.py")
mc = importlib.util.module_from_spec(_spec)
sys.modules["make_corpus"] = mc
_spec.loader.exec_module(mc)

from cgs_portal.workbook import FilingContext, validate_workbook  # noqa: E402
from cgs_portal.workbook.carry import carry_forward  # noqa: E402
from cgs_portal.workbook.merge import Source, merge_sources  # noqa: E402
from cgs_portal.workbook.schema import VERSIONS  # noqa: E402

META = {"unit_code": "123456", "unit_name": "測試國中", "roc_year": 113, "month": 9}
CTX = FilingContext("123456", "測試國中", "國中", 113, 9, 113)
TARGETS = {"carry_forward_5000_rows_s": 1.0, "merge_10_files_5000_rows_s": 3.0}


def emit(name, value, unit):
    print(f"{name} {value:.3f} {unit}" if isinstance(value, float) else f"{name} {value} {unit}", flush=True)


def best(fn, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def teacher_file(f: int, n: int) -> bytes:
    """One teacher's workbook: its own teacher code and students."""
    spec = {key: [c.key for c in VERSIONS["113"].sheet(key).columns] for key in ("cases", "services")}
    cases = mc.random_rows("113", "cases", n, seed=f + 1)
    services = mc.random_rows("113", "services", n, seed=f + 100)
    for row in cases:
        row[spec["cases"].index("teacher_code")] = f"T{f:02d}"
        row[spec["cases"].index("student_code")] = f"F{f:02d}-{row[spec['cases'].index('student_code')]}"
        row[spec["cases"].index("closure")] = 1
    for i, row in enumerate(services):
        row[spec["services"].index("teacher_code")] = f"T{f:02d}-{i // 100}"
    return mc.filled("113", cases, services, **META)


def main(argv) -> int:
    quick = "--quick" in argv
    scale, runs = (10, 1) if quick else (1, 5)
    started = time.perf_counter()
    rows = 5000 // scale
    one = validate_workbook(mc.filled("113", _open_cases(rows), mc.random_rows("113", "services", 10), **META), CTX)
    assert one.ok, one.errors[:3]
    stored = one.rows["cases"]
    carried = {}

    def carry():
        carried["r"] = carry_forward(stored, "113", "113", source_academic_year=113, target_academic_year=113,
                                     grades=(7, 8, 9), roc_year=113, month=10, unit_code="123456", unit_name="測試國中")

    figures = {}
    figures[f"carry_forward_{rows}_rows_s"] = best(carry, runs)
    emit(f"carry_forward_{rows}_rows_s", figures[f"carry_forward_{rows}_rows_s"], "s")
    emit("carry_forward_rows_carried", carried["r"].carried, "rows")
    files = [teacher_file(f, 500 // scale) for f in range(1, 11)]

    def check_all():
        out = []
        for f, data in enumerate(files):
            result = validate_workbook(data, CTX)
            assert result.ok, result.errors[:3]
            out.append(Source(f"t{f}.xlsx", result.version, result.rows))
        return out

    sources = check_all()
    merged = {}

    def merge_only():
        merged["r"] = merge_sources(sources, **META)

    def merge_all():
        merge_sources(check_all(), **META)

    figures[f"merge_10_files_{rows}_rows_s"] = best(merge_all, runs)
    emit(f"merge_10_files_{rows}_rows_s", figures[f"merge_10_files_{rows}_rows_s"], "s")
    emit("merge_10_files_engine_only_s", best(merge_only, runs), "s")
    emit("merge_rows_merged", merged["r"].cases + merged["r"].services, "rows")
    emit("merged_file_mb", len(merged["r"].data) / 1e6, "MB")
    if not quick:
        for name, limit in TARGETS.items():
            verdict = "PASS" if figures[name] < limit else "FAIL"
            print(f"target {verdict} {name} < {limit} s", flush=True)
    emit("bench_total_s", time.perf_counter() - started, "s")
    return 0


def _open_cases(n):
    cases = mc.random_rows("113", "cases", n, seed=3)
    closure = [c.key for c in VERSIONS["113"].sheet("cases").columns].index("closure")
    for row in cases:
        row[closure] = 1
    return cases


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
