"""The monthly workbook engine: versioned templates, cell-by-cell validation and annotated
error workbooks.  A plain library: no web, request or database code in here."""

from .aggregates import build_aggregates
from .annotate import annotate_workbook
from .safety import neutralise
from .schema import VERSIONS, Column, SheetSpec, TemplateSpec, version_in_force
from .templates import build_template
from .validate import (
    FilingContext,
    Problem,
    ValidationResult,
    compare_with_previous,
    validate_workbook,
)

__all__ = [
    'VERSIONS', 'Column', 'FilingContext', 'Problem', 'SheetSpec', 'TemplateSpec',
    'ValidationResult', 'annotate_workbook', 'build_aggregates', 'build_template',
    'compare_with_previous', 'neutralise', 'validate_workbook', 'version_in_force',
]
