"""Merging per-report aggregates (tables I–VIII) and counting filing states (table IX).

Pure functions over the plain dicts the workbook engine produces at filing time;
nothing here knows about requests or the database.
"""
from __future__ import annotations

from collections import Counter

from .vocabulary import COUNTER_TABLES


def empty() -> dict:
    return {"counts": Counter(), "students": set(), "teachers": {}, "reports": 0,
            **{name: Counter() for name in COUNTER_TABLES}}


def add(total: dict, aggregates: dict | None, unit_code: str = "") -> dict:
    """Add one report's aggregates into ``total`` (in place); 人數 stays distinct per unit."""
    if not aggregates:
        return total
    total["reports"] += 1
    total["counts"].update(aggregates.get("counts", {}))
    for name in COUNTER_TABLES:
        total[name].update(aggregates.get(name, {}))
    for student in aggregates.get("students", ()):
        total["students"].add((unit_code, student[0]))
    for staff, codes in aggregates.get("teachers", {}).items():
        total["teachers"].setdefault(staff, set()).update((unit_code, c) for c in codes)
    return total


def merge(parts) -> dict:
    """Merge totals built by ``add`` (e.g. county roll-ups into a national one)."""
    total = empty()
    for part in parts:
        total["reports"] += part["reports"]
        total["counts"].update(part["counts"])
        for name in COUNTER_TABLES:
            total[name].update(part[name])
        total["students"] |= part["students"]
        for staff, codes in part["teachers"].items():
            total["teachers"].setdefault(staff, set()).update(codes)
    return total


def headline(total: dict) -> dict:
    """The few figures a dashboard shows: 人次, 人數 (distinct students), teachers."""
    return {
        "reports": total["reports"],
        "case_rows": total["counts"].get("cases", 0),
        "service_rows": total["counts"].get("services", 0),
        "sessions": total["counts"].get("sessions", 0),
        "students": len(total["students"]),
        "teachers": len(set().union(*total["teachers"].values())) if total["teachers"] else 0,
    }


def filing_status(states) -> Counter:
    """Table IX: how many months are filed / filed late / no cases / not filed."""
    out = Counter()
    for state, late in states:
        if state == "submitted_no_cases":
            out["no_cases"] += 1
        elif state in ("submitted", "amendment_requested", "amendment_open"):
            out["filed_late" if late else "filed"] += 1
        else:
            out["not_filed"] += 1
    return out
