"""Finding units for the account pages: by code, or by category and a keyword."""
from __future__ import annotations

import unicodedata

from ..counties import COUNTIES

# The account categories of the registration page (Unit.category values).
CATEGORIES = ("國小", "國中", "高中職", "特殊教育學校", "輔諮中心")
MAX_MATCHES = 50


def find_unit(root, code: str | None):
    """The Unit with this code in any county, or None."""
    if not code:
        return None
    counties = root.get("counties")
    return counties.find_unit(code.strip().upper()) if counties is not None else None


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip().lower().replace("臺", "台")


def search_units(root, category: str | None, keyword: str | None, limit: int = MAX_MATCHES) -> list:
    """Units of ``category`` whose name or code contains ``keyword`` (臺/台 alike), by code."""
    return search_units_counted(root, category, keyword, limit)[0]


def search_units_counted(root, category: str | None, keyword: str | None,
                         limit: int = MAX_MATCHES) -> tuple[list, int]:
    """The first ``limit`` matches of :func:`search_units` and how many match in all."""
    key = _normal(keyword)
    if not key or category not in CATEGORIES:
        return [], 0
    found = []
    for county in root["counties"].values():
        for unit in county.values():
            if unit.category != category:
                continue
            if key in _normal(unit.name) or key == unit.code.lower():
                found.append(unit)
    found.sort(key=lambda u: u.code)
    return found[:limit], len(found)


def county_name(unit) -> str:
    """The county a unit belongs to, by name (市立 and 縣立 schools can share a name)."""
    return COUNTIES.get(unit.county_code, "")


def unit_label(unit) -> str:
    county = county_name(unit)
    return f"{unit.code} {unit.name}（{county}）" if county else f"{unit.code} {unit.name}"
