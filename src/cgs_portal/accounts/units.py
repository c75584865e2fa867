"""Finding units for the account pages: by code, or by category and a keyword."""
from __future__ import annotations

import unicodedata

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
    key = _normal(keyword)
    if not key or category not in CATEGORIES:
        return []
    found = []
    for county in root["counties"].values():
        for unit in county.values():
            if unit.category != category:
                continue
            if key in _normal(unit.name) or key == unit.code.lower():
                found.append(unit)
    found.sort(key=lambda u: u.code)
    return found[:limit]


def unit_label(unit) -> str:
    return f"{unit.code} {unit.name}"
