"""The reporting concern's evolve steps (containers filings and amendments write to)."""
from __future__ import annotations

from BTrees.Length import Length
from BTrees.OOBTree import OOBTree


def step_1_queue_and_counters(root, registry):
    """Amendment queue and per-county filing generation counters (conflict-free)."""
    if getattr(root, "amendment_queue", None) is None:
        root.amendment_queue = OOBTree()
    for county in root["counties"].values():
        if getattr(county, "filing_generation", None) is None:
            county.filing_generation = Length()


def step_2_ledgers(root, registry):
    """Each county's ledger of report entries (reporting.ledger), filled from the reports."""
    from . import ledger

    for county in root["counties"].values():
        if getattr(county, "ledger", None) is None:
            county.ledger = OOBTree()
            ledger.rebuild(county)


def includeme(config):
    config.add_evolution_step("reporting", 1, "amendment queue, county filing counters",
                              step_1_queue_and_counters)
    config.add_evolution_step("reporting", 2, "county ledgers of report entries", step_2_ledgers)
