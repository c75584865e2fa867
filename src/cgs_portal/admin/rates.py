"""Reporting rates (填報率) from the county ledgers: nation → county → school level → unit.

Definitions (DHIS2's, with its known faults fixed):

- **expected**: a month the unit was open (``Unit.is_open_in``, effective-dated) whose filing
  window has opened (from the 11th of the month), and which an administrator has not marked
  「無需填報」 (``exempt``). A filing of a month the unit was not open is counted apart
  (``outside``), never in the rate, so no rate can pass 100 %;
- **on time**: expected and first filed by the deadline (the 10th of the next month, or a
  deadline extension of the county or the nation); **late**: first filed after it;
- **無個案及服務**: filed as a month without cases (a subset of on time + late);
- **not filed**: expected and not filed (today: 填報中 or 逾期未填);
- **amendment**: filed, with an amendment requested or open now.

Everything is computed from ``reporting.ledger`` entries (no report is loaded) and cached per
process, keyed by each county's ``filing_generation``, its units' open dates and the deadline
extensions, so a warm national page adds 22 small tallies.
"""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field, fields

from .. import calendar
from ..reporting import ledger, workflow
from . import extensions

ON_TIME, LATE, NOT_FILED, EXEMPT, OUTSIDE, NOT_YET, CLOSED = (
    "on_time", "late", "not_filed", "exempt", "outside", "not_yet", "closed")


@dataclass
class Tally:
    expected: int = 0
    on_time: int = 0
    late: int = 0
    no_cases: int = 0
    not_filed: int = 0
    amendment: int = 0
    exempt: int = 0
    outside: int = 0

    @property
    def filed(self) -> int:
        return self.on_time + self.late

    def __iadd__(self, other: Tally) -> Tally:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    def rate(self, name: str = "on_time") -> float | None:
        """The share of expected months, 0 … 1 (None when nothing was expected)."""
        return getattr(self, name) / self.expected if self.expected else None

    def shown(self, name: str = "on_time") -> str:
        """「412 / 430，95.8 %」: the percentage always next to its counts."""
        share = self.rate(name)
        count = getattr(self, name)
        if share is None:
            return f"{count} / 0，—"
        return f"{count} / {self.expected}，{share * 100:.1f} %"


@dataclass(frozen=True)
class Cell:
    """One unit-month: its category for the rates, the state to show, and the flags."""

    category: str
    state: str
    no_cases: bool = False
    amendment: bool = False
    filed_at: dt.datetime | None = None


def _date(moment) -> dt.date | None:
    if moment is None:
        return None
    return moment.date() if isinstance(moment, dt.datetime) else moment


_FINAL = frozenset({workflow.SUBMITTED, workflow.SUBMITTED_NO_CASES, workflow.EXEMPT,
                    workflow.AMENDMENT_REQUESTED})


def classify(open_in_month: bool, entry, year: int, month: int, today: dt.date, due: dt.date) -> Cell:
    """The rate category of one unit-month from its ledger entry (None: never written)."""
    if entry is None:
        state = workflow.date_state(year, month, today)
    elif entry.state in _FINAL:  # effective_state returns these stored states unchanged
        state = entry.state
    else:
        state = ledger.state_on(entry, year, month, today)
    filed = entry is not None and entry.kind is not None
    if not open_in_month:
        return Cell(OUTSIDE if filed else CLOSED, state)
    if state == workflow.EXEMPT:
        return Cell(EXEMPT, state)
    if not filed:
        if today < calendar.FilingWindow(year, month).opens:
            return Cell(NOT_YET, state)
        return Cell(NOT_FILED, state)
    first = _date(entry.first_filed_at or entry.filed_at)
    category = ON_TIME if first is not None and first <= due else LATE
    amendment = state in (workflow.AMENDMENT_REQUESTED, workflow.AMENDMENT_OPEN)
    return Cell(category, state, entry.kind == "no_cases", amendment, entry.filed_at)


FIELDS = ("expected", "on_time", "late", "no_cases", "not_filed", "amendment", "exempt", "outside")
_SLOT = {name: i for i, name in enumerate(FIELDS)}


def _count(counts: list, cell: Cell) -> None:
    """Add one cell to a list of the eight counts (in ``FIELDS`` order)."""
    category = cell.category
    if category in (ON_TIME, LATE, NOT_FILED):
        counts[0] += 1
        counts[_SLOT[category]] += 1
        counts[3] += cell.no_cases
        counts[5] += cell.amendment
    elif category == EXEMPT:
        counts[6] += 1
    elif category == OUTSIDE:
        counts[7] += 1


def tally_of(cells) -> Tally:
    counts = [0] * len(FIELDS)
    for cell in cells:
        _count(counts, cell)
    return Tally(*counts)


