"""Filings stored through ``MonthlyReport.file`` for the statistics tests."""
from __future__ import annotations

import datetime as dt

TAIPEI = dt.timezone(dt.timedelta(hours=8))


def file_rows(root, unit_code, year, month, cases=(), services=(), *, when=None, no_cases=False):
    """File (year, month) of ``unit_code`` with these rows, as the filing service does: an
    ``Upload`` holding a ``RowStore``, confirmed with ``MonthlyReport.file``."""
    from cgs_portal.reporting import intake
    from cgs_portal.reporting.models import RowStore, Upload

    unit = root["counties"].find_unit(unit_code)
    ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
    now = when or dt.datetime(ny, nm, 3, 9, 0, tzinfo=TAIPEI)
    report = unit.report(year, month, create=True)
    who = f"{unit_code}_a001"
    if no_cases:
        return report.file_no_cases(who, now, now.date())
    upload = Upload(len(report.uploads) + 1, "填報.xlsx", now, who)
    upload.status = "pending"
    upload.version = "113"
    upload.rows = RowStore({"cases": list(cases), "services": list(services)})
    upload.aggregates = intake.build_aggregates(unit.family, "113", list(upload.rows.cases),
                                                list(upload.rows.services))
    report.uploads.append(upload)
    return report.file(upload, who, now, now.date())


def reopen(root, unit_code, year, month, when):
    """An approved amendment: the month may be filed again (申請修改 → 核准)."""
    report = root["counties"].find_unit(unit_code).report(year, month)
    report.request_amendment("資料更正", f"{unit_code}_a001", when, when.date())
    report.decide_amendment(True, "", "admin1", when)
