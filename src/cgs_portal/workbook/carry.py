"""預填下月檔: last month's open cases carried forward into next month's blank template.

Pure library code (no web, no database): the caller hands over the stored rows of the
source filing (row dicts keyed by the schema's field names, as ``validate_workbook``
produced them) and gets an ``.xlsx`` of the target month's version with the open 表A-1
(B-1) rows written in as old cases, the counts left empty so the check marks them yellow.

``write_rows`` (row dicts → the cells of a generated template, by sheet-XML patching) is
shared with ``merge``: openpyxl would need ~1 s to write 5,000 rows, XML takes ~50 ms.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from xml.sax.saxutils import escape

from .safety import neutralise
from .schema import VERSIONS
from .templates import build_template

# Fields of a case row that describe the student and stay from month to month; the others
# (輔導概況, 個案來源, 當月晤談累積次數, 結案情形) describe one month and are set or left empty.
RESET = {"case_status": 2, "case_source": (0,), "sessions": None, "closure": None}
OPEN_CLOSURE = 1  # 結案情形 1 持續輔導 (family A) / 服務中 (family B)
TEXT_KINDS = ("text", "codes", "other", "school")


@dataclass
class CarryResult:
    """What was carried: the workbook and the counts the page states."""

    data: bytes
    version_id: str
    carried: int = 0           # rows written
    source_rows: int = 0       # case rows of the source filing
    closed: int = 0            # left out: 結案情形 not 1 (本月結案, 轉出/畢業, 不開案)
    graduated: int = 0         # left out: the moved-up grade is not one of the unit's grades
    grade_shift: int = 0       # academic years between source and target (grades move up by it)


def open_rows(rows, source_version_id: str) -> tuple[list, int]:
    """The rows still open in the source month, and how many were closed.

    A version with 結案情形 keeps the rows with 1 (持續輔導 / 服務中); a 111 filing has no
    such column, so every row is taken as open."""
    spec = VERSIONS[source_version_id].sheet("cases")
    has_closure = any(c.key == "closure" for c in spec.columns)
    if not has_closure:
        return list(rows), 0
    kept = [r for r in rows if r.get("closure") == OPEN_CLOSURE]
    return kept, len(rows) - len(kept)


def carried_row(row: dict, grade_shift: int) -> dict:
    """One open row as next month's old case: same student, reset monthly fields."""
    out = {k: v for k, v in row.items() if not k.startswith("_")}
    out.update(RESET)
    if grade_shift and isinstance(out.get("grade"), int):
        out["grade"] = out["grade"] + grade_shift
    return out


def select_rows(source_rows, source_version_id: str, *, grade_shift: int, grades) -> tuple[list, int, int]:
    """(rows to carry, closed, graduated): the open rows as next month's old cases.

    Across academic years the grade moves up by ``grade_shift`` and students whose new grade
    is not in ``grades`` (graduates, or leaving the unit's level) are left out."""
    kept, closed = open_rows(source_rows, source_version_id)
    allowed = set(grades)
    carried, graduated = [], 0
    for row in kept:
        new = carried_row(row, grade_shift)
        if new.get("grade") not in allowed:
            graduated += 1
            continue
        carried.append(new)
    return carried, closed, graduated


def carry_forward(source_rows, source_version_id: str, target_version_id: str, *,
                  source_academic_year: int, target_academic_year: int, grades,
                  unit_code: str = "", unit_name: str = "", roc_year=None, month=None) -> CarryResult:
    """The target month's template with the source's open case rows as 舊案.

    ``source_rows`` are the source filing's case rows (``None`` / empty: the plain template)."""
    rows = list(source_rows or ())
    shift = max(0, target_academic_year - source_academic_year) if rows else 0
    carried, closed, graduated = select_rows(rows, source_version_id, grade_shift=shift, grades=grades)
    data = write_rows(target_version_id, {"cases": carried}, unit_code=unit_code,
                      unit_name=unit_name, roc_year=roc_year, month=month)
    return CarryResult(data, target_version_id, carried=len(carried), source_rows=len(rows),
                       closed=closed, graduated=graduated, grade_shift=shift)


