"""The reporting concern's evolve steps (containers filings and amendments write to)."""
from __future__ import annotations

from BTrees.Length import Length
from BTrees.OOBTree import OOBTree, OOBucket


def step_1_queue_and_counters(root, registry):
    """Amendment queue and per-county filing generation counters (conflict-free)."""
    if getattr(root, "amendment_queue", None) is None:
        root.amendment_queue = OOBTree()
    for county in root["counties"].values():
        if getattr(county, "filing_generation", None) is None:
            county.filing_generation = Length()


def step_2_ledgers(root, registry):
    """Each county's ledger of report entries, filled from the reports. Since step 3 the
    entries live on the units; a database at step 1 gets them there from step 3."""


def step_3_unit_ledgers(root, registry):
    """The ledger entries move from one ``OOBTree`` per county (keyed ``(unit, "yyyy-mm")``)
    into each unit's own ``OOBucket`` (``reporting.ledger``: no object shared by the
    filings of a county). The entries keep their stamps, so the statistics index and its
    snapshot stay valid; a county without the old tree (a database at step 1) is rebuilt
    from its reports."""
    from . import ledger

    for county in root["counties"].values():
        old = getattr(county, "ledger", None)
        if old is None:
            ledger.rebuild(county)
            continue
        for unit in county.values():
            bucket = ledger.unit_ledger(unit, create=True)
            for (_code, key), value in old.items((unit.code, ""), (unit.code, "\uffff")):
                if key not in bucket:  # written by this code before the step ran: newer
                    bucket[key] = value
        del county.ledger
        county.filing_generation.change(1)


def step_4_unit_changes(root, registry):
    """Each county's per-unit change counts (``reporting.ledger.unit_changes``), so a reader
    of a changed county reads only the units that changed. Readers that saw the county
    without them walk it whole once more (the county counter is bumped)."""
    for county in root["counties"].values():
        if getattr(county, "unit_changes", None) is None:
            county.unit_changes = OOBucket()
            county.filing_generation.change(1)


def includeme(config):
    config.add_evolution_step("reporting", 1, "amendment queue, county filing counters",
                              step_1_queue_and_counters)
    config.add_evolution_step("reporting", 2, "county ledgers of report entries", step_2_ledgers)
    config.add_evolution_step("reporting", 3, "ledger entries kept on each unit", step_3_unit_ledgers)
    config.add_evolution_step("reporting", 4, "per-unit change counts of each county", step_4_unit_changes)
