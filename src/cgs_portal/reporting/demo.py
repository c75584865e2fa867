"""Filed months for the demo directory (``make run``; development only).

Rows are generated directly in the engine's normalised shape (no workbook, no
blob) and their aggregates computed with the engine, so the demo loads in a few
seconds: about 430 units × 12–23 months.
"""
from __future__ import annotations

import datetime as dt
import random

from .. import calendar
from . import intake, workflow
from .models import Filing, RowStore

NO_CASE_SHARE = 0.05
LATE_SHARE = 0.10
MISSING_SHARE = 0.03


def _case(rng, i, family, grades, teachers, school_codes):
    teacher = rng.randrange(teachers)
    main = rng.choice((1, 3, 4, 5, 5, 5, 6, 12, 13, 19))
    subs = tuple(sorted(rng.sample([c for c in range(1, 19) if c != main], rng.choice((0, 0, 1, 2))))) or (0,)
    new = rng.random() < 0.3
    row = {
        "teacher_code": f"T{teacher + 1:02d}",
        "staff_type": 1 + teacher % 3,
        "student_code": f"S{i:04d}",
        "grade": rng.choice(grades),
        "sex": rng.choice((1, 2)),
        "student_status": rng.choice(((0,), (0,), (0,), (9,), (8, 11))),
        "case_source": rng.choice(((1,), (3,), (2, 3), (5,))) if new else (0,),
        "case_status": 1 if new else 2,
        "main_category": main,
        "main_other": "同儕衝突" if main == 19 else "0",
        "sub_categories": subs,
        "sub_other": "0",
        "sessions": rng.randint(1, 4),
        "closure": rng.choice((1, 1, 2, 3)),
    }
    if family == "B":
        row["school_code"] = rng.choice(school_codes) if school_codes else "000000"
        row["service_mode"] = rng.choice((1, 2))
    else:
        row["referral"] = rng.choice((2, 2, 2, 1, 3, 4))
    return row


def _service(rng, i, family, grades, teachers, school_codes):
    teacher = i % teachers
    item = rng.randint(1, 17)
    row = {
        "teacher_code": f"T{teacher + 1:02d}",
        "staff_type": 1 + teacher % 3,
        "service_item": item,
        "item_other": f"其他服務{i}" if item == 17 else "0",
        "target": rng.choice(tuple(grades) + (13, 14, 15)),
        "male": rng.randint(0, 20),
        "female": rng.randint(1, 20),
        "events": rng.randint(1, 4),
    }
    if family == "B":
        row["school_code"] = rng.choice(school_codes) if school_codes else "000000"
        row["service_mode"] = rng.choice((1, 2))
    return row


def demo_months(today: dt.date) -> list[tuple[int, int]]:
    """From August of the previous academic year to the month before the month now due.

    So the demo always holds one complete academic year plus the current one so far.
    """
    current = calendar.current_filing_month(today)
    first_ay = calendar.current_academic_year(today) - 1
    months = []
    for ay in (first_ay, first_ay + 1):
        months += [ym for ym in calendar.academic_year_months(ay) if ym < current]
    return months


def load_demo_filings(root, now: dt.datetime, full_units=()) -> list[str]:
    """File the demo months for every demo unit (once); returns lines to print."""
    if getattr(root, "demo_filings_loaded", False):
        return []
    rng = random.Random(6)
    today = now.date()
    months = demo_months(today)
    years = sorted({calendar.academic_year_of_month(*ym) for ym in months})
    count = 0
    for county in root["counties"].values():
        schools = [code for code, unit in county.items() if unit.family == "A"]
        for unit in county.values():
            full = unit.code in full_units
            teachers = 2 if unit.level == "國小" else 4
            expected = {ym for ay in years for ym in unit.expected_months(ay)}
            for year, month in months:
                if (year, month) not in expected:
                    continue
                if not full and rng.random() < MISSING_SHARE:
                    continue
                _file(unit, year, month, rng, teachers, schools, full)
                count += 1
    root.demo_filings_loaded = True
    return [f"cgs-init: demo filings: {count} monthly reports over {len(months)} months"]


def _file(unit, year, month, rng, teachers, schools, full):
    window = calendar.FilingWindow(year, month)
    late = not full and rng.random() < LATE_SHARE
    day = (window.due + dt.timedelta(days=rng.randint(1, 12))) if late else (
        window.due - dt.timedelta(days=rng.randint(0, 9)))
    filed_at = dt.datetime(day.year, day.month, day.day, rng.randint(8, 17), rng.randint(0, 59),
                           tzinfo=dt.timezone(dt.timedelta(hours=8)))
    report = unit.report(year, month, create=True)
    who = f"{unit.code}_demo"
    summer = month in (7, 8)
    if rng.random() < (0.4 if summer else NO_CASE_SHARE):
        filing = Filing("no_cases", filed_at, who, late, serial=1)
        event = "file_no_cases"
    else:
        n_cases = max(1, min(60, int(rng.lognormvariate(2.1, 0.6))))
        n_services = max(1, min(60, int(rng.lognormvariate(2.5, 0.5))))
        grades = unit.grades
        cases = [_case(rng, i, unit.family, grades, teachers, schools) for i in range(n_cases)]
        services = [_service(rng, i, unit.family, grades, teachers, schools) for i in range(n_services)]
        ay = calendar.academic_year_of_month(year, month)
        version = intake.version_in_force(unit.family, ay).id
        filing = Filing("cases", filed_at, who, late, serial=1)
        filing.version = version
        filing.rows = RowStore({"cases": cases, "services": services})
        filing.aggregates = intake.build_aggregates(unit.family, version, cases, services)
        filing.summary = {"rows": {"cases": n_cases, "services": n_services}}
        event = "file"
    workflow.fire(report, event, filed_at, who, "示範資料", today=day)
    report.filings.append(filing)
    report.filing = filing
    report.serial = 1
    report._record()  # the county ledger, as every real transition writes it
