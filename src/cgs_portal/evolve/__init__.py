"""Database bootstrap and numbered, idempotent evolve steps.

Each step is ``(number, note, function(root, registry))`` and runs in its own
transaction; the root records the number of the last step applied. A fresh
database runs every step once and is then fully evolved.
"""
from __future__ import annotations

import logging

import transaction

from ..accounts.models import Accounts
from ..counties import COUNTIES
from ..resources import Counties, County, PortalRoot, TemplateVersion, TemplateVersions

log = logging.getLogger(__name__)

APP_KEY = "cgs_portal"


def step_1_tree(root, registry):
    """Create the top-level folders and the 22 counties."""
    if "counties" not in root:
        root.add("counties", Counties())
    if "accounts" not in root:
        root.add("accounts", Accounts())
    if "templates" not in root:
        root.add("templates", TemplateVersions())
    counties = root["counties"]
    for code, name in COUNTIES.items():
        if code not in counties:
            counties.add(code, County(code, name))


def step_2_template_versions(root, registry):
    """Register the published workbook template versions."""
    versions = root["templates"]
    for version_id, family, first_ay, label in (
        ("111", "A", 111, "111學年度版（學校）"),
        ("113", "A", 113, "113學年度版（學校）"),
        ("B111", "B", 111, "111學年度版（輔諮中心）"),
        ("B113", "B", 113, "113學年度版（輔諮中心）"),
    ):
        if version_id not in versions:
            versions.add(version_id, TemplateVersion(version_id, family, first_ay, label))


def step_3_announcements(root, registry):
    """Seed the login page's announcement box with the guide's standing reminder."""
    from ..site.announcements import Announcement

    if not root.announcements:
        root.announcements.append(
            Announcement(
                "【國教署業務宣導】請各單位按時填報（每月 1–10 日），若逾時未完成填報的學校"
                "（輔諮中心）將由主管機關函文催報，煩請各單位務必留意！"
            )
        )


def step_5_reporting(root, registry):
    """Amendment queue and per-county filing generation counters (conflict-free)."""
    from BTrees.Length import Length
    from BTrees.OOBTree import OOBTree

    if getattr(root, "amendment_queue", None) is None:
        root.amendment_queue = OOBTree()
    for county in root["counties"].values():
        if getattr(county, "filing_generation", None) is None:
            county.filing_generation = Length()


STEPS = [
    (1, "create the content tree and the counties", step_1_tree),
    (2, "register template versions 111/113", step_2_template_versions),
    (3, "seed announcements", step_3_announcements),
    (5, "reporting: amendment queue, county filing counters", step_5_reporting),
]
LATEST = STEPS[-1][0]


def bootstrap(zodb_root, registry):
    """Create the app root if missing and evolve it, in the current transaction."""
    root = zodb_root.get(APP_KEY)
    if root is None:
        root = PortalRoot()
        zodb_root[APP_KEY] = root
    for number, _note, step in STEPS:
        if root.schema_version < number:
            step(root, registry)
            root.schema_version = number
    return root


def evolve(zodb_root, registry, tm=None) -> list[str]:
    """Apply pending steps, one transaction each (committed on ``tm``); returns their notes."""
    tm = tm or transaction.manager
    applied = []
    root = zodb_root.get(APP_KEY)
    if root is None:
        root = PortalRoot()
        zodb_root[APP_KEY] = root
        tm.get().note("cgs: create the portal root")
        tm.commit()
        tm.begin()
    for number, note, step in STEPS:
        if root.schema_version < number:
            step(root, registry)
            root.schema_version = number
            tm.get().note(f"cgs evolve step {number}: {note}")
            tm.commit()
            tm.begin()
            applied.append(f"{number}: {note}")
            log.info("evolve step %s applied: %s", number, note)
    return applied
