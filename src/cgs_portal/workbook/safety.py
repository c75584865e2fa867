"""Output safety shared by every writer: no user value may become a formula."""

from __future__ import annotations

FORMULA_PREFIXES = ('=', '+', '-', '@', '\t', '\r')


def neutralise(value):
    """``value`` made safe for a spreadsheet cell: text that a spreadsheet could read as a
    formula (starting with ``= + - @``, tab or CR) is prefixed with ``'``; other values
    are returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def set_cell(cell, value):
    """Write ``value`` into an openpyxl cell, always as data, never as a formula."""
    value = neutralise(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = 's'
    return cell
