"""The reminders concern's evolve steps."""
from __future__ import annotations

from .models import Reminders

CONCERN = "reminders"


def step_1_reminders(root, registry):
    """``root.reminders``: closures list, delivery ledger, runs, mail texts."""
    if getattr(root, "reminders", None) is None:
        root.reminders = Reminders()


def includeme(config):
    config.add_evolution_step(CONCERN, 1, "reminders: closures, ledger, runs, mail texts", step_1_reminders)
