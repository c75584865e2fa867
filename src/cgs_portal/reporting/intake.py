"""The intake of uploaded workbooks: the only module that calls the workbook engine (``cgs_portal.workbook``).

It turns the engine's value objects into plain, picklable data for the
database (so stored uploads do not depend on the engine's class names) and
back again for the annotator.
"""
from __future__ import annotations

from functools import lru_cache
from types import SimpleNamespace

from .. import calendar, workbook

MAX_BYTES = 10 * 1024 * 1024
TEMPLATE_KINDS = {"blank": "空白表格", "example": "填報範例", "guide": "填報表格說明"}
PROBLEM_FIELDS = ("sheet", "sheet_key", "row", "column", "header", "value", "message", "fix",
                  "severity", "kind")


def versions():
    """The published template versions, oldest first."""
    return list(workbook.VERSIONS.values())


def version_in_force(family: str, academic_year: int):
    return workbook.version_in_force(family, academic_year)


def version_for_month(unit, year: int, month: int):
    """The version in force for a unit's month: the administrators' schedule, else the code's."""
    from ..content.versions import version_for
    from ..resources.tree import find_root

    return version_for(getattr(find_root(unit), "content", None), unit.family, year, month)


def filing_context(unit, year: int, month: int):
    ay = calendar.academic_year_of_month(year, month)
    return workbook.FilingContext(
        unit_code=unit.code,
        unit_name=unit.name,
        level=unit.level,
        roc_year=calendar.roc_year(year),
        month=month,
        academic_year=ay,
        grades=tuple(unit.grades),
        county_school_codes=_county_school_codes(unit),
        max_bytes=MAX_BYTES,
        version_id=version_for_month(unit, year, month).id,
    )


def _county_school_codes(unit) -> frozenset:
    if unit.family != "B" or unit.__parent__ is None:
        return frozenset()
    return frozenset(code for code, other in unit.__parent__.items() if other.family == "A")


def validate(path, ctx, previous_aggregates=None):
    """Validate the file at ``path``; warnings against last month are added (also when the
    file has errors: warnings are shown with them)."""
    result = workbook.validate_workbook(path, ctx)
    if result.fatal is None and previous_aggregates:
        more = workbook.compare_with_previous(result, previous_aggregates)
        result.problems.extend(more)
        if more and "problems" in result.summary:
            result.summary["problems"]["warning"] = result.summary["problems"].get("warning", 0) + len(more)
    return result


def problem_dict(problem) -> dict:
    return {name: getattr(problem, name, None) for name in PROBLEM_FIELDS}


def annotate(data: bytes, problems) -> bytes:
    """The user's own workbook with missing (yellow) / invalid (red) cells and comments."""
    return workbook.annotate_workbook(data, [SimpleNamespace(**p) for p in problems])


@lru_cache(maxsize=32)
def template(version_id: str, kind: str) -> bytes:
    """A downloadable template (blank, example, guide); built once per process."""
    return workbook.build_template(version_id, kind)


def unit_template(version_id, unit, year, month) -> bytes:
    """A blank template with the unit and month already written in."""
    return workbook.build_template(version_id, "blank", unit_code=unit.code, unit_name=unit.name,
                                   roc_year=calendar.roc_year(year), month=month)


def unique_key_fields(version_id: str, sheet_key: str) -> tuple:
    version = workbook.VERSIONS.get(version_id)
    if version is None:
        return ()
    return tuple(version.sheet(sheet_key).unique)


def columns(version_id: str, sheet_key: str):
    """(key, header, letter) of a sheet's columns, for the stored-rows page."""
    version = workbook.VERSIONS.get(version_id)
    if version is None:
        return []
    spec = version.sheet(sheet_key)
    return [(c.key, c.header, spec.letters[j]) for j, c in enumerate(spec.columns)]


def sheet_title(version_id: str, sheet_key: str) -> str:
    version = workbook.VERSIONS.get(version_id)
    return version.sheet(sheet_key).title if version else sheet_key


def neutralise(value):
    return workbook.neutralise(value)


def build_aggregates(family, version_id, cases, services) -> dict:
    return workbook.build_aggregates(family, version_id, cases, services)


def summary_tables(aggregates: dict | None) -> dict:
    """Counts by category (main), by service item and by grade, for the filing summary."""
    from ..statistics.vocabulary import key_codes
    from ..workbook import codes

    out = {"categories": [], "services": [], "grades": []}
    if not aggregates:
        return out
    by_main, by_item, by_grade = {}, {}, {}
    for key, n in aggregates.get("I_main", {}).items():
        main, grade = key_codes("I_main", key, "main_category", "grade")
        by_main[main] = by_main.get(main, 0) + n
        by_grade[grade] = by_grade.get(grade, 0) + n
    for key, n in aggregates.get("VII", {}).items():
        (item,) = key_codes("VII", key, "service_item")
        by_item[item] = by_item.get(item, 0) + n
    out["categories"] = [(label, by_main[c]) for c, label in codes.CATEGORIES if by_main.get(c)]
    out["services"] = [(label, by_item[c]) for c, label in codes.SERVICE_ITEMS if by_item.get(c)]
    out["grades"] = [(label, by_grade[g]) for g, label in codes.GRADES if by_grade.get(g)]
    return out
