"""What the page benches share (history, filing, dashboard, remind): the ``name value unit``
line, the real WSGI app on a fresh FileStorage with blobs in a temporary directory, the 國中
bench unit 013501 logged in through the real form, its workbooks, and closing the databases.

Import it before ``support``: it puts ``tests/`` on ``sys.path``.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import webtest  # noqa: E402

from cgs_portal import main  # noqa: E402
from support import TAIPEI, add_account, add_unit, load_corpus, login, open_root  # noqa: E402

__all__ = ["ROOT", "TAIPEI", "UNIT", "bench_unit_browser", "close_databases", "emit",
           "file_through_page", "make_app", "median", "unit_workbook"]

UNIT_CODE, UNIT_NAME = "013501", "效能示範國中"
UNIT = f"/counties/65000/{UNIT_CODE}/"
SECRET = "bench-secret-" + "x" * 40


def emit(name, value, unit, digits=3):
    """One ``name value unit`` line (a float with ``digits`` decimals)."""
    print(f"{name} {value:.{digits}f} {unit}" if isinstance(value, float) else f"{name} {value} {unit}", flush=True)


def median(values):
    """The median, as ``statistics.median`` computes it: the stdlib module cannot be imported
    by the scripts in this folder, whose ``statistics.py`` (the statistics bench) shadows it."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def make_app(tmp, now, *, blob_layout="bushy", testing=True, settings=None):
    """The real app on a FileStorage with blobs in ``tmp``, its clock pinned at ``now``, the
    test-only hooks on (``testing``); ``settings`` adds to (or overrides) those."""
    uri = f"file://{tmp}/Data.fs?blobstorage_dir={tmp}/blobs"
    if blob_layout:
        uri += f"&blobstorage_layout={blob_layout}"
    config = {
        "zodbconn.uri": uri,
        "cgs.session_secret": SECRET,
        "cgs.clock.now": now,
        "mail.debug_dir": f"{tmp}/mail",
    }
    if testing:
        config["cgs.testing"] = "true"
    config.update(settings or {})
    return main({}, **config)


def close_databases(app):
    for db in getattr(app.registry, "_zodb_databases", {}).values():
        db.close()


def bench_unit_browser(app, remote_addr, *, password_changed_at=None):
    """The bench unit and its account (the password changed at ``password_changed_at`` when
    the clock is far from ``support``'s default), logged in by a WebTest browser."""
    with open_root(app) as root:
        add_unit(root, UNIT_CODE, UNIT_NAME, "國中", "65000")
        account = add_account(root, f"{UNIT_CODE}_bench", unit_code=UNIT_CODE, personal_id="bench",
                              email="bench@example.invalid")
        if password_changed_at is not None:
            account.password_changed_at = password_changed_at  # the 180-day gate
    browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": remote_addr})
    login(browser, f"{UNIT_CODE}_bench")
    return browser


def unit_workbook(cases, services, seed, *, roc_year=113, month=9):
    """A filled 113 workbook of the bench unit with random rows (services seeded ``seed + 1``)."""
    mc = load_corpus()
    case_rows = mc.random_rows("113", "cases", cases, seed=seed)
    service_rows = mc.random_rows("113", "services", services, seed=seed + 1)
    return mc.filled("113", case_rows, service_rows, unit_code=UNIT_CODE, unit_name=UNIT_NAME,
                     roc_year=roc_year, month=month)


def file_through_page(browser, key, data, *, show_warnings=False):
    """Upload ``data`` for month ``key`` (YYYY-MM) on the month page, then confirm when the page
    asks; returns (seconds in all, seconds to upload and validate, the last page)."""
    start = time.perf_counter()
    page = browser.get(UNIT + "month", {"m": key})
    form = page.forms["upload-form"]
    form["workbook"] = webtest.Upload("bench.xlsx", data)
    page = form.submit().follow()
    upload_s = time.perf_counter() - start
    if "confirm-form" in page.forms:
        if show_warnings:
            warnings = page.html.select_one("#warnings")
            print("# confirming warnings:", warnings.text[:200].strip() if warnings else "replacement",
                  flush=True)
        page = page.forms["confirm-form"].submit().follow()
    assert "filed" in page.text and "已完成填報" in page.text, page.text[-2000:]
    return time.perf_counter() - start, upload_s, page
