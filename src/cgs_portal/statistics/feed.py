"""The adapter between ZODB (the only truth) and the per-process statistics index.

One ``Holder`` per ZODB ``DB`` object (a process serving one database has one index; the
tests open a fresh storage per test and get a fresh index). Before a statistics request is
answered, ``refresh(holder, root)`` brings the index up to date *in the request's own
connection*, so it reflects exactly the database state the request sees:

- each county's ``filing_generation`` (a ``BTrees.Length``) is compared with the value the
  index last saw; unchanged counties cost one small read;
- for a changed county the ledger (``reporting.ledger``) is diffed against the stamps the
  index holds; the rows of every (unit, month) whose stamp differs are replaced from
  ``unit.report(y, m).filing.rows``; entries that disappeared are dropped;
- a cold process loads a snapshot (``snapshot.load_into``) when one is configured and then
  applies the same diff in a background thread (a current snapshot: milliseconds); without
  one the index is built by the same code in that thread. Until it is done the page says
  「統計資料準備中」 (tests build synchronously on first use).

No pyramid here (the views pass the root and the settings); ZODB objects are only read.
"""
from __future__ import annotations

import logging
import threading
import time
import weakref

from ..reporting import ledger
from .index import FILED, FILED_LATE, NO_CASES, NOT_FILED, Deferred, StatsIndex, ym_of

log = logging.getLogger(__name__)

APP_KEY = "cgs_portal"


class Holder:
    """The index of one database, and whether it is ready to answer."""

    county_keys = Deferred()

    def __init__(self):
        self.index = StatsIndex()
        self.ready = False
        self.building = False
        self.error: str | None = None
        self.county_keys = {}  # county code -> {(unit code, ym)} the index holds
        self.county_sizes: dict = {}  # county code -> number of units registered
        # county code -> {unit code: change count} as of the index (reporting.ledger.unit_changes)
        self.unit_changes: dict = {}
        self.lock = threading.RLock()
        self.refreshes = 0
        self.applied = 0  # (unit, month) replacements applied since start
        self.snapshot_written = 0.0  # monotonic time of this process's last snapshot write
        self.loaded_snapshot = False
        self.saved_applied = 0  # ``applied`` when the snapshot was last written or loaded
        self.saving = False


_HOLDERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_HOLDERS_LOCK = threading.Lock()


def holder_for(db) -> Holder:
    with _HOLDERS_LOCK:
        holder = _HOLDERS.get(db)
        if holder is None:
            holder = _HOLDERS[db] = Holder()
        return holder


def status_of(entry) -> int:
    if entry.kind == "cases":
        return FILED_LATE if entry.late else FILED
    if entry.kind == "no_cases":
        return NO_CASES
    return NOT_FILED


def _register_units(index: StatsIndex, county, units) -> None:
    for unit in units:
        index.set_unit(unit.code, unit.name, county.code, unit.level, unit.family,
                       getattr(unit, "opened_on", None), getattr(unit, "closed_on", None))


def _rows_of(county, unit_code, year, month):
    """The filed rows of (unit, month), and the RowStore holding them (or None)."""
    unit = county.get(unit_code)
    report = unit.report(year, month) if unit is not None else None
    filing = getattr(report, "filing", None)
    rows = getattr(filing, "rows", None) if filing is not None and filing.kind == "cases" else None
    if rows is None:
        return (), (), None
    return rows.cases, rows.services, rows


def _release(rows, changed: int) -> None:
    """Let a RowStore that was only read go (its rows are in the index now), and every 500
    filings trim the connection cache: a full build reads every filing of the nation in one
    transaction, which would otherwise keep all of them in memory (measured: +1.5 GB)."""
    if rows is None:
        return
    if not rows._p_changed:
        rows._p_deactivate()
    if changed % 500 == 0 and rows._p_jar is not None:
        rows._p_jar.cacheGC()


def _prefetch(county) -> list:
    """Ask the storage for the county's units, then their ledger buckets, in two batches;
    returns the units (one walk of the county serves the whole refresh).

    A process that has not read the county yet (a cold start, the first filing of a county
    since it started) would otherwise load them one round trip at a time: 1,200 for a county
    of 600 units over ZEO. ``Connection.prefetch`` hands the oids to the storage (ZEO and
    RelStorage load them in bulk into their caches; FileStorage ignores it); only ghosts
    are asked for."""
    units = list(county.values())
    jar = county._p_jar
    if jar is None:
        return units
    jar.prefetch([u for u in units if u._p_changed is None])
    buckets = [b for b in map(ledger.unit_ledger, units) if b is not None and b._p_changed is None]
    jar.prefetch(buckets)
    return units


