"""Resources of the content tree."""
from .folder import Folder
from .tree import (
    LEVEL_GRADES,
    LEVELS,
    AcademicYear,
    Counties,
    County,
    MonthlyReport,
    PortalRoot,
    TemplateVersion,
    TemplateVersions,
    Unit,
    find_root,
    report_key,
    unit_of,
)

__all__ = [
    "LEVELS",
    "LEVEL_GRADES",
    "AcademicYear",
    "Counties",
    "County",
    "Folder",
    "MonthlyReport",
    "PortalRoot",
    "TemplateVersion",
    "TemplateVersions",
    "Unit",
    "find_root",
    "report_key",
    "unit_of",
]
