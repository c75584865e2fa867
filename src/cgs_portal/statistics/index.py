"""The columnar statistics index: every stored row of every filing, one numpy array per column.

A plain library (no pyramid, no ZODB): ``feed`` fills it from the database, ``query``
answers the tables from it. Design (measured in issue 11, docs/statistics.md):

- one array per column, codes as small ints, multi-valued codes (個案類別(副), 個案來源,
  學生身分) as bitmasks, students and teachers as dense int ids, so a national year is a
  few MB and every table is a handful of vectorised passes;
- a filing's rows are one *segment* ``(unit, month)``: replacing it marks the old rows
  dead and appends the new ones (``Columns.append``); dead rows are compacted away when
  they pass a quarter of the store;
- the ledger copy (stamp per (unit, month)) and each county's filing generation say what
  the index reflects, so ``feed`` applies only what changed.
"""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

import numpy as np

#: The case columns and their dtypes (``mode`` is 服務型態 of family B, ``referral`` 轉介概況 of A).
CASE_COLUMNS = {
    "unit": np.int32, "ym": np.int32, "grade": np.int8, "sex": np.int8, "staff": np.int8,
    "main": np.int8, "sub": np.int32, "source": np.int16, "status": np.int16,
    "case_status": np.int8, "referral": np.int8, "mode": np.int8, "sessions": np.int16,
    "student": np.int32, "teacher": np.int32,
}
SERVICE_COLUMNS = {
    "unit": np.int32, "ym": np.int32, "staff": np.int8, "item": np.int8, "target": np.int8,
    "male": np.int32, "female": np.int32, "events": np.int32, "teacher": np.int32,
}
#: Filing status codes of a (unit, month) in ``StatsIndex.status``.
NOT_FILED, FILED, FILED_LATE, NO_CASES = 0, 1, 2, 3


def ym_of(year: int, month: int) -> int:
    return year * 12 + month - 1


def year_month(ym: int) -> tuple[int, int]:
    return ym // 12, ym % 12 + 1


def mask_of(codes) -> int:
    """A bitmask of a tuple of small codes (bit ``c`` for code ``c``)."""
    out = 0
    for code in codes or ():
        if code is not None and 0 <= int(code) < 31:
            out |= 1 << int(code)
    return out


class Columns:
    """A growable set of equal-length numpy arrays with a live mask."""

    def __init__(self, spec: dict):
        self.spec = spec
        self.size = 0
        self.dead = 0
        self.arrays = {name: np.zeros(1024, dtype) for name, dtype in spec.items()}
        self.alive = np.zeros(1024, bool)

    def _reserve(self, n: int):
        need = self.size + n
        capacity = len(self.alive)
        if need <= capacity:
            return
        while capacity < need:
            capacity *= 2
        for name, array in self.arrays.items():
            grown = np.zeros(capacity, array.dtype)
            grown[: self.size] = array[: self.size]
            self.arrays[name] = grown
        grown = np.zeros(capacity, bool)
        grown[: self.size] = self.alive[: self.size]
        self.alive = grown

    def append(self, columns: dict) -> tuple[int, int]:
        n = len(next(iter(columns.values()))) if columns else 0
        self._reserve(n)
        start = self.size
        for name, array in self.arrays.items():
            array[start:start + n] = columns[name]
        self.alive[start:start + n] = True
        self.size += n
        return start, start + n

    def kill(self, span: tuple[int, int]):
        start, stop = span
        self.alive[start:stop] = False
        self.dead += stop - start

    def compact(self, spans: dict) -> dict:
        """Drop dead rows; returns ``spans`` (key -> (start, stop)) moved to the new positions."""
        keep = self.alive[: self.size]
        new_pos = np.cumsum(keep) - keep  # new start of every kept row
        moved = {}
        for key, (start, stop) in spans.items():
            if stop > start:
                begin = int(new_pos[start])
                moved[key] = (begin, begin + (stop - start))
            else:
                moved[key] = (0, 0)
        n = int(keep.sum())
        for array in self.arrays.values():
            array[:n] = array[: self.size][keep]
        self.alive[:n] = True
        self.alive[n:] = False
        self.size, self.dead = n, 0
        return moved

    def view(self, name: str) -> np.ndarray:
        return self.arrays[name][: self.size]

    def live(self) -> np.ndarray:
        return self.alive[: self.size]

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.arrays.values()) + self.alive.nbytes


