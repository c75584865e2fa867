"""Answering a table from the columnar index: the cube, its layout, suppression, chart data.

``run(index, query, scope)`` returns a ``Result`` of ``Block``s (one 2-D table each, with
its total row / column group / sub-column) that the page, the chart and the xlsx all show.

Definitions (domain spec, statistics; decisions in docs/statistics.md):
- 人次: rows counted (表III: 晤談次數 summed, 表VII: 服務人次 summed, 表VIII: teacher-months),
  summed over the chosen months; a multi-valued code counts once per listed code;
- 人數: distinct students ``(unit, 學生代號)`` (表VIII: distinct teachers), distinct across the
  months of a merged period too. A student counts once per row of the table, and once in
  the grade/sex columns: in the highest grade (and, if both were recorded, the larger sex
  code) of their rows in the period, so the columns of a row add up to its total;
- totals: 人次 totals are sums; 人數 totals over the table's rows and over months are
  distinct counts (a student under two categories counts once in 合計).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..counties import COUNTIES
from ..workbook import codes as C
from ..workbook.levels import LEVEL_GRADES, LEVELS
from . import suppress
from .index import NOT_FILED, StatsIndex, year_month, ym_of
from .tables import MEASURES, PERSONS, TABLES, VISITS, TableDef

TOTAL = "合計"


@dataclass(frozen=True)
class Query:
    table: str
    measure: str = VISITS
    months: tuple = ()  # ((year, month), ...), sorted
    layout: str = "merged"  # 'merged' 合併彙整 | 'monthly' 逐月彙整
    staff: tuple = ()  # 輔導人力類型; empty: 不指定
    grades: tuple = ()  # 資料範圍 指定年級; empty: 不指定
    category: str = "both"  # 統計類別 (表I): both / main / sub
    sex: str = "all"  # all / male / female / total
    targets: tuple = ()  # 服務對象 (表VII); empty: 不指定
    group: str = "none"  # none / county / level / unit (above the unit only)
    compare: bool = False  # a column with the same months of the previous academic year


@dataclass(frozen=True)
class Scope:
    """Whose data a query reads: one unit (exact figures), one county, or the nation."""

    kind: str  # 'unit' | 'county' | 'nation'
    code: str = ""
    label: str = ""

    @property
    def exact(self) -> bool:
        return self.kind == "unit"


@dataclass
class Block:
    caption: str
    row_label: str
    rows: list
    groups: list
    subs: list
    values: np.ndarray  # (rows, groups, subs)
    suppressed: np.ndarray
    row_total: bool = True
    group_total: bool = False
    sub_total: bool = False
    compare: np.ndarray | None = None  # per row: the previous year's total (or None)
    compare_suppressed: np.ndarray | None = None

    def cell(self, i, j, k):
        return None if self.suppressed[i, j, k] else int(self.values[i, j, k])


@dataclass
class Result:
    table: TableDef
    query: Query
    scope: Scope
    blocks: list = field(default_factory=list)
    empty: bool = True
    measure: str = VISITS
    notes: list = field(default_factory=list)
    suppressed_cells: int = 0
    threshold: int = 3
    data_version: int = 0

    def chart(self) -> dict:
        return chart_data(self)


# -- scope, groups, periods ----------------------------------------------------------------------

def _unit_mask(index: StatsIndex, scope: Scope, family: str) -> np.ndarray:
    facts = index.unit_facts()
    keep = facts["family"] == family
    if scope.kind == "unit":
        keep &= facts["code"] == scope.code
    elif scope.kind == "county":
        keep &= facts["county"] == scope.code
    return keep


def _groups(index: StatsIndex, units: np.ndarray, group: str):
    """(group id per unit id, -1 outside; labels), cached per (units_version, group, units).

    A by-unit grouping sorts and labels thousands of units in Python (a few ms a query), so
    the answer is kept on the index until a unit is added or changed; the gid array is
    read-only because every query of that scope shares it.
    """
    key = (index.units_version, group, units.tobytes())
    cache = index.__dict__.setdefault("_groups_cache", {})
    found = cache.get(key)
    if found is None:
        if len(cache) > 64:
            cache.clear()
        gid, labels = _make_groups(index, units, group)
        gid.setflags(write=False)
        found = cache[key] = (gid, labels)
    return found[0], list(found[1])


def _make_groups(index: StatsIndex, units: np.ndarray, group: str):
    gid = np.full(len(units), -1, np.int32)
    chosen = np.flatnonzero(units)
    if group == "none" or not len(chosen):
        gid[chosen] = 0
        return gid, [""]
    infos = index.unit_info
    if group == "county":
        keys = sorted({infos[u].county for u in chosen})
        labels = [COUNTIES.get(k, k) for k in keys]
        key_of = lambda u: infos[u].county  # noqa: E731
    elif group == "level":
        keys = [lv for lv in LEVELS if lv in {infos[u].level for u in chosen}]
        labels = list(keys)
        key_of = lambda u: infos[u].level  # noqa: E731
    else:
        keys = sorted(infos[u].code for u in chosen)
        labels = [f"{k} {index.unit_info[index.units.ids[k]].name}" for k in keys]
        key_of = lambda u: infos[u].code  # noqa: E731
    position = {k: i for i, k in enumerate(keys)}
    for u in chosen:
        gid[u] = position[key_of(u)]
    return gid, labels


def _period_lut(months):
    """(first ym, ym - first -> the month's position in ``months``, -1 for other months)."""
    yms = [ym_of(y, m) for y, m in months]
    lo = min(yms)
    lut = np.full(max(yms) - lo + 1, -1, np.int32)
    for p, ym in enumerate(yms):
        lut[ym - lo] = p
    return lo, lut


def _lookup(values: np.ndarray, lo: int, lut: np.ndarray) -> np.ndarray:
    """lut[values - lo], -1 where out of range (one pass: the table is padded with -1)."""
    padded = np.concatenate([[-1], lut, [-1]]).astype(np.int32)
    return np.take(padded, values - (lo - 1), mode="clip")


def _member(values: np.ndarray, codes) -> np.ndarray:
    """values ∈ codes for small non-negative codes (a lookup table, faster than np.isin)."""
    table = np.zeros(64, bool)
    table[list(codes)] = True
    return np.take(table, values, mode="clip")


def _code_lut(codes, size=64) -> np.ndarray:
    lut = np.full(size, -1, np.int32)
    for i, code in enumerate(codes):
        lut[code] = i
    return lut


def _column_codes(index, units, table: TableDef, query: Query):
    """The grade (or 對象) columns of the table in this scope."""
    levels = index.levels_of(units)
    scope_grades = sorted({g for lv in levels for g in LEVEL_GRADES.get(lv, ())}) or list(range(1, 13))
    if table.source == "services":
        grades = [g for g in scope_grades if not query.grades or g in query.grades]
        targets = grades + ([] if query.grades else [13, 14, 15])
        if query.targets:
            targets = [t for t in targets if t in query.targets]
        labels = dict(C.TARGETS)
        return targets, [labels[t] for t in targets]
    if not table.grades:
        return [0], [""]
    grades = [g for g in scope_grades if not query.grades or g in query.grades]
    labels = dict(C.GRADES)
    return grades, [labels[g] for g in grades]


# -- the cube ---------------------------------------------------------------------------------------

class _Frame:
    """The selected rows of one query as aligned arrays, one entry per stored row.

    ``p`` is always the month's position in the query's month list (``shaped`` puts every
    month in one period for a merged layout); ``masks`` has bit ``code`` set for every table
    row code the row counts under (one bit for a single-valued column, several for 個案來源,
    學生身分 or 主+副 類別); ``row_of_code`` maps a code to its table row. ``entity``
    (students, teachers) belongs to one unit, so its group ``g`` is a function of it.
    人次 counts the (row, code) pairs (``pairs``, made once and shared by the shaped copies);
    人數 ORs the masks of each entity first, so a student's many rows are never expanded.
    """

    def __init__(self, g, p, c, s, w, entity, n_entities, masks, row_of_code, single=None, shared=None):
        self.g, self.p, self.c, self.s, self.w = g, p, c, s, w
        self.entity, self.n_entities = entity, n_entities
        self.masks, self.row_of_code = masks, row_of_code
        self.single = single  # the row index of each row when the column is single-valued
        self.shared = {} if shared is None else shared

    def __len__(self):
        return len(self.g)

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """(position, table row) of every code a row counts under."""
        if "pairs" not in self.shared:
            self.shared["pairs"] = ((np.arange(len(self.g)), self.single) if self.single is not None
                                    else _expand(self.masks, self.row_of_code))
        return self.shared["pairs"]

    def shaped(self, monthly: bool, one_column: bool, one_sex: bool = False) -> _Frame:
        """The same rows with every month in one period, every column in one and/or both
        sexes in one sub-column."""
        zeros = np.zeros(len(self.g), np.int32)
        return _Frame(self.g, self.p if monthly else zeros, zeros if one_column else self.c,
                      zeros if one_sex else self.s, self.w, self.entity, self.n_entities, self.masks, self.row_of_code, self.single,
                      self.shared)


def _expand(masks: np.ndarray, row_of_code: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(positions, table row) for every code bit set in ``masks`` that has a row.

    Peels the lowest set bit of every non-zero mask per pass: as many passes as the largest
    number of codes on one row (a few), each over the rows that still have bits left. Bits
    without a row are cleared first, so every peeled bit is a hit; the masks are int32 when
    every code is below 31 (half the memory traffic). The bit's position is read from the
    exponent of the power of two as a float32 (exact up to 2**127): ``view(int32) >> 23`` is
    ``127 + bit``, looked up in a table of the rows shifted by 127.
    """
    codes = np.flatnonzero(row_of_code >= 0)
    if not len(codes):
        return np.zeros(0, np.int64), np.zeros(0, np.int32)
    kind = np.int32 if codes.max() < 31 else np.int64
    valid = kind(sum(1 << int(c) for c in codes))
    m = masks.astype(kind) & valid
    pos = np.flatnonzero(m)
    m = m[pos]
    row_of_exponent = np.full(256, -1, np.int32)
    row_of_exponent[127 + codes] = row_of_code[codes]
    out_pos, out_rows = [], []
    while len(m):
        low = m & -m
        out_pos.append(pos)
        out_rows.append(row_of_exponent[low.astype(np.float32).view(np.int32) >> 23])
        m ^= low
        left = np.flatnonzero(m)
        if len(left) == len(m):
            continue
        pos, m = pos[left], m[left]
    if not out_pos:
        return np.zeros(0, np.int64), np.zeros(0, np.int32)
    return np.concatenate(out_pos), np.concatenate(out_rows)


def _row_codes(row_codes) -> tuple[np.ndarray, int]:
    """(code -> table row, -1 for none; the bits of the table's codes)."""
    bits = 0
    for code in row_codes:
        if not 0 <= code < 36:
            raise ValueError(f"row code {code} does not fit a bitmask")
        bits |= 1 << code
    return _code_lut(row_codes, 64), bits


def _case_frame(index, table, query, units, gid, lo, lut, col_codes, row_codes):
    """The query's case rows; look-ups over whole columns use ``np.take`` (about twice as
    fast as fancy indexing with the same answer)."""
    st = index.cases
    unit, ym = st.view("unit"), st.view("ym")
    if not st.size:
        return None
    p_all = _lookup(ym, lo, lut)
    keep = (p_all >= 0) & st.live()
    keep &= np.take(units, unit) if len(units) else False
    if query.staff:
        keep &= _member(st.view("staff"), query.staff)
    grade = st.view("grade")
    c_lut = _code_lut(col_codes if table.grades else [], 16)
    if table.grades:
        keep &= np.take(c_lut, grade) >= 0
    elif query.grades:
        keep &= _member(grade, query.grades)
    sex = st.view("sex")
    if query.sex == "male":
        keep &= sex == 1
    elif query.sex == "female":
        keep &= sex == 2
    if table.new_only:
        keep &= st.view("case_status") == 1
    sel = np.flatnonzero(keep)
    row_of_code, bits = _row_codes(row_codes)
    single = None
    # int32 masks when every code of the table is below 31 (half the traffic of every later
    # pass); numpy shifts by the width or more give 0, and the bits above are masked out
    kind = np.int32 if bits < 2 ** 31 else np.int64
    if table.field == "main" and table.id.upper() == "I":
        one = np.left_shift(kind(1), st.view("main")[sel].astype(kind))
        sub = st.view("sub")[sel].astype(kind)
        masks = one if query.category == "main" else sub if query.category == "sub" else one | sub
    elif table.multi:
        masks = st.view(table.field)[sel].astype(kind)
    else:
        single = np.take(row_of_code, st.view(table.field)[sel])
        masks = np.left_shift(kind(1), st.view(table.field)[sel].astype(kind))
    masks &= kind(bits)
    counted = np.flatnonzero(masks)
    rows = sel[counted]
    masks = masks[counted]
    if single is not None:
        single = single[counted]
    c = c_lut[grade[rows]] if table.grades else np.zeros(len(rows), np.int32)
    s = (sex[rows] - 1).clip(0, 1).astype(np.int32) if table.sex else np.zeros(len(rows), np.int32)
    w = st.view(table.weight)[rows].astype(np.int64) if table.weight else None
    return _Frame(np.take(gid, np.take(unit, rows)), p_all[rows], c, s, w, st.view("student")[rows], len(index.students),
                  masks, row_of_code, single)


def _service_frame(index, table, query, units, gid, lo, lut, col_codes, row_codes):
    st = index.services
    unit, ym = st.view("unit"), st.view("ym")
    p_all = _lookup(ym, lo, lut)
    keep = (p_all >= 0) & st.live()
    keep &= np.take(units, unit) if len(units) else False
    if query.staff:
        keep &= _member(st.view("staff"), query.staff)
    c_all = np.take(_code_lut(col_codes), st.view("target"))
    keep &= c_all >= 0
    row_of_code, _bits = _row_codes(row_codes)
    r_all = np.take(row_of_code, st.view("item"))
    keep &= r_all >= 0
    rows = np.flatnonzero(keep)
    parts = []
    for s, name in ((0, "male"), (1, "female")):
        if (query.sex == "male" and s == 1) or (query.sex == "female" and s == 0):
            continue
        parts.append((rows, np.full(len(rows), s, np.int32), st.view(name)[rows].astype(np.int64)))
    rows = np.concatenate([x[0] for x in parts])
    s = np.concatenate([x[1] for x in parts])
    w = np.concatenate([x[2] for x in parts])
    return _Frame(np.take(gid, np.take(unit, rows)), p_all[rows], c_all[rows], s, w, None, 0, None, row_of_code, r_all[rows])


def _teacher_frame(index, table, query, units, gid, lo, lut, row_codes):
    row_of_code, _bits = _row_codes(row_codes)
    parts = []
    for st in (index.cases, index.services):
        unit = st.view("unit")
        p_all = _lookup(st.view("ym"), lo, lut)
        keep = (p_all >= 0) & st.live()
        keep &= np.take(units, unit) if len(units) else False
        staff = st.view("staff")
        keep &= np.take(row_of_code, staff) >= 0
        if query.staff:
            keep &= _member(staff, query.staff)
        rows = np.flatnonzero(keep)
        parts.append((np.take(gid, np.take(unit, rows)), p_all[rows], staff[rows].astype(np.int64), st.view("teacher")[rows]))
    g, p, code, t = (np.concatenate([x[i] for x in parts]) for i in range(4))
    zeros = np.zeros(len(g), np.int32)
    masks = np.left_shift(1, code.astype(np.int32) if code.max(initial=0) < 31 else code)
    return _Frame(g, p, zeros, zeros, None, t, len(index.teachers), masks, row_of_code, row_of_code[code])


def _with_totals(base: np.ndarray, always=(2, 4), fits: bool | None = None) -> np.ndarray:
    """A last 'total' slot (sums) on every axis of more than one leaf, and on the ``always``
    axes (groups and rows: their 合計 line is shown even for one group or row); an axis of
    one leaf keeps its one slot, which index -1 then reads as its own total.

    The totals are filled from the innermost axis outwards, so every sum reads whole rows of
    the axes after it (contiguous runs, not 20-long strides), and the cube is int32 when its
    grand total fits (the figures are counts and sums of non-negative numbers, so no cell is
    larger): half the memory traffic on a by-unit cube of millions of cells. ``fits`` says
    so when the caller knows it (a count of n rows sums to n), sparing two passes.
    """
    nd = base.ndim
    grow = [n != 1 or axis in always for axis, n in enumerate(base.shape)]
    if fits is None:
        fits = not base.size or (0 <= base.min() and base.sum() < 2 ** 31)
    kind = np.int32 if fits else np.int64
    out = np.empty(tuple(n + int(g) for n, g in zip(base.shape, grow, strict=True)), kind)
    out[tuple(slice(0, n) for n in base.shape)] = base
    for axis in reversed(range(nd)):
        if not grow[axis]:
            continue
        # the axis' total slot: full extent on the axes already done, leaves on the others
        src = tuple(slice(None) if a > axis else slice(0, base.shape[a]) for a in range(nd))
        dst = src[:axis] + (-1,) + src[axis + 1:]
        np.sum(out[src], axis=axis, out=out[dst])
    return out


# A cube is stored in the order (S, C, G, P, R): the small sex and column axes outermost, so
# every sum and copy runs over long contiguous stretches (a by-unit cube has thousands of
# groups; with (G, P, R, C, S) order its innermost runs were 2 long and the totals alone
# cost ~100 ms). Callers get a (G, P, R, C, S) view of it.
_GPRCS = (2, 3, 4, 1, 0)  # the axes of the stored (S, C, G, P, R) cube in (G, P, R, C, S) order


def _cube_of(flat: np.ndarray, shape, weights=None) -> np.ndarray:
    """Cell counts (or weight sums) of flat (S, C, G, P, R) cell numbers, with totals, as a
    (G+1, P+1, R+1, C+1, S+1) view."""
    ng, np_, nr, nc, ns = shape
    size = ng * np_ * nr * nc * ns
    counts = np.bincount(flat, weights=weights, minlength=size)[:size]
    # weight sums come back as float64 (exact: integers below 2**53); _with_totals casts them.
    # Every cell number is below ``size``, so the cube adds up to the rows (or weights) counted.
    if weights is None:
        fits = len(flat) < 2 ** 31
    else:
        fits = not len(weights) or (0 <= weights.min() and weights.sum() < 2 ** 31)
    return _with_totals(counts.reshape(ns, nc, ng, np_, nr), fits=bool(fits)).transpose(_GPRCS)


def _cell(shape, g, p, r, c, s) -> np.ndarray:
    """The flat (S, C, G, P, R) cell number of aligned arrays."""
    ng, np_, nr, nc, _ns = shape
    return (((s.astype(np.int64) * nc + c) * ng + g) * np_ + p) * nr + r


def _zero_cube(shape) -> np.ndarray:
    return _cube_of(np.zeros(0, np.int64), shape)


def _visits(frame: _Frame, shape) -> np.ndarray:
    pos, r = frame.pairs()
    if frame.single is not None:  # one pair per row, in order: the columns as they are
        g, p, c, s, w = frame.g, frame.p, frame.c, frame.s, frame.w
    else:
        g, p, c, s = (np.take(a, pos) for a in (frame.g, frame.p, frame.c, frame.s))
        w = np.take(frame.w, pos) if frame.w is not None else None
    return _cube_of(_cell(shape, g, p, r, c, s), shape, w)


def _persons(frame: _Frame, shape, merged: bool = False):
    """Distinct entities per cell; totals over R (and the grand total) distinct, others summed.

    Per (period, entity): the OR of its rows' code masks (the table rows it counts under)
    and its column, the largest (grade, sex) of its rows there (``ufunc.at``: no sort). Then
    each entity is one row of a much shorter frame, expanded and counted once. ``merged``
    (a monthly layout): also the cube of every month in one period, from the same
    per-(period, entity) state (the OR and the largest over the periods), so the rows are
    not gathered a second time; returns (monthly cube, merged cube) then.
    """
    ng, np_, nr, nc, ns = shape
    n_ent = max(frame.n_entities, 1)
    kind = np.int32 if np_ * n_ent < 2 ** 31 else np.int64  # half the memory traffic when it fits
    pe = frame.p.astype(kind) * kind(n_ent) + frame.entity  # (period, entity)
    masks = np.zeros(np_ * n_ent, frame.masks.dtype)  # int32 when every code is below 31
    np.bitwise_or.at(masks, pe, frame.masks)
    best = np.zeros(np_ * n_ent, np.int16)
    if nc * ns > 1:
        np.maximum.at(best, pe, (frame.c * ns + frame.s).astype(np.int16))
    group_of = np.zeros(n_ent, np.int32)
    group_of[frame.entity] = frame.g  # an entity belongs to one unit, so to one group
    out = _entity_cube(masks, best, group_of, frame.row_of_code, shape)
    if not merged:
        return out
    one = (ng, 1, nr, nc, ns)
    whole = _entity_cube(np.bitwise_or.reduce(masks.reshape(np_, n_ent), axis=0),
                         best.reshape(np_, n_ent).max(axis=0), group_of, frame.row_of_code, one)
    return out, whole


def _entity_cube(masks, best, group_of, row_of_code, shape) -> np.ndarray:
    """The 人數 cube of per-(period, entity) code masks and (column, sex) slots."""
    ng, np_, nr, nc, ns = shape
    n_ent = len(group_of)
    present = np.flatnonzero(masks)
    p = present // n_ent
    g, cs = np.take(group_of, present - p * n_ent), np.take(best, present)
    pos, r = _expand(np.take(masks, present), row_of_code)
    cs_pos = np.take(cs, pos)
    out = _cube_of(_cell(shape, np.take(g, pos), np.take(p, pos), r, cs_pos // ns, cs_pos % ns), shape)
    # the R total: each entity once per period, in its column
    total_shape = (ng, np_, 1, nc, ns)
    rtot = _cube_of(_cell(total_shape, g, p, 0, cs // ns, cs % ns), total_shape)
    out[:, :, -1, :, :] = rtot[:, :, 0, :, :]
    return out


def _status_cube(index, units, gid, months, monthly, ng, np_) -> np.ndarray:
    """表IX: unit-months by filing status; 未填報 only for months the unit was open."""
    codes = [c for c, _label in TABLES["IX"].row_codes]
    nr = len(codes)
    r_lut = _code_lut(codes, 8)
    yms = np.array([ym_of(y, m) for y, m in months], np.int64)
    m_lut = np.full(int(yms.max() - yms.min()) + 1, -1, np.int32)
    m_lut[yms - yms.min()] = np.arange(len(yms))
    uid, ym, code = index.status_arrays()
    m_idx = _lookup(ym, int(yms.min()), m_lut) if len(ym) else np.zeros(0, np.int32)
    sel = np.flatnonzero((m_idx >= 0) & units[uid]) if len(uid) else np.zeros(0, np.int64)
    p_of = m_idx[sel] if monthly else np.zeros(len(sel), np.int64)
    flat = (gid[uid[sel]].astype(np.int64) * np_ + p_of) * nr + r_lut[code[sel]]
    base = np.bincount(flat, minlength=ng * np_ * nr)[: ng * np_ * nr].reshape(ng, np_, nr).astype(np.int64)
    # 未填報: expected (open that month) and without a status
    facts = index.unit_facts()
    chosen = np.flatnonzero(units)
    expected = (facts["opened"][chosen, None] <= yms[None, :]) & (yms[None, :] <= facts["closed"][chosen, None])
    has = np.zeros((len(units), len(yms)), bool)
    has[uid[sel], m_idx[sel]] = True
    missing = expected & ~has[chosen]
    g_rows = np.repeat(gid[chosen], len(yms)).reshape(len(chosen), len(yms))
    p_cols = np.broadcast_to(np.arange(len(yms)) if monthly else np.zeros(len(yms), np.int64), missing.shape)
    miss_flat = g_rows[missing].astype(np.int64) * np_ + p_cols[missing]
    base[:, :, r_lut[NOT_FILED]] += np.bincount(miss_flat, minlength=ng * np_)[: ng * np_].reshape(ng, np_)
    return _with_totals(base.reshape(1, 1, ng, np_, nr)).transpose(_GPRCS)


def cube(index: StatsIndex, table: TableDef, query: Query, scope: Scope, measure: str,
         months=None, monthly=None, memo: dict | None = None):
    """The (G+1, P+1, R+1, C+1, S+1) cube of ``measure`` (last slot of every axis: total).

    ``memo`` (one per ``run``) keeps the scope's units and groups and each month set's
    selected rows, so the 人數 cube of the suppression, the merged total of a monthly 人數
    and the previous year reuse them instead of scanning the columns again.
    """
    months = tuple(months if months is not None else query.months)
    monthly = (query.layout == "monthly") if monthly is None else monthly
    memo = {} if memo is None else memo
    if "units" not in memo:
        units = _unit_mask(index, scope, table.family)
        group = "none" if scope.kind == "unit" else query.group
        memo["units"] = (units, group, *_groups(index, units, group), _column_codes(index, units, table, query))
    units, group, gid, group_labels, (col_codes, col_labels) = memo["units"]
    row_codes = [c for c, _label in table.row_codes
                 if not (table.source == "teachers" and query.staff and c not in query.staff)]
    ng, np_ = len(group_labels), (len(months) if monthly else 1)
    nr, nc = len(row_codes), len(col_codes)
    # the 男 / 女 split only when the table shows both with their 計: a query of one sex
    # already selected its rows, and 總計 is the sum, so one sub-column (half the cube)
    ns = 2 if table.sex and query.sex == "all" else 1
    shape = (ng, np_, nr, nc, ns)
    meta = {"groups": group_labels, "rows": [dict(table.row_codes)[c] for c in row_codes],
            "cols": col_labels, "count": 0}
    if table.source == "status":
        data = _status_cube(index, units, gid, months, monthly, ng, np_)
        meta["count"] = int(data[-1, -1, -1, -1, -1])
        return data, meta
    key = ("frame", months)
    if key not in memo:
        lo, lut = _period_lut(months)
        if table.source == "cases":
            memo[key] = _case_frame(index, table, query, units, gid, lo, lut, col_codes, row_codes)
        elif table.source == "services":
            memo[key] = _service_frame(index, table, query, units, gid, lo, lut, col_codes, row_codes)
        else:
            memo[key] = _teacher_frame(index, table, query, units, gid, lo, lut, row_codes)
    frame = memo[key]
    if frame is None or not nr or not nc:
        return _zero_cube(shape), meta
    meta["count"] = len(frame)
    # grouped and monthly layouts show no grade columns: one column, a 12× smaller cube
    one_column = group != "none" or (query.layout == "monthly" and len(query.months) > 1)
    if one_column:
        nc = 1
        shape = (ng, np_, nr, nc, ns)
    shaped = frame.shaped(monthly, one_column, ns == 1)
    if table.source == "teachers" and measure == VISITS:
        # teacher-months: distinct teachers of each month, summed over the months
        per_month = cube(index, table, query, scope, PERSONS, months, True, memo)[0]
        leaf = per_month[:, :len(months)]
        data = leaf.sum(axis=1, keepdims=True) if not monthly else leaf
        data = np.concatenate([data, data.sum(axis=1, keepdims=True)], axis=1)
        return data, meta
    if measure == PERSONS and frame.entity is not None:
        if monthly and np_ > 1:
            data, merged = _persons(shaped, shape, merged=True)
            data[:, -1] = merged[:, 0]
        else:
            data = _persons(shaped, shape)
        return data, meta
    return _visits(shaped, shape), meta


# -- layout ---------------------------------------------------------------------------------------

def _sub_slots(table: TableDef, query: Query):
    """The sub-columns shown; the cube has the 男 / 女 slots only for sex 'all' (see ``cube``)."""
    if table.sex and query.sex == "all":
        return slice(None), ["男", "女", "計"], True
    label = {"male": "男", "female": "女"}.get(query.sex, "計") if table.sex else "計"
    return slice(-1, None), [label], False


def _axis(labels, total_label=TOTAL):
    """Slots of an axis: every leaf then the total (one slot when there is only one leaf)."""
    if len(labels) <= 1:
        return slice(0, 1), list(labels) if labels else [""], False
    return slice(None), list(labels) + [total_label], True


def arrange(data: np.ndarray, meta: dict, table: TableDef, query: Query, scope: Scope, months) -> list:
    """The blocks (caption, row slots, ...) and their (rows, groups, subs) value arrays.

    Only basic slicing of the cube (views), so a by-unit cube of thousands of groups is not
    copied before the block takes its values.
    """
    subs, sub_labels, sub_total = _sub_slots(table, query)
    grouped = scope.kind != "unit" and query.group != "none"
    monthly = query.layout == "monthly" and len(months) > 1
    month_labels = [f"{y - 1911}年{m}月" for y, m in months]
    row_labels = meta["rows"] + [TOTAL]
    if not grouped:
        if monthly:
            periods, p_labels, p_total = _axis(month_labels)
            arr = data[0, periods, :, -1, subs].transpose(1, 0, 2)
            return [("", table.rows_label, row_labels, p_labels, arr, p_total, sub_labels, sub_total)]
        columns, c_labels, c_total = _axis(meta["cols"])
        arr = data[0, -1, :, columns, subs]
        return [("", table.rows_label, row_labels, c_labels, arr, c_total, sub_labels, sub_total)]
    g_labels = meta["groups"] + [TOTAL]
    header = "單位" if query.group == "unit" else GROUP_HEADERS[query.group]
    periods = [(-1, "")] if not monthly else [(i, lab) for i, lab in enumerate(month_labels)] + [(-1, TOTAL)]
    return [(label, header, g_labels, row_labels, data[:, p, :, -1, subs], True, sub_labels, sub_total)
            for p, label in periods]


GROUP_HEADERS = {"county": "縣市", "level": "學制", "unit": "單位"}


def run(index: StatsIndex, query: Query, scope: Scope, threshold: int = 3) -> Result:
    table = TABLES[query.table]
    measure = query.measure if query.measure in table.measures else VISITS
    result = Result(table, query, scope, measure=measure, threshold=threshold)
    if measure != query.measure:
        result.notes.append(f"{table.label}僅以人次計量。")
    with index.lock:
        result.data_version = index.version
        memo: dict = {}
        data, meta = cube(index, table, query, scope, measure, memo=memo)
        persons = None
        protect = table.sensitive and not scope.exact
        if protect:
            persons = data if measure == PERSONS else cube(index, table, query, scope, PERSONS, memo=memo)[0]
        previous = None
        if query.compare and query.layout != "monthly":
            last_year = tuple(year_month(ym_of(y, m) - 12) for y, m in query.months)
            previous = cube(index, table, query, scope, measure, last_year, memo=memo)[0]
            prev_persons = None
            if protect:
                prev_persons = (previous if measure == PERSONS else
                                cube(index, table, query, scope, PERSONS, last_year, memo=memo)[0])
    result.empty = meta["count"] == 0
    for spec, pspec, prev, pprev in zip(
            arrange(data, meta, table, query, scope, query.months),
            arrange(persons, meta, table, query, scope, query.months) if protect else
            [None] * 10 ** 3,
            arrange(previous, meta, table, query, scope, query.months) if previous is not None else
            [None] * 10 ** 3,
            arrange(prev_persons, meta, table, query, scope, query.months)
            if previous is not None and protect else [None] * 10 ** 3, strict=False):
        caption, row_label, rows, groups, arr, group_total, subs, sub_total = spec
        block = Block(caption, row_label, rows, groups, subs, arr.astype(np.int64),
                      np.zeros(arr.shape, bool), True, group_total, sub_total)
        if prev is not None:
            block.compare = prev[4][:, -1, -1].astype(np.int64)
            block.compare_suppressed = np.zeros(len(block.compare), bool)
        if protect:
            sensitive = (pspec[4] < threshold) & (arr > 0)
            block.suppressed = suppress.protect(block.values, sensitive, group_total, sub_total)
            if prev is not None:
                block.compare_suppressed = (pprev[4][:, -1, -1] < threshold) & (block.compare > 0)
            result.suppressed_cells += int(block.suppressed.sum())
        result.blocks.append(block)
    return result


# -- chart ----------------------------------------------------------------------------------------

def chart_data(result: Result) -> dict:
    """What Chart.js draws: the first block, suppressed cells as gaps (null), never the value."""
    if not result.blocks or result.empty:
        return {}
    block = result.blocks[0]
    monthly = result.query.layout == "monthly" and block.group_total and block.row_label == result.table.rows_label
    leaf_rows = block.rows[:-1] if block.row_total else block.rows
    if monthly:
        leaf_groups = block.groups[:-1] if block.group_total else block.groups
        k = len(block.subs) - 1
        totals = block.values[: len(leaf_rows), : len(leaf_groups), k].sum(axis=1)
        top = list(np.argsort(-totals, kind="stable")[:6])
        datasets = [{"label": leaf_rows[i], "data": [block.cell(i, j, k) for j in range(len(leaf_groups))]}
                    for i in top]
        return {"type": "line", "labels": leaf_groups, "datasets": datasets, "stacked": False,
                "title": _chart_title(result)}
    j = len(block.groups) - 1
    leaf_subs = [k for k, label in enumerate(block.subs) if label in ("男", "女")] or [len(block.subs) - 1]
    datasets = [{"label": block.subs[k] or "計", "data": [block.cell(i, j, k) for i in range(len(leaf_rows))]}
                for k in leaf_subs]
    return {"type": "bar", "labels": leaf_rows, "datasets": datasets, "stacked": len(leaf_subs) > 1,
            "title": _chart_title(result)}


def _chart_title(result: Result) -> str:
    """The table's name and its measure, as the heading above the chart says."""
    return f"{result.table.label}（{MEASURES[result.measure]}）"


def summary_text(result: Result) -> str:
    """The chart's aria-label: what it shows and its largest bars."""
    data = chart_data(result)
    if not data:
        return "無資料"
    totals = []
    for i, label in enumerate(data["labels"]):
        values = [d["data"][i] for d in data["datasets"]]
        if all(v is not None for v in values) and sum(values) > 0:
            totals.append((sum(values), label))
    totals.sort(reverse=True)
    top = "、".join(f"{label} {value}" for value, label in totals[:3])
    kind = "折線圖" if data["type"] == "line" else "長條圖"
    return f"{data['title']}{kind}" + (f"；最多：{top}" if top else "")