# -- writing row dicts into a generated template ----------------------------------------------

def cell_value(column, value):
    """A stored value as the cell a teacher would have typed (``None``: leave empty)."""
    if value is None:
        return "0" if column.kind == "other" else None
    if isinstance(value, (tuple, list)):
        return ",".join(str(v) for v in value) if value else None
    if column.kind in TEXT_KINDS:
        return str(value)
    return value


def _cell_tail(column, value) -> str:
    """Everything of a cell's XML after its reference (``""``: no cell at all)."""
    value = cell_value(column, value)
    if value is None:
        return ""
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, (int, float)):
        return f"><v>{value}</v></c>"
    text = escape(str(neutralise(value)))
    return f' t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def sheet_rows_xml(spec, rows) -> str:
    """``<row>`` elements for ``rows`` (dicts) from the sheet's first data row.

    A month's rows repeat the same few codes, so each column keeps the XML of the values it
    has seen: a cell costs a dictionary look-up and a concatenation."""
    columns = [(c.key, letter, {}, c) for c, letter in zip(spec.columns, spec.letters, strict=True)]
    out = []
    for i, row in enumerate(rows, start=spec.first_data_row):
        r = str(i)
        out.append(f'<row r="{r}">')
        for key, letter, seen, column in columns:
            value = row.get(key)
            try:
                tail = seen[value]
            except KeyError:
                tail = seen[value] = _cell_tail(column, value)
            except TypeError:  # an unhashable value (a list): no caching
                tail = _cell_tail(column, value)
            if tail:
                out.append(f'<c r="{letter}{r}"{tail}')
        out.append("</row>")
    return "".join(out)


_SHEET = re.compile(r'<sheet [^>]*?name="([^"]+)"[^>]*?r:id="([^"]+)"')


def sheet_paths(zin: zipfile.ZipFile) -> dict:
    """Sheet title → part name, from the workbook and its relationships."""
    wb = zin.read("xl/workbook.xml").decode()
    rels = zin.read("xl/_rels/workbook.xml.rels").decode()
    out = {}
    for name, rid in _SHEET.findall(wb):
        target = re.search(rf'Id="{rid}"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="{rid}"', rels)
        part = target.group(1) or target.group(2)
        out[_unescape(name)] = "xl/" + part.lstrip("/").removeprefix("xl/")
    return out


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")


@lru_cache(maxsize=64)
def blank_template(version_id: str, unit_code: str, unit_name: str, roc_year, month) -> bytes:
    """The unit's blank template (built once per unit and month in a process: bytes, immutable)."""
    return build_template(version_id, "blank", unit_code=unit_code, unit_name=unit_name,
                          roc_year=roc_year, month=month)


def write_rows(version_id: str, rows_by_sheet: dict, *, unit_code: str = "", unit_name: str = "",
               roc_year=None, month=None) -> bytes:
    """The unit's blank template of ``version_id`` with ``rows_by_sheet[key]`` (row dicts) written in."""
    version = VERSIONS[version_id]
    template = blank_template(version_id, unit_code, unit_name, roc_year, month)
    zin = zipfile.ZipFile(io.BytesIO(template))
    paths = sheet_paths(zin)
    new = {}
    for key, rows in rows_by_sheet.items():
        if not rows:
            continue
        spec = version.sheet(key)
        part = paths[spec.title]
        xml = zin.read(part).decode()
        xml = re.sub(r'<dimension ref="[^"]*"\s*/>', "", xml)
        xml = xml.replace("<sheetData/>", "<sheetData></sheetData>")
        xml = xml.replace("</sheetData>", sheet_rows_xml(spec, rows) + "</sheetData>", 1)
        new[part] = xml.encode()
    if not new:
        return template
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, new.get(info.filename, zin.read(info.filename)))
    return buf.getvalue()
