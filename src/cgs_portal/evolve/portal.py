"""The core evolve steps: the content tree every concern builds on."""
from __future__ import annotations

from ..counties import COUNTIES
from ..resources import Counties, County, TemplateVersions
from . import CORE


def step_1_tree(root, registry):
    """Create the counties (with their 22 counties) and the template versions folders."""
    if "counties" not in root:
        root.add("counties", Counties())
    if "templates" not in root:
        root.add("templates", TemplateVersions())
    counties = root["counties"]
    for code, name in COUNTIES.items():
        if code not in counties:
            counties.add(code, County(code, name))


def step_2_template_versions_from_the_schema(root, registry):
    """Drop the relabelled copies of the template versions: /templates reads workbook.schema."""
    root["templates"].clear()


def includeme(config):
    config.add_evolution_step(CORE, 1, "create the counties and the template versions folders", step_1_tree)
    config.add_evolution_step(CORE, 2, "template versions read from workbook.schema",
                              step_2_template_versions_from_the_schema)