def refresh_county(holder: Holder, county) -> int:
    """Apply what changed in one county since the index saw it; the count of (unit, month).

    Which units to read: those whose change count (``ledger.unit_changes``) differs from
    the one the index saw, when the index knows the county's counts and its number of
    units did not change; otherwise every unit of the county (the first look, a unit added
    or moved, a database not evolved yet)."""
    index = holder.index
    code = county.code
    generation = county.filing_generation()
    size = len(county)
    if index.generations.get(code) == generation and holder.county_sizes.get(code) == size:
        return 0
    changes = ledger.unit_changes(county)
    counts = dict(changes.items()) if changes is not None else None
    seen_counts = holder.unit_changes.get(code)
    with index.lock:
        if counts is None or seen_counts is None or holder.county_sizes.get(code) != size:
            units = _prefetch(county)
            changed = _apply_units(holder, county, units, whole=True)
        else:
            codes = sorted(u for u in counts.keys() | seen_counts.keys() if counts.get(u) != seen_counts.get(u))
            units = [u for u in map(county.get, codes) if u is not None]
            changed = _apply_units(holder, county, units, whole=False, codes=codes)
        holder.county_sizes[code] = size
        if counts is None:
            holder.unit_changes.pop(code, None)
        else:
            holder.unit_changes[code] = counts
        index.generations[code] = generation
    return changed


def _apply_units(holder: Holder, county, units, whole: bool, codes=()) -> int:
    """Register ``units`` and apply their entries; ``whole``: they are every unit of the
    county (keys of other units are dropped), else only the units ``codes`` are compared."""
    index = holder.index
    code = county.code
    _register_units(index, county, units)
    known = holder.county_keys.setdefault(code, set())
    if whole:
        mine = set(known)
    else:
        wanted = set(codes)
        mine = {key for key in known if key[0] in wanted}
    seen = set()
    changed = 0
    for (unit_code, year, month), entry in ledger.entries(county, units=units):
        key = (unit_code, ym_of(year, month))
        seen.add(key)
        if index.stamps.get(key) == entry.stamp and key in known:
            continue
        cases, services, rows = _rows_of(county, unit_code, year, month)
        index.replace(unit_code, year, month, cases, services, status_of(entry), entry.stamp)
        changed += 1
        _release(rows, changed)
    for unit_code, ym in mine - seen:
        index.forget(unit_code, ym // 12, ym % 12 + 1)
        changed += 1
    holder.county_keys[code] = (known - mine) | seen
    return changed


def refresh(holder: Holder, root) -> int:
    """Bring the index up to date with the database state ``root`` (a PortalRoot) shows."""
    changed = 0
    with holder.lock:
        for county in root["counties"].values():
            changed += refresh_county(holder, county)
        holder.refreshes += 1
        holder.applied += changed
    return changed


def build_in_background(db, holder: Holder, after=None) -> threading.Thread | None:
    """Fill ``holder`` from its own connection in a thread; ``after(holder)`` when done."""
    with holder.lock:
        if holder.building or holder.ready:
            return None
        holder.building = True

    def work():
        import transaction

        tm = transaction.TransactionManager(explicit=True)
        started = time.perf_counter()
        try:
            tm.begin()
            conn = db.open(transaction_manager=tm)
            try:
                root = conn.root().get(APP_KEY)
                if root is not None:
                    refresh(holder, root)
            finally:
                tm.abort()
                conn.close()
            holder.ready = True
            log.info("statistics index built in %.1f s", time.perf_counter() - started)
            if after is not None:
                after(holder)
        except Exception as error:  # noqa: BLE001 - logged, the page keeps saying 準備中
            holder.error = repr(error)
            log.exception("statistics index build failed")
        finally:
            holder.building = False

    thread = threading.Thread(target=work, name="cgs-stats-build", daemon=True)
    thread.start()
    return thread


def current(holder: Holder, root, *, synchronous: bool):
    """The up-to-date index, or None while a background build is still running."""
    if not holder.ready:
        if not synchronous:
            return None
        with holder.lock:
            if not holder.ready:
                refresh(holder, root)
                holder.ready = True
    refresh(holder, root)
    return holder.index
