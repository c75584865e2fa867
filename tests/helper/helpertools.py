"""Helpers of the 填報幫手 tests: workbooks, and filed months put straight into the database."""
from __future__ import annotations

import datetime as dt
import os
import tempfile

from support import load_corpus

corpus = load_corpus()
UNIT = "/counties/65000/013601/"
TAIPEI = dt.timezone(dt.timedelta(hours=8))


def at(clock, y, m, d, hh=9):
    clock.set_now(dt.datetime(y, m, d, hh, 0, tzinfo=TAIPEI))


def case(i, *, teacher="T01", grade=3, closure=1, student=None, **kw):
    """One valid 表A-1 row (113 layout) as field → cell value."""
    row = {"teacher_code": teacher, "staff_type": 1, "student_code": student or f"S{i:03d}", "grade": grade,
           "sex": 1 + i % 2, "student_status": "0", "case_source": "1", "case_status": 1, "referral": 2,
           "main_category": 5, "main_other": "0", "sub_categories": "0", "sub_other": "0", "sessions": 2,
           "closure": closure}
    row.update(kw)
    return row


def service_row(i, teacher="T01"):
    return {"teacher_code": teacher, "staff_type": 1, "service_item": 1 + i % 16, "item_other": "0",
            "target": 13, "male": 1, "female": 1, "events": 1}


def workbook(cases, services=(), *, version="113", unit_code="013601", unit_name="新北市立示範光明國民小學",
             roc_year=113, month=9) -> bytes:
    return corpus.filled(version, list(cases), list(services) or [service_row(0)], unit_code=unit_code,
                         unit_name=unit_name, roc_year=roc_year, month=month)


def file_month(root, code, year, month, data, *, when=None):
    """Validate ``data`` with the filing's own intake and file it for unit ``code``."""
    from cgs_portal.reporting import service

    unit = root["counties"].find_unit(code)
    report = unit.report(year, month, create=True)
    now = when or dt.datetime(year, month, 28, 9, tzinfo=TAIPEI)
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    try:
        upload = service.store_upload(unit, report, path, "filed.xlsx", "test", now)
    finally:
        os.unlink(path)
    assert upload.status == "pending", (upload.fatal, upload.errors[:3])
    report.file(upload, "test", now, now.date())
    return upload


