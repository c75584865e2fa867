"""County and national roll-ups of the per-report aggregates, on read, cached.

A filing writes only its own unit's objects plus ``County.filing_generation``, a
``BTrees.Length`` whose concurrent changes resolve without ConflictError; no
shared total is written on the filing-day peak. A roll-up for (county, months)
is computed on first read and kept in a per-process cache keyed by that
generation, so it is recomputed only after a filing in that county
(decision and measurements: docs/reporting.md).
"""
from __future__ import annotations

import threading

from BTrees.Length import Length

from . import totals

_CACHE: dict = {}
_LOCK = threading.Lock()
_CACHE_LIMIT = 2048


def generation(county) -> Length:
    return county.filing_generation  # created by the reporting evolve step, never on a read


def note_filing(unit) -> None:
    """Called on every filing: bump the county's conflict-free generation counter."""
    county = unit.__parent__
    if county is not None:
        generation(county).change(1)


def _db_key(county):
    jar = getattr(county, "_p_jar", None)
    return id(jar.db()) if jar is not None else 0


def county_total(county, months) -> dict:
    """The merged aggregates of every filed report of ``county`` in ``months`` [(y, m)…]."""
    months = tuple(sorted(months))
    gen = generation(county)()
    key = (_db_key(county), county.code, months)
    with _LOCK:
        hit = _CACHE.get(key)
    if hit is not None and hit[0] == gen:
        return hit[1]
    total = totals.empty()
    for unit in county.values():
        for year, month in months:
            report = unit.report(year, month)
            filing = getattr(report, "filing", None)
            if filing is not None and filing.aggregates:
                totals.add(total, filing.aggregates, unit.code)
    with _LOCK:
        if len(_CACHE) > _CACHE_LIMIT:
            _CACHE.clear()
        _CACHE[key] = (gen, total)
    return total


def national_total(counties, months) -> dict:
    return totals.merge(county_total(county, months) for county in counties.values())