class Ids:
    """Dense int ids for hashable keys (students, teachers, units).

    ``from_keys`` (a snapshot) restores the key list only; the key -> id dict is built on
    first use, so a cold process that only answers queries never pays for it.
    """

    def __init__(self):
        self._ids: dict | None = {}
        self.keys: list = []

    @classmethod
    def from_keys(cls, keys: list) -> Ids:
        out = cls()
        out.keys, out._ids = keys, None
        return out

    @property
    def ids(self) -> dict:
        if self._ids is None:
            self._ids = {key: i for i, key in enumerate(self.keys)}
        return self._ids

    def __call__(self, key) -> int:
        ids = self.ids
        found = ids.get(key)
        if found is None:
            found = ids[key] = len(self.keys)
            self.keys.append(key)
        return found

    def __len__(self):
        return len(self.keys)


@dataclass
class UnitInfo:
    code: str
    name: str
    county: str
    level: str
    family: str
    opened_ym: int | None = None  # first month it must file
    closed_ym: int | None = None  # last month it must file


class Deferred:
    """An attribute whose value a snapshot gives as a function, called on first use (the
    dictionaries a cold process needs only once a filing is applied)."""

    def __set_name__(self, owner, name):
        self.slot = "_" + name

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        value = obj.__dict__[self.slot]
        if isinstance(value, Later):
            with obj.lock:
                value = obj.__dict__[self.slot]
                if isinstance(value, Later):
                    value = obj.__dict__[self.slot] = value.make()
        return value

    def __set__(self, obj, value):
        obj.__dict__[self.slot] = value


class Later:
    """A value to make on first use (see ``Deferred``)."""

    def __init__(self, make):
        self.make = make


