"""The engine's vector primitives against plain-Python references on random data.

The hand-computed tables (test_tables.py) check the definitions; these check that the
fast paths (bits peeled lowest-first, each entity's masks OR-ed and its column taken by
``ufunc.at``, the (S, C, G, P, R) cube with its totals) count exactly what a naive loop counts.
"""
from __future__ import annotations

import itertools
from collections import defaultdict

import numpy as np
import pytest

from cgs_portal.statistics import query as Q


@pytest.fixture(params=[1, 2, 3])
def rng(request):
    return np.random.default_rng(request.param)


def test_expand_lists_every_set_bit_of_the_chosen_codes(rng):
    masks = rng.integers(0, 1 << 20, 500).astype(np.int64)
    masks[:50] = 0
    codes = [1, 3, 4, 7, 19]
    pos, rows = Q._expand(masks, Q._code_lut(codes, 64))
    got = sorted(zip(pos.tolist(), rows.tolist(), strict=True))
    want = sorted((i, j) for i, m in enumerate(masks.tolist()) for j, c in enumerate(codes) if m >> c & 1)
    assert got == want


def test_with_totals_sums_every_grown_axis_and_keeps_one_leaf_axes(rng):
    base = rng.integers(0, 9, (3, 1, 4, 2, 5))
    out = Q._with_totals(base)
    assert out.shape == (4, 1, 5, 3, 6)  # the one-leaf axis keeps its one slot
    assert out[-1, 0, -1, -1, -1] == base.sum()
    assert (out[:3, 0, :4, -1, :5] == base.sum(axis=3)[:, 0]).all()
    assert (out[-1, 0, :4, :2, :5] == base.sum(axis=0)[0]).all()
    grown = Q._with_totals(rng.integers(0, 9, (1, 1, 1, 1, 1)))
    assert grown.shape == (1, 1, 2, 1, 2)  # groups and rows always show their 合計


def naive_persons(g, p, r, c, s, entity, shape):
    """Distinct entities per (g, p, r, column) with every entity in its largest (c, s) of the
    period; the row total distinct; everything else summed."""
    ng, np_, nr, nc, ns = shape
    best = {}
    for pi, ci, si, e in zip(p, c, s, entity, strict=True):
        best[(pi, e)] = max(best.get((pi, e), -1), ci * ns + si)
    cells = defaultdict(set)
    for gi, pi, ri, e in zip(g, p, r, entity, strict=True):
        cells[(gi, pi, ri, best[(pi, e)])].add(e)
    totals = defaultdict(set)
    for (pi, e), cs in best.items():
        gi = g[list(zip(p, entity, strict=True)).index((pi, e))]
        totals[(gi, pi, cs)].add(e)
    return cells, totals


def test_persons_counts_what_a_naive_loop_counts(rng):
    n, n_ent = 600, 120
    shape = (3, 2, 4, 3, 2)
    entity = rng.integers(0, n_ent, n)
    unit_group = rng.integers(0, shape[0], n_ent)  # an entity belongs to one group
    g = unit_group[entity].astype(np.int32)
    p, r, c, s = (rng.integers(0, k, n).astype(np.int32) for k in shape[1:])
    # every row counts under one table row, or (one in five) under two
    second = np.where(rng.random(n) < 0.2, (r + 1) % shape[2], r)
    masks = (np.left_shift(1, r.astype(np.int64)) | np.left_shift(1, second.astype(np.int64)))
    frame = Q._Frame(g, p, c, s, None, entity.astype(np.int32), n_ent, masks, Q._code_lut(range(shape[2]), 64))
    out = Q._persons(frame, shape)
    r = np.concatenate([r, second[second != r]])
    g, p, c, s, entity = (np.concatenate([a, a[second != r[:n]]]) for a in (g, p, c, s, entity))
    cells, totals = naive_persons(g.tolist(), p.tolist(), r.tolist(), c.tolist(), s.tolist(),
                                  entity.tolist(), shape)
    ng, np_, nr, nc, ns = shape
    for gi, pi, ri, ci, si in itertools.product(*(range(k) for k in shape)):
        assert out[gi, pi, ri, ci, si] == len(cells[(gi, pi, ri, ci * ns + si)])
    for gi, pi, ci, si in itertools.product(range(ng), range(np_), range(nc), range(ns)):
        assert out[gi, pi, -1, ci, si] == len(totals[(gi, pi, ci * ns + si)])
    # the R total of a period is distinct (a student on two rows counts once), sums elsewhere
    for gi, pi in itertools.product(range(ng), range(np_)):
        assert out[gi, pi, -1, -1, -1] == len({e for (g2, p2, _cs), es in totals.items()
                                               if (g2, p2) == (gi, pi) for e in es})
    assert out[-1, 0, -1, -1, -1] == sum(len(es) for (_g, p2, _cs), es in totals.items() if p2 == 0)


