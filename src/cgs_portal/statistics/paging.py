"""Paging the group rows of a statistics result (統計查詢 grouped by 單位: thousands of rows).

A page is cut from the *finished* result: ``run`` has already applied small-cell protection
(primary and complementary, which depend on the row totals of the whole table), so a page
only slices rows out of each block's values and suppressed mask; nothing is recomputed and
nothing is suppressed again. Every block keeps its total row (the last one) on every page.
Only grouped results are paged: their rows are the groups (units, counties, levels); an
ungrouped table's rows are the table's own few rows.

``RecentResults`` keeps the last grouped results, so turning a page does not run the query
again. Plain data, no web: the views parse the page number (``schemas.page_number``) and draw
the pager.
"""
from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, replace

import numpy as np

from .query import Result, run

PAGE_SIZE = 50
RECENT_RESULTS = 2  # grouped results kept per process (a national by-unit 逐月 one is ~30 MB)


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


class RecentResults:
    """``run`` for grouped queries, keeping the last few results: paging through a by-unit
    result asks the same query once a page (a national 逐月 one costs ~0.6 s to run).

    Keyed by the query, scope, threshold and the index's ``version`` and ``units_version``
    (bumped by every filing, and every unit added or changed, the feed applies), and only for
    the same index object: any change since is a new key, so a kept result is exactly what
    ``run`` would answer now. Results are never changed after
    ``run`` (a page is a sliced copy), so threads share them.
    """

    def __init__(self, size: int = RECENT_RESULTS):
        self.size = size
        self.lock = threading.Lock()
        self.kept: OrderedDict = OrderedDict()

    def run(self, index, query, scope, threshold: int) -> Result:
        if scope.exact or query.group == "none" or self.size < 1:
            return run(index, query, scope, threshold)
        key = (index.version, index.units_version, query, scope, threshold)
        with self.lock:
            found = self.kept.get(key)
            if found is not None and found[0]() is index:
                self.kept.move_to_end(key)
                return found[1]
        result = run(index, query, scope, threshold)
        if key[:2] == (result.data_version, index.units_version):  # nothing changed while it ran
            with self.lock:
                self.kept[key] = (weakref.ref(index), result)
                self.kept.move_to_end(key)
                while len(self.kept) > self.size:
                    self.kept.popitem(last=False)
        return result


RECENT = RecentResults()
