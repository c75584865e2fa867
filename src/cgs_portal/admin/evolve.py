"""The admin concern's evolve steps (containers the workflow desk writes to)."""
from __future__ import annotations

from BTrees.OOBTree import OOBTree


def step_1_extensions(root, registry):
    """Deadline extensions per (month, county or nation) (``admin.extensions``)."""
    if getattr(root, "deadline_extensions", None) is None:
        root.deadline_extensions = OOBTree()


def includeme(config):
    config.add_evolution_step("admin", 1, "deadline extensions per month and county or nation",
                              step_1_extensions)
