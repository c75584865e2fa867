"""Output safety shared by every writer: no user value may become a formula."""

from __future__ import annotations

import re

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


# -- a user's own workbook, copied by the annotator: data only ---------------------------------
# The copy keeps every cell's cached value; what could run in the reader's spreadsheet goes:
# formulas (HYPERLINK, DDE such as =cmd|' /C calc'!A0, anything) and text that a spreadsheet
# would take as a formula once the cell is edited. Text is quoted with a leading ``'`` (the
# same character ``neutralise`` uses for every workbook the portal writes), not with the
# quotePrefix style: a visible character survives CSV exports and copy/paste into other tools.
_PREFIX = rb'(?:[=+\-@\t\r]|&#(?:9|x9|13|x[dD]);|_x000[9dD]_)'
_FORMULA = re.compile(rb'<(?:\w+:)?f\b[^>]*?(?:/>|>.*?</(?:\w+:)?f>)', re.S)
_FIRST_TEXT = re.compile(
    rb'(<(?:\w+:)?(?:si|is)>\s*(?:<(?:\w+:)?r>\s*(?:<(?:\w+:)?rPr\s*/>|<(?:\w+:)?rPr>.*?</(?:\w+:)?rPr>)?\s*)?'
    rb'<(?:\w+:)?t(?:\s[^>]*)?>)(?=' + _PREFIX + rb')', re.S)
_STR_CELL = re.compile(rb'<((?:\w+:)?)c\b([^>]*?\bt="str"[^>]*)>(.*?)</(?:\w+:)?c>', re.S)
_V = re.compile(rb'<(?:\w+:)?v>(.*?)</(?:\w+:)?v>', re.S)


def quote_formula_text(xml: bytes) -> bytes:
    """Shared-string or inline-string XML with each formula-like text prefixed by ``'``."""
    return _FIRST_TEXT.sub(rb"\1'", xml)


def disarm_sheet(xml: bytes) -> bytes:
    """Sheet XML without formulas (cached values kept, as inline text where they were text)
    and with formula-like inline text quoted."""
    if _FORMULA.search(xml):
        xml = _FORMULA.sub(b'', xml)
    if b't="str"' in xml:
        xml = _STR_CELL.sub(_str_to_inline, xml)
    return quote_formula_text(xml)


def _str_to_inline(m) -> bytes:
    prefix, attrs, body = m.group(1), m.group(2), m.group(3)
    v = _V.search(body)
    attrs = attrs.replace(b't="str"', b't="inlineStr"')
    text = v.group(1) if v else b''
    if re.match(_PREFIX, text):
        text = b"'" + text
    return (b'<' + prefix + b'c' + attrs + b'><' + prefix + b'is><' + prefix
            + b't xml:space="preserve">' + text + b'</' + prefix + b't></' + prefix + b'is></'
            + prefix + b'c>')
