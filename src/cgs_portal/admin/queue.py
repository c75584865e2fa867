"""申請修改審核 for the desk: the pending requests filtered (county, level, month, age) and
decided many at once. Each decision is the report's own ``decide_amendment``; a request
already decided (a double submit, two administrators) is skipped, never decided twice."""
from __future__ import annotations

import datetime as dt

from ..reporting import rules


def _unit_of(report):
    resource = report
    while resource is not None and not hasattr(resource, "county_code"):
        resource = resource.__parent__
    return resource


def pending(root, filters: dict, today: dt.date) -> list[dict]:
    """The queue's requests (oldest first) that match every given filter."""
    out = []
    for _key, report in rules.queue(root).items():
        unit = _unit_of(report)
        amendment = report.amendment
        age = (today - amendment.requested_at.date()).days
        if filters.get("county") and unit.county_code != filters["county"]:
            continue
        if filters.get("level") and unit.level != filters["level"]:
            continue
        if filters.get("m") and (report.year, report.month) != tuple(filters["m"]):
            continue
        if filters.get("age") is not None and age < filters["age"]:
            continue
        out.append({"unit": unit, "report": report, "amendment": amendment, "age": age,
                    "path": f"{unit.county_code}/{unit.code}/{report.__name__}", "filing": report.filing})
    return out


def decide_many(reports, approve: bool, note: str, who: str, now: dt.datetime, days: int):
    """Decide each report's pending request; returns (decided [(report, amendment)], skipped)."""
    decided, skipped = [], 0
    for report in reports:
        try:
            decided.append((report, report.decide_amendment(approve, note, who, now, days)))
        except rules.Refused:
            skipped += 1
    return decided, skipped
