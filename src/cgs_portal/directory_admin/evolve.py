"""The directory back office's evolve steps (concern ``directory``)."""
from __future__ import annotations

from BTrees.OOBTree import OOBTree


def step_1_directory_log(root, registry):
    """The dated log of directory changes and the uploaded files waiting for confirmation."""
    if getattr(root, "directory_log", None) is None:
        root.directory_log = OOBTree()
    if getattr(root, "directory_imports", None) is None:
        root.directory_imports = OOBTree()


def includeme(config):
    config.add_evolution_step("directory", 1, "directory change log, pending imports", step_1_directory_log)
