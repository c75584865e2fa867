"""Each county's ledger: one small entry per (unit, month) that has a report.

The dashboard (reporting rates), the reminders and the statistics index ask "which
months of which units are filed, how, when, and what changed since I last looked"
thousands of times per page. Walking 4,000 units × 12 reports per question is what
this ledger avoids: every transition of a ``MonthlyReport`` rewrites its entry here
in the same transaction (``MonthlyReport._record``), so the ledger can never disagree
with the reports it summarises.

Why this shape:
- each unit keeps its own entries in one ``OOBucket`` (``Unit.ledger``, keyed
  "yyyy-mm"; a county's ledger is its units' buckets in unit-code order). A filing
  writes only its own unit's bucket, so concurrent filings of a county share no
  ledger object at all. The first design, one ``OOBTree`` per county keyed
  ``(unit, "yyyy-mm")``, made every write ``readCurrent`` the county's tree node
  (BTrees do, to notice a concurrent split), and bench/peak.py on RelStorage counted
  that node in every conflict left: ReadConflictErrors, ``lock_not_available`` on its
  row and split conflicts, a few of which used up all five attempts (the 503 page).
  Reporting evolve step 3 moves an older database's entries into the units' buckets;
- entries are plain tuples (read as ``Entry``), so adding a field later needs no
  migration of pickled classes: ``Entry`` fills missing trailing fields with defaults;
- ``stamp`` changes on every write, so a reader that keeps a copy (the statistics
  index) finds what changed by comparing stamps, with no clock shared between
  processes; ``County.filing_generation`` (a ``BTrees.Length``) is bumped with every
  write so a reader can skip an unchanged county after one small read;
- ``County.unit_changes`` (an ``OOBucket``, unit code -> a count bumped with every write
  of that unit's entries) tells a reader *which* units of a changed county to read, so it
  need not load every unit and bucket of the county (a cold process catching up on a
  filing day). It is the one object of a county every filing writes, and it stays free of
  write conflicts: a lone bucket (not inside a BTree) never splits, and BTrees resolve
  concurrent changes of different keys of a bucket themselves (also on the ZEO server,
  which imports only BTrees for it). Two filings of the same unit at once already conflict
  on the unit's own bucket. Reporting evolve step 4 gives older counties theirs.
"""
from __future__ import annotations

import datetime as dt
import os
from typing import NamedTuple

from BTrees.OOBTree import OOBucket

from . import workflow


class Entry(NamedTuple):
    state: str  # the stored workflow state (``report.state``)
    stamp: str = ""  # new on every write of the entry
    kind: str | None = None  # the current filing: "cases" | "no_cases" | None
    late: bool = False  # the month's first filing came after its deadline
    first_filed_at: dt.datetime | None = None
    filed_at: dt.datetime | None = None  # the current filing
    open_until: dt.date | None = None  # an approved amendment's last day
    version: str | None = None  # the workbook version of the current filing


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _bucket(owner, name: str, create: bool):
    """``owner``'s ``OOBucket`` attribute ``name``; None on an object of an older database
    not evolved yet, unless ``create`` (a write path)."""
    bucket = getattr(owner, name, None)
    if bucket is None and create:
        bucket = OOBucket()
        setattr(owner, name, bucket)
    return bucket


def unit_ledger(unit, create: bool = False):
    """The unit's bucket of entries ("yyyy-mm" -> tuple)."""
    return _bucket(unit, "ledger", create)


def entry_of(report) -> tuple:
    """The ledger tuple for ``report`` as it is now."""
    filing = getattr(report, "filing", None)
    filings = getattr(report, "filings", None) or ()
    first = filings[0] if filings else filing
    amendment = getattr(report, "amendment", None)
    return (
        report.state,
        os.urandom(8).hex(),
        filing.kind if filing is not None else None,
        bool(first.late) if first is not None else False,
        first.filed_at if first is not None else None,
        filing.filed_at if filing is not None else None,
        getattr(amendment, "open_until", None),
        getattr(filing, "version", None),
    )


def unit_changes(county, create: bool = False):
    """The county's bucket of per-unit change counts (unit code -> count)."""
    return _bucket(county, "unit_changes", create)


def _count_change(county, unit_code: str) -> None:
    changes = unit_changes(county, create=True)
    changes[unit_code] = changes.get(unit_code, 0) + 1