class StatsIndex:
    """Every filing's rows in columns, plus which (unit, month) is filed how."""

    spans = Deferred()  # (uid, ym) -> (case span, service span)
    stamps = Deferred()  # (unit code, ym) -> ledger stamp the index reflects
    status = Deferred()  # (uid, ym) -> status code

    def __init__(self):
        self.lock = threading.RLock()
        self.cases = Columns(CASE_COLUMNS)
        self.services = Columns(SERVICE_COLUMNS)
        self.units = Ids()
        self.unit_info: list[UnitInfo] = []
        self.students = Ids()
        self.student_unit = np.zeros(1024, np.int32)
        self.teachers = Ids()
        self.spans = {}
        self.stamps = {}
        self.generations: dict = {}  # county code -> filing generation the index reflects
        self.status = {}
        self.version = 0  # bumped on every change (caches key on it)
        self.units_version = 0  # bumped when a unit is added or changed
        self._facts = None
        self.built_at: dt.datetime | None = None

    # -- units ---------------------------------------------------------------------------------

    def set_unit(self, code, name, county, level, family, opened_on=None, closed_on=None) -> int:
        uid = self.units(code)
        info = UnitInfo(code, name, county, level, family,
                        ym_of(opened_on.year, opened_on.month) if opened_on else None,
                        ym_of(closed_on.year, closed_on.month) if closed_on else None)
        if uid == len(self.unit_info):
            self.unit_info.append(info)
            self.units_version += 1
        elif self.unit_info[uid] != info:
            self.unit_info[uid] = info
            self.version += 1
            self.units_version += 1
        return uid

    def unit_facts(self) -> dict:
        """Per unit id as numpy arrays (code, county, level, family, opened/closed ym), cached."""
        if self._facts is None or self._facts[0] != self.units_version:
            infos = self.unit_info
            facts = {name: np.array([getattr(u, name) for u in infos], dtype=object)
                     for name in ("code", "county", "level", "family")}
            facts = {k: v.astype(str) if len(v) else np.zeros(0, str) for k, v in facts.items()}
            facts["opened"] = np.array([u.opened_ym if u.opened_ym is not None else -1 for u in infos], np.int64)
            facts["closed"] = np.array([u.closed_ym if u.closed_ym is not None else 1 << 40 for u in infos],
                                       np.int64)
            self._facts = (self.units_version, facts)
        return self._facts[1]

    def levels_of(self, units: np.ndarray) -> set:
        """The levels of the units marked in ``units`` (cached per unit set)."""
        key = (self.units_version, units.tobytes())
        cache = self.__dict__.setdefault("_levels_cache", {})
        found = cache.get(key)
        if found is None:
            if len(cache) > 64:
                cache.clear()
            levels = self.unit_facts()["level"]
            found = cache[key] = {levels[u] for u in np.flatnonzero(units)} if len(levels) else set()
        return found

    def status_arrays(self):
        """(uid, ym, code) arrays of the filing statuses, cached per version."""
        cached = getattr(self, "_status_cache", None)
        if cached is None or cached[0] != self.version:
            keys = list(self.status.items())
            uid = np.array([k[0] for k, _v in keys], np.int64)
            ym = np.array([k[1] for k, _v in keys], np.int64)
            code = np.array([v for _k, v in keys], np.int64)
            self._status_cache = cached = (self.version, uid, ym, code)
        return cached[1:]

    # -- rows ------------------------------------------------------------------------------------

    def _student(self, uid: int, key) -> int:
        sid = self.students((uid, key))
        if sid >= len(self.student_unit):
            grown = np.zeros(max(2 * len(self.student_unit), sid + 1), np.int32)
            grown[: len(self.student_unit)] = self.student_unit
            self.student_unit = grown
        self.student_unit[sid] = uid
        return sid

    def replace(self, unit_code: str, year: int, month: int, cases=(), services=(),
                status: int = NOT_FILED, stamp: str = "") -> None:
        """Set the rows and filing status of (unit, month), replacing what was there."""
        with self.lock:
            uid = self.units.ids.get(unit_code)
            if uid is None:
                raise KeyError(f"unknown unit {unit_code}: set_unit first")
            ym = ym_of(year, month)
            old = self.spans.pop((uid, ym), None)
            if old is not None:
                self.cases.kill(old[0])
                self.services.kill(old[1])
            info = self.unit_info[uid]
            case_cols = self._case_columns(uid, info.family, ym, cases)
            service_cols = self._service_columns(uid, ym, services)
            if cases or services:
                self.spans[(uid, ym)] = (self.cases.append(case_cols), self.services.append(service_cols))
            if status == NOT_FILED:
                self.status.pop((uid, ym), None)
            else:
                self.status[(uid, ym)] = status
            self.stamps[(unit_code, ym)] = stamp
            self.version += 1
            self._maybe_compact()

    def forget(self, unit_code: str, year: int, month: int) -> None:
        """(unit, month) has no entry any more: drop its rows and status."""
        self.replace(unit_code, year, month)
        self.stamps.pop((unit_code, ym_of(year, month)), None)

    def _case_columns(self, uid, family, ym, rows) -> dict:
        n = len(rows)
        out = {name: np.zeros(n, dtype) for name, dtype in CASE_COLUMNS.items()}
        out["unit"][:] = uid
        out["ym"][:] = ym
        for i, row in enumerate(rows):
            code = row.get("student_code")
            if family == "B":
                code = f"{row.get('school_code') or ''}/{code}"
            out["grade"][i] = row.get("grade") or 0
            out["sex"][i] = row.get("sex") or 0
            out["staff"][i] = row.get("staff_type") or 0
            out["main"][i] = row.get("main_category") or 0
            out["sub"][i] = mask_of(c for c in (row.get("sub_categories") or ()) if c)
            out["source"][i] = mask_of(c for c in (row.get("case_source") or ()) if c)
            out["status"][i] = mask_of(row.get("student_status") or ())
            out["case_status"][i] = row.get("case_status") or 0
            out["referral"][i] = row.get("referral") or 0
            out["mode"][i] = row.get("service_mode") or 0
            out["sessions"][i] = row.get("sessions") or 0
            out["student"][i] = self._student(uid, code)
            out["teacher"][i] = self.teachers((uid, row.get("teacher_code")))
        return out

    def _service_columns(self, uid, ym, rows) -> dict:
        n = len(rows)
        out = {name: np.zeros(n, dtype) for name, dtype in SERVICE_COLUMNS.items()}
        out["unit"][:] = uid
        out["ym"][:] = ym
        for i, row in enumerate(rows):
            out["staff"][i] = row.get("staff_type") or 0
            out["item"][i] = row.get("service_item") or 0
            out["target"][i] = row.get("target") or 0
            out["male"][i] = row.get("male") or 0
            out["female"][i] = row.get("female") or 0
            out["events"][i] = row.get("events") or 0
            out["teacher"][i] = self.teachers((uid, row.get("teacher_code")))
        return out

    def _maybe_compact(self):
        for which, store in ((0, self.cases), (1, self.services)):
            if store.dead > 4096 and store.dead * 4 > store.size:
                moved = store.compact({k: v[which] for k, v in self.spans.items()})
                self.spans = {k: ((moved[k], v[1]) if which == 0 else (v[0], moved[k]))
                              for k, v in self.spans.items()}

    # -- facts -----------------------------------------------------------------------------------

    @property
    def nbytes(self) -> int:
        return (self.cases.nbytes + self.services.nbytes + self.student_unit.nbytes)

    def live_rows(self) -> tuple[int, int]:
        return int(self.cases.live().sum()), int(self.services.live().sum())
