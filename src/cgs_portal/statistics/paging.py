"""Paging the group rows of a statistics result (統計查詢 grouped by 單位: thousands of rows).

A page is cut from the *finished* result: ``run`` has already applied small-cell protection
(primary and complementary, which depend on the row totals of the whole table), so a page
only slices rows out of each block's values and suppressed mask; nothing is recomputed and
nothing is suppressed again. Every block keeps its total row (the last one) on every page.
Only grouped results are paged: their rows are the groups (units, counties, levels); an
ungrouped table's rows are the table's own few rows.

Plain data, no web: the views parse the page number (``schemas.page_number``) and draw the
pager.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .query import Result

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    """One page of a result: ``result`` holds the page's blocks (the shown groups + totals)."""

    result: Result
    number: int  # the page shown (1-based, clamped)
    pages: int
    size: int
    groups: int  # group rows of the whole result (totals not counted)
    first: int  # 1-based position of the first group shown (0 when there is none)
    last: int
    asked: int  # the page number asked for

    @property
    def paged(self) -> bool:
        return self.pages > 1

    @property
    def clamped(self) -> bool:
        return self.asked != self.number


def is_grouped(result: Result) -> bool:
    return not result.scope.exact and result.query.group != "none" and bool(result.blocks)


def group_count(result: Result) -> int:
    """The group rows of a grouped result (every block has the same rows, the last a total)."""
    return len(result.blocks[0].rows) - 1 if is_grouped(result) else 0


def page_of(result: Result, number: int, size: int = PAGE_SIZE) -> Page:
    """Page ``number`` (clamped to 1…pages) of ``result``, ``size`` groups a page."""
    size = max(1, int(size))
    groups = group_count(result)
    pages = max(1, -(-groups // size))
    shown = min(max(1, number), pages)
    if pages == 1:
        return Page(result, shown, 1, size, groups, 1 if groups else 0, groups, number)
    lo, hi = (shown - 1) * size, min(shown * size, groups)
    blocks = [_slice(block, lo, hi) for block in result.blocks]
    return Page(replace(result, blocks=blocks), shown, pages, size, groups, lo + 1, hi, number)


def _slice(block, lo: int, hi: int):
    """Rows lo…hi-1 of a block and its total row, values and masks taken as they are."""
    keep = np.r_[lo:hi, len(block.rows) - 1]
    changes = {"rows": list(block.rows[lo:hi]) + [block.rows[-1]],
               "values": block.values[keep], "suppressed": np.asarray(block.suppressed)[keep]}
    if block.compare is not None:
        changes["compare"] = block.compare[keep]
        changes["compare_suppressed"] = np.asarray(block.compare_suppressed)[keep]
    return replace(block, **changes)


def chart_source(page: Page) -> Result:
    """What the chart draws: the page's groups; for a grouped 逐月 result the period's 合計
    block (the last one: each group's total over the months), not the first month's."""
    result = page.result
    if is_grouped(result) and len(result.blocks) > 1:
        return replace(result, blocks=[result.blocks[-1]])
    return result