def touch(county, unit_code: str) -> None:
    """Tell every reader that unit ``unit_code`` of ``county`` changed (its entries, or its
    name, level or dates): its change count and the county counter are bumped."""
    _count_change(county, unit_code)
    county.filing_generation.change(1)


def note(county, unit, report) -> None:
    """Write ``report``'s entry in ``unit``'s bucket (called by every transition) and bump
    the unit's change count and the county counter: the only objects of the ledger a filing
    writes."""
    unit_ledger(unit, create=True)[month_key(report.year, report.month)] = entry_of(report)
    touch(county, unit.code)


def move(source, target, unit) -> int:
    """``unit`` moved from county ``source`` to ``target`` with its bucket: every entry gets
    a new stamp and both counters are bumped, so every reader sees the change. The count."""
    bucket = unit_ledger(unit)
    keys = list(bucket.keys()) if bucket is not None else []
    for key in keys:
        bucket[key] = bucket[key][:1] + (os.urandom(8).hex(),) + tuple(bucket[key][2:])
    gone = unit_changes(source)
    if gone is not None and unit.code in gone:
        del gone[unit.code]
    source.filing_generation.change(1)
    touch(target, unit.code)
    return len(keys)


def read(value) -> Entry:
    return Entry(*value)


def entry(county, unit_code: str, year: int, month: int) -> Entry | None:
    unit = county.get(unit_code)
    bucket = unit_ledger(unit) if unit is not None else None
    value = bucket.get(month_key(year, month)) if bucket is not None else None
    return None if value is None else read(value)


def entries(county, unit_code: str | None = None, units=None):
    """``((unit_code, year, month), Entry)`` for the county, or one unit of it, in key order
    (``units``: the county's units when the caller has already listed them)."""
    if units is None and unit_code:
        unit = county.get(unit_code)
        units = [unit] if unit is not None else []
    elif units is None:
        units = county.values()
    for unit in units:
        bucket = unit_ledger(unit)
        if not bucket:
            continue
        code = unit.code
        for key, value in bucket.items():
            yield (code, int(key[:4]), int(key[5:7])), read(value)


class _Filed:
    __slots__ = ("kind",)

    def __init__(self, kind):
        self.kind = kind


class _Amendment:
    __slots__ = ("open_until",)

    def __init__(self, open_until):
        self.open_until = open_until


class _Shadow:
    """Just enough of a MonthlyReport for ``workflow.effective_state`` (one rule, one home)."""

    __slots__ = ("state", "filing", "amendment", "year", "month")

    def __init__(self, value: Entry, year: int, month: int):
        self.state = value.state
        self.filing = _Filed(value.kind) if value.kind else None
        self.amendment = _Amendment(value.open_until)
        self.year, self.month = year, month


def state_on(value: Entry | None, year: int, month: int, today: dt.date) -> str:
    """The month's state today from its entry alone (None: never written), as
    ``MonthlyReport.state_on`` would say it."""
    if value is None:
        return workflow.date_state(year, month, today)
    return workflow.effective_state(_Shadow(value, year, month), year, month, today)


def _reports(unit):
    for folder in unit.values():
        if not hasattr(folder, "values"):
            continue
        for report in folder.values():
            if hasattr(report, "history") and hasattr(report, "month"):
                yield report


def rebuild(county) -> int:
    """Refill the ledgers of the county's units from their reports (evolve steps, repair);
    returns the count of entries."""
    count = cleared = 0
    for unit in county.values():
        bucket = unit_ledger(unit, create=True)
        before = len(bucket)
        cleared += before
        bucket.clear()
        for report in _reports(unit):
            bucket[month_key(report.year, report.month)] = entry_of(report)
            count += 1
        if before or len(bucket):
            _count_change(county, unit.code)
    if count or cleared:  # readers look again; a county without reports stays as it was
        county.filing_generation.change(1)
    return count


def differences(county) -> list[tuple]:
    """Keys whose entry disagrees with the report (ignoring stamps); empty when consistent."""
    expected = {
        (unit.code, month_key(report.year, report.month)): entry_of(report)[2:] + (report.state,)
        for unit in county.values() for report in _reports(unit)
    }
    actual = {(code, month_key(y, m)): tuple(e[2:]) + (e[0],) for (code, y, m), e in entries(county)}
    return sorted(k for k in set(expected) | set(actual) if expected.get(k) != actual.get(k))
