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
    """Fix every line along ``axis`` that has exactly one hidden member (all such lines at
    once, vectorised); True if any changed."""
    v = np.moveaxis(values, axis, -1)
    h = np.moveaxis(hidden, axis, -1)  # a view: writes go to ``hidden``
    lines = h.sum(axis=-1) == 1
    if not lines.any():
        return False
    lv, lh = v[lines], h[lines]  # (n lines, length)
    parts_v, parts_h = lv[:, :-1], lh[:, :-1]
    candidates = np.where(~parts_h & (parts_v > 0), parts_v, np.iinfo(np.int64).max)
    pick = np.argmin(candidates, axis=1)
    has_part = candidates[np.arange(len(pick)), pick] != np.iinfo(np.int64).max
    pick = np.where(has_part, pick, lv.shape[1] - 1)
    # only the total hidden and every part zero: nothing can be recomputed, leave the line
    usable = has_part | ~lh[:, -1]
    if not usable.any():
        return False
    where = np.argwhere(lines)[usable]
    h[tuple(where.T) + (pick[usable],)] = True
    return True