@dataclass
class UnitYear:
    code: str
    name: str
    level: str
    cells: dict  # (year, month) -> Cell


@dataclass
class CountyYear:
    """One county's academic year: every unit's cells, and tallies by month and level."""

    code: str
    name: str
    ay: int
    units: list = field(default_factory=list)  # UnitYear, in code order
    by_month: dict = field(default_factory=dict)  # (y, m) -> Tally
    by_level: dict = field(default_factory=dict)  # (y, m) -> {level: Tally}

    def months(self):
        return calendar.academic_year_months(self.ay)

    def total(self, ym=None) -> Tally:
        """The tally of one month, or (``ym`` None) of the whole year so far."""
        if ym is not None:
            return self.by_month[ym]
        total = Tally()
        for tally in self.by_month.values():
            total += tally
        return total

    def levels(self, ym=None) -> dict:
        out: dict[str, Tally] = {}
        for month in ([ym] if ym is not None else self.months()):
            for level, tally in self.by_level[month].items():
                out.setdefault(level, Tally())
                out[level] += tally
        return out

    def unit_tally(self, unit: UnitYear, ym=None) -> Tally:
        return tally_of([unit.cells[ym]] if ym is not None else unit.cells.values())


def _units_signature(county) -> tuple:
    return tuple((u.code, u.level, u.opened_on, u.closed_on, u.name) for u in county.values())


def compute_county(county, ay: int, today: dt.date) -> CountyYear:
    """Walk the county's ledger once for academic year ``ay`` (no report is loaded)."""
    months = calendar.academic_year_months(ay)
    wanted = {ledger.month_key(*ym) for ym in months}
    entries: dict[tuple, object] = {}
    for (code, year, month), entry in ledger.entries(county):
        if ledger.month_key(year, month) in wanted:
            entries[(code, year, month)] = entry
    dues = {ym: extensions.deadline(county, county.code, *ym) for ym in months}
    result = CountyYear(county.code, county.name, ay)
    by_month = {ym: [0] * len(FIELDS) for ym in months}
    by_level: dict = {ym: {} for ym in months}
    first, last = dt.date(*months[0], 1), dt.date(months[-1][0], months[-1][1], 28)
    for unit in county.values():
        cells = {}
        always = ((unit.opened_on is None or unit.opened_on <= first)
                  and (unit.closed_on is None or unit.closed_on >= last))
        for ym in months:
            open_in = always or unit.is_open_in(*ym)
            cell = classify(open_in, entries.get((unit.code, *ym)), *ym, today, dues[ym])
            cells[ym] = cell
            _count(by_month[ym], cell)
            level = by_level[ym].get(unit.level)
            if level is None:
                level = by_level[ym][unit.level] = [0] * len(FIELDS)
            _count(level, cell)
        result.units.append(UnitYear(unit.code, unit.name, unit.level, cells))
    result.by_month = {ym: Tally(*c) for ym, c in by_month.items()}
    result.by_level = {ym: {lv: Tally(*c) for lv, c in levels.items()} for ym, levels in by_level.items()}
    return result


class RateCache:
    """Per-process cache of ``CountyYear`` keyed by what can change them."""

    def __init__(self, size: int = 256):
        self.size = size
        self._data: dict = {}
        self._lock = threading.Lock()

    def county(self, county, ay: int, today: dt.date) -> CountyYear:
        key = (county.code, ay, today, county.filing_generation(), _units_signature(county),
               extensions.signature(county))
        with self._lock:
            found = self._data.get(key[:3])
        if found is not None and found[0] == key:
            return found[1]
        value = compute_county(county, ay, today)
        with self._lock:
            if len(self._data) >= self.size:
                self._data.clear()
            self._data[key[:3]] = (key, value)
        return value

    def nation(self, counties, ay: int, today: dt.date) -> list[CountyYear]:
        return [self.county(county, ay, today) for county in counties.values()]

    def clear(self):
        with self._lock:
            self._data.clear()


CACHE = RateCache()


def national_total(years: list[CountyYear], ym=None) -> Tally:
    total = Tally()
    for year in years:
        total += year.total(ym)
    return total


def national_levels(years: list[CountyYear], ym=None) -> dict:
    out: dict[str, Tally] = {}
    for year in years:
        for level, tally in year.levels(ym).items():
            out.setdefault(level, Tally())
            out[level] += tally
    return out


def shade(share: float | None) -> str:
    """The CSS class of a rate cell: five steps, darker for higher (reads in greyscale too)."""
    if share is None:
        return "rate-none"
    for limit, name in ((0.95, "rate-5"), (0.85, "rate-4"), (0.7, "rate-3"), (0.5, "rate-2")):
        if share >= limit:
            return name
    return "rate-1"