def test_persons_merged_from_the_monthly_state_is_the_cube_of_one_period(rng):
    n, n_ent = 800, 150
    shape = (3, 4, 5, 3, 2)
    entity = rng.integers(0, n_ent, n).astype(np.int32)
    g = rng.integers(0, shape[0], n_ent)[entity].astype(np.int32)
    p, c, s = (rng.integers(0, shape[k], n).astype(np.int32) for k in (1, 3, 4))
    masks = rng.integers(0, 1 << shape[2], n).astype(np.int32)
    lut = Q._code_lut(range(shape[2]), 64)
    frame = Q._Frame(g, p, c, s, None, entity, n_ent, masks, lut)
    monthly, merged = Q._persons(frame, shape, merged=True)
    assert np.array_equal(monthly, Q._persons(frame, shape))
    one = Q._Frame(g, np.zeros(n, np.int32), c, s, None, entity, n_ent, masks, lut)
    expected = Q._persons(one, (shape[0], 1) + shape[2:])
    assert np.array_equal(merged, expected)
    # a student in two months counts once in the merged period, not in their sum
    assert merged[-1, 0, -1, -1, -1] < monthly[-1, :-1, -1, -1, -1].sum()


def test_expand_handles_codes_above_30_and_ignores_bits_without_a_row(rng):
    masks = rng.integers(0, 1 << 36, 300).astype(np.int64)
    codes = [0, 5, 30, 31, 35]
    pos, rows = Q._expand(masks, Q._code_lut(codes, 64))
    got = sorted(zip(pos.tolist(), rows.tolist(), strict=True))
    want = sorted((i, j) for i, m in enumerate(masks.tolist()) for j, c in enumerate(codes) if m >> c & 1)
    assert got == want
    assert Q._expand(masks, Q._code_lut([], 64))[0].size == 0


def test_with_totals_is_int32_only_when_the_grand_total_fits():
    small = Q._with_totals(np.ones((2, 1, 3, 1, 4), np.int64))
    assert small.dtype == np.int32 and small[-1, 0, -1, 0, -1] == 24
    big = Q._with_totals(np.full((2, 1, 1, 1, 2), 2 ** 30, np.int64))
    assert big.dtype == np.int64 and big[-1, 0, -1, 0, -1] == 2 ** 32
    weights = Q._with_totals(np.array([1.0, 2.0]).reshape(1, 1, 1, 1, 2))
    assert weights.dtype == np.int32 and weights.ravel().tolist() == [1, 2, 3, 1, 2, 3]


def test_groups_are_cached_until_a_unit_changes():
    import datetime as dt

    from cgs_portal.statistics.index import StatsIndex

    index = StatsIndex()
    index.set_unit("000002", "乙國小", "65000", "國小", "A", dt.date(2020, 8, 1))
    index.set_unit("000001", "甲國小", "65000", "國小", "A", dt.date(2020, 8, 1))
    units = np.ones(2, bool)
    gid, labels = Q._groups(index, units, "unit")
    assert labels == ["000001 甲國小", "000002 乙國小"] and gid.tolist() == [1, 0]
    labels.append("changed by a caller")
    again, labels2 = Q._groups(index, units, "unit")
    assert again is gid and labels2 == ["000001 甲國小", "000002 乙國小"]
    assert not gid.flags.writeable
    index.set_unit("000001", "甲國小改名", "65000", "國小", "A", dt.date(2020, 8, 1))
    assert Q._groups(index, units, "unit")[1][0] == "000001 甲國小改名"
