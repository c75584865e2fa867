"""The parts of the Office Open XML package that the reader and the annotator both touch.

Namespaces, relationship parts and their targets, and the byte patterns of sheet XML.
Sheets are read and patched as bytes with these patterns, never parsed into a tree: an
uploaded sheet can hold hundreds of thousands of cells.
"""
from __future__ import annotations

import re
from posixpath import dirname, join, normpath, relpath

from openpyxl.utils import column_index_from_string

NS_MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main'
NS_R = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'
NS_PKG_REL = 'http://schemas.openxmlformats.org/package/2006/relationships'
REL_COMMENTS = NS_R + '/comments'
REL_VML = NS_R + '/vmlDrawing'
REL_STYLES = NS_R + '/styles'
CT_COMMENTS = 'application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml'
CT_VML = 'application/vnd.openxmlformats-officedocument.vmlDrawing'

#: A ``<row …>`` start tag; group 1 holds its attributes.
ROW_OPEN = re.compile(rb'<(?:\w+:)?row\b([^>]*)>')
#: A ``<c …/>`` or ``<c …>…</c>`` cell; group 1 its attributes, group 2 its content.
CELL = re.compile(rb'<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)', re.S)
#: A package relationship (``<Relationship …/>``) of a ``.rels`` part.
RELATIONSHIP = re.compile(rb'<Relationship\b[^>]*/>')
_TARGET = re.compile(rb'Target="([^"]*)"')


def local_name(tag: str) -> str:
    """The tag without its ``{namespace}``."""
    return tag.rsplit('}', 1)[-1]


def parse_ref(ref: str):
    """``'B7'`` → (7, 2); ``None`` when it is not a cell reference."""
    m = re.match(r'^\$?([A-Za-z]{1,3})\$?(\d+)$', ref)
    if not m:
        return None
    return int(m.group(2)), column_index_from_string(m.group(1).upper())


def rels_path(part: str) -> str:
    """The relationships part of ``part`` (``xl/_rels/workbook.xml.rels``)."""
    return join(dirname(part), '_rels', part.rsplit('/', 1)[-1] + '.rels')


def resolve(base_part: str, target: str) -> str:
    """The package path a relationship of ``base_part`` points at."""
    if target.startswith('/'):
        return target.lstrip('/')
    return normpath(join(dirname(base_part), target))


def relative(from_part: str, target: str) -> str:
    """The relationship target naming ``target`` from ``from_part``."""
    return relpath(target, dirname(from_part))


def relationship_target(base_part: str, rel: bytes) -> str | None:
    """The package path a ``<Relationship/>`` element of ``base_part`` names, if any."""
    t = _TARGET.search(rel)
    return resolve(base_part, t.group(1).decode()) if t else None
