"""The rate tables as .xlsx downloads (openpyxl; every text cell through ``safety.set_cell``)."""
from __future__ import annotations

import io

from openpyxl import Workbook

from ..workbook.safety import set_cell
from .dashboard import COLUMNS


def _write(title: str, header: list, lines: list) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    for c, value in enumerate(header, start=1):
        set_cell(sheet.cell(row=1, column=c), value)
    for r, line in enumerate(lines, start=2):
        for c, value in enumerate(line, start=1):
            set_cell(sheet.cell(row=r, column=c), value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _share(tally, name="on_time"):
    share = tally.rate(name)
    return None if share is None else round(share * 100, 1)


def tally_table(title: str, first: list, rows: list[dict], keys: list) -> bytes:
    """One row per table row: its label (and ``keys`` columns), every count, the two rates."""
    header = first + [h for _f, h in COLUMNS] + ["準時率 %", "填報率 %"]
    lines = [[r[k] for k in keys] + [getattr(r["tally"], f) for f, _h in COLUMNS]
             + [_share(r["tally"]), _share(r["tally"], "filed")] for r in rows]
    return _write(title, header, lines)


def grid_table(title: str, grid: dict) -> bytes:
    """The month × county table: for each month the on-time rate and its counts."""
    header = ["縣市"]
    for _ym, label in grid["months"]:
        header += [f"{label} 準時率 %", f"{label} 準時", f"{label} 應填"]
    lines = []
    for r in grid["rows"]:
        line = [r["label"]]
        for c in r["cells"]:
            line += [_share(c["tally"]), c["tally"].on_time, c["tally"].expected]
        lines.append(line)
    return _write(title, header, lines)
