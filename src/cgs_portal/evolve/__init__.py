"""Numbered, idempotent evolve steps that each concern contributes (Substance D's habit).

A concern registers its steps in its ``includeme``::

    config.add_evolution_step("accounts", 1, "audit log", step_audit_log)

Steps are ``function(root, registry)``, numbered from 1 per concern and idempotent.
``root.evolved`` records, per concern, the number of the last step applied. The
core concern ``portal`` (the content tree) runs first, then the others in the order
they were included; each runs its steps in number order, one transaction per step
(``evolve``) with the step's note. A fresh database runs every step once and is then
fully evolved. Databases from before per-concern steps carry ``root.schema_version``;
``LEGACY_STEPS`` says which new steps that number had already done.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import transaction
from persistent.mapping import PersistentMapping

from ..resources import PortalRoot

log = logging.getLogger(__name__)

APP_KEY = "cgs_portal"
CORE = "portal"
STEPS_KEY = "cgs_evolution_steps"

# The single root schema version of old databases → the (concern, step) it had applied.
LEGACY_STEPS = {1: (CORE, 1), 3: ("site", 1), 5: ("reporting", 1)}


@dataclass(frozen=True)
class Step:
    concern: str
    number: int
    note: str
    function: Callable

    @property
    def label(self) -> str:
        return f"{self.concern} {self.number}: {self.note}"


def add_evolution_step(config, concern: str, number: int, note: str, function):
    """Config directive: ``function(root, registry)`` is step ``number`` of ``concern``."""
    function = config.maybe_dotted(function)
    if number < 1:
        raise ValueError("evolution steps are numbered from 1")

    def register():
        concerns = config.registry.__dict__.setdefault(STEPS_KEY, {})
        concerns.setdefault(concern, {})[number] = Step(concern, number, note, function)

    config.action(("cgs.evolution_step", concern, number), register)


def steps(registry) -> list[Step]:
    """Every registered step in the order it runs (core first, then by concern, by number)."""
    concerns = registry.__dict__.get(STEPS_KEY, {})
    order = sorted(concerns, key=lambda name: name != CORE)  # stable: inclusion order after core
    return [concerns[name][n] for name in order for n in sorted(concerns[name])]


def latest(registry) -> dict[str, int]:
    """The last step number of every concern: what a fully evolved database records."""
    found = {}
    for step in steps(registry):
        found[step.concern] = step.number
    return found


def describe(versions: dict[str, int]) -> str:
    return ", ".join(f"{concern} {number}" for concern, number in versions.items()) or "none"


def evolved(root) -> PersistentMapping:
    """The per-concern record of applied steps (created here, from the legacy number if any)."""
    record = getattr(root, "evolved", None)
    if record is None:
        record = root.evolved = PersistentMapping()
        legacy = getattr(root, "schema_version", 0)
        for number, (concern, step) in LEGACY_STEPS.items():
            if legacy >= number:
                record[concern] = max(record.get(concern, 0), step)
    return record


def pending(root, registry) -> list[Step]:
    done = evolved(root)
    return [step for step in steps(registry) if done.get(step.concern, 0) < step.number]


def _apply(root, registry, step: Step) -> None:
    step.function(root, registry)
    evolved(root)[step.concern] = step.number


def _app_root(zodb_root):
    root = zodb_root.get(APP_KEY)
    if root is None:
        root = zodb_root[APP_KEY] = PortalRoot()
    return root


def bootstrap(zodb_root, registry):
    """Create the app root if missing and evolve it, in the current transaction."""
    root = _app_root(zodb_root)
    for step in pending(root, registry):
        _apply(root, registry, step)
    return root


def evolve(zodb_root, registry, tm=None) -> list[str]:
    """Apply pending steps, one transaction each (committed on ``tm``); returns their labels."""
    tm = tm or transaction.manager
    applied = []
    if zodb_root.get(APP_KEY) is None:
        _app_root(zodb_root)
        tm.get().note("cgs: create the portal root")
        tm.commit()
        tm.begin()
    root = zodb_root[APP_KEY]
    for step in pending(root, registry):
        _apply(root, registry, step)
        tm.get().note(f"cgs evolve {step.label}")
        tm.commit()
        tm.begin()
        applied.append(step.label)
        log.info("evolve step applied: %s", step.label)
    return applied


def pending_in(db, registry) -> list[str]:
    """The labels of the steps a database still needs (read only; [] for an empty one)."""
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    conn = db.open(transaction_manager=tm)
    try:
        root = conn.root().get(APP_KEY)
        return [step.label for step in pending(root, registry)] if root is not None else []
    finally:
        tm.abort()
        conn.close()


def warn_if_pending(event) -> None:
    """At start-up: say loudly when the database was not evolved (``cgs-init`` not run after
    an upgrade). The code of a step's concern assumes its step ran; e.g. before reporting
    step 3 the reporting rates and statistics read the ledger entries on the units, and an
    older database still has them in its county trees."""
    registry = event.app.registry
    for db in getattr(registry, "_zodb_databases", {}).values():
        try:
            labels = pending_in(db, registry)
        except Exception:  # noqa: BLE001 - a storage not reachable yet: the requests will say so
            log.exception("could not check the database's evolve steps")
            continue
        if labels:
            log.warning("the database needs `cgs-init` (run it after every upgrade): %d evolve "
                        "step(s) pending: %s", len(labels), "; ".join(labels))


def includeme(config):
    from pyramid.events import ApplicationCreated

    config.add_directive("add_evolution_step", add_evolution_step)
    config.add_subscriber(warn_if_pending, ApplicationCreated)
    config.include(".portal")
