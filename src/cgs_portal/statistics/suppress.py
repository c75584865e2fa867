"""Small-cell protection: primary and complementary (secondary) suppression of a table.

Primary: a cell whose figure rests on 1 to threshold-1 distinct students is shown as 「<3」.
Secondary: a suppressed cell must not be recomputable from a total, so along every line
that adds up to a total (a row of a table to its 合計, the grades of a row to their 合計,
男 + 女 to 計, the rows of a column to the 合計 row) a line with exactly one suppressed
member gets a second one: the smallest non-zero other cell of the line (the line's total
when no other cell is non-zero). Repeated until no line changes. Zero cells are shown (a
zero is no person). Plain numpy: no web.
"""
from __future__ import annotations

import numpy as np


def protect(values: np.ndarray, sensitive: np.ndarray, group_total: bool, sub_total: bool,
            row_total: bool = True) -> np.ndarray:
    """The suppressed mask of ``values`` (rows, groups, subs); the last slot of an axis with a
    total is that total."""
    hidden = sensitive.copy()
    axes = [axis for axis, has in ((0, row_total), (1, group_total), (2, sub_total)) if has]
    for _round in range(50):
        changed = False
        for axis in axes:
            changed |= _complete(values, hidden, axis)
        if not changed:
            break
    return hidden


def _complete(values, hidden, axis) -> bool:
    """Fix every line along ``axis`` that has exactly one hidden member; True if any changed."""
    v = np.moveaxis(values, axis, -1)
    h = np.moveaxis(hidden, axis, -1)  # a view: writes go to ``hidden``
    count = h.sum(axis=-1)
    lines = np.argwhere(count == 1)
    changed = False
    for line in lines:
        lv, lh = v[tuple(line)], h[tuple(line)]
        parts = np.arange(len(lv) - 1)
        open_parts = parts[(~lh[:-1]) & (lv[:-1] > 0)]
        if len(open_parts):
            pick = open_parts[np.argmin(lv[:-1][open_parts])]
        elif not lh[-1]:
            pick = len(lv) - 1
        else:
            continue  # only the total is hidden and every part is zero: nothing to recompute
        h[tuple(line) + (pick,)] = True
        changed = True
    return changed
