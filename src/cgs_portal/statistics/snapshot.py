"""A local snapshot file of the statistics index, so a cold process answers within a second.

The file (setting ``cgs.stats_snapshot``) is one ``.npz`` of arrays: the columns, the
student and teacher keys (their strings NUL-joined in one byte array), spans, ledger
stamps and filing statuses; only the small metadata (units, county generations) is JSON.
No pickle (``allow_pickle=False``): a snapshot is data, never code. Loading builds no
key -> id dictionary (``Ids.from_keys``: built on the first filing applied), so a national
year loads in a fraction of a second.

It is only a cache: after loading, ``feed`` diffs every county whose filing generation
moved against the stamps in it and applies what changed since it was written, so a stale
or old snapshot gives the same answers, only later. Written atomically (temp file +
rename) after a background build or catch-up, and again after filings were applied when
the last write is older than ``cgs.stats_snapshot_every`` seconds (``feed.maybe_save``);
the index is locked only while its arrays are copied.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time

import numpy as np

from .index import Ids, Later, UnitInfo

log = logging.getLogger(__name__)

FORMAT = 2


def _pack_strings(values: list) -> np.ndarray:
    """Strings (or None) as one byte array: NUL-joined, or JSON when a value holds a NUL."""
    if all(v is None or (isinstance(v, str) and "\x00" not in v) for v in values):
        nones = [i for i, v in enumerate(values) if v is None]
        body = "\x00".join("" if v is None else v for v in values)
        data = b"Z" + json.dumps(nones).encode() + b"\n" + body.encode("utf-8")
    else:
        data = b"J" + json.dumps(values, ensure_ascii=False, default=str).encode("utf-8")
    return np.frombuffer(data, np.uint8)


def _unpack_strings(array: np.ndarray, count: int) -> list:
    data = bytes(array)
    if data[:1] == b"J":
        return json.loads(data[1:].decode("utf-8"))
    head, _, body = data[1:].partition(b"\n")
    values = body.decode("utf-8").split("\x00") if count else []
    for i in json.loads(head):
        values[i] = None
    return values


def _pairs(prefix: str, keys: list) -> dict:
    """(uid, key) pairs of an ``Ids`` as an int array and packed strings."""
    return {f"{prefix}_uid": np.array([k[0] for k in keys], np.int32),
            f"{prefix}_key": _pack_strings([k[1] for k in keys])}


def _meta(holder) -> dict:
    index = holder.index
    return {
        "format": FORMAT,
        "sizes": [index.cases.size, index.services.size],
        "dead": [index.cases.dead, index.services.dead],
        "units": [[u.code, u.name, u.county, u.level, u.family, u.opened_ym, u.closed_ym]
                  for u in index.unit_info],
        "generations": index.generations,
        "county_sizes": holder.county_sizes,
        "unit_changes": holder.unit_changes,
    }


def _arrays(holder) -> dict:
    """Everything but the small metadata, as arrays (copies: written outside the lock)."""
    index = holder.index
    arrays = {f"c_{k}": index.cases.view(k).copy() for k in index.cases.arrays}
    arrays.update({f"s_{k}": index.services.view(k).copy() for k in index.services.arrays})
    arrays["c_alive"] = index.cases.live().copy()
    arrays["s_alive"] = index.services.live().copy()
    arrays["student_unit"] = index.student_unit[: len(index.students)].copy()
    arrays.update(_pairs("students", index.students.keys))
    arrays.update(_pairs("teachers", index.teachers.keys))
    spans = list(index.spans.items())
    arrays["spans"] = np.array([(uid, ym, *c, *sv) for (uid, ym), (c, sv) in spans], np.int64).reshape(-1, 6)
    units = index.units.ids
    stamps = list(index.stamps.items())
    arrays["stamps"] = np.array([(units[code], ym) for (code, ym), _v in stamps], np.int64).reshape(-1, 2)
    arrays["stamp_text"] = _pack_strings([v for _k, v in stamps])
    arrays["status"] = np.array([(uid, ym, st) for (uid, ym), st in index.status.items()],
                                np.int64).reshape(-1, 3)
    return arrays


def save(holder, path: str) -> None:
    """Write the snapshot; the index is locked only while it is copied, not while written."""
    index = holder.index
    with index.lock:
        arrays = _arrays(holder)
        meta = json.dumps(_meta(holder), ensure_ascii=False, default=str).encode("utf-8")
    arrays["meta"] = np.frombuffer(meta, np.uint8)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".stats-", suffix=".npz", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            np.savez(out, **arrays)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    holder.snapshot_written = time.monotonic()  # when this process last wrote it (age only)


def save_quietly(holder, path: str) -> None:
    try:
        save(holder, path)
    except OSError:
        log.exception("could not write the statistics snapshot %s", path)


def _fill(store, arrays, prefix, size, dead):
    """Adopt the loaded arrays (no copy; the first append grows them)."""
    for name in store.arrays:
        store.arrays[name] = arrays[f"{prefix}_{name}"]
    store.alive = arrays[f"{prefix}_alive"]
    if not len(store.alive):
        store.arrays = {name: np.zeros(1024, a.dtype) for name, a in store.arrays.items()}
        store.alive = np.zeros(1024, bool)
    store.size, store.dead = size, dead


def _pairs_of(array: np.ndarray, first: int):
    """Columns ``first`` and ``first + 1`` of an (n, k) array as n tuples of Python ints."""
    return zip(array[:, first].tolist(), array[:, first + 1].tolist(), strict=True)


def load_into(holder, path: str) -> bool:
    """Fill an empty holder from ``path``; False (and nothing changed) if there is none or it
    does not fit this version. Only what a query reads is made now: the dictionaries that
    applying a filing needs (spans, stamps, statuses, each county's keys) are made on first
    use. The catch-up (``feed``) applies what changed since it was written."""
    if not path or not os.path.exists(path):
        return False
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        meta = json.loads(bytes(arrays["meta"]).decode("utf-8"))
        if meta.get("format") != FORMAT:
            return False
        students = list(zip(arrays["students_uid"].tolist(),
                            _unpack_strings(arrays["students_key"], len(arrays["students_uid"])), strict=True))
        teachers = list(zip(arrays["teachers_uid"].tolist(),
                            _unpack_strings(arrays["teachers_key"], len(arrays["teachers_uid"])), strict=True))
        stamp_text = _unpack_strings(arrays["stamp_text"], len(arrays["stamps"]))
    except (OSError, ValueError, KeyError) as error:
        log.warning("statistics snapshot %s unreadable (%s): building instead", path, error)
        return False
    index = holder.index
    with index.lock:
        _fill(index.cases, arrays, "c", *[meta["sizes"][0], meta["dead"][0]])
        _fill(index.services, arrays, "s", *[meta["sizes"][1], meta["dead"][1]])
        index.unit_info = [UnitInfo(*row) for row in meta["units"]]
        index.units = Ids.from_keys([row[0] for row in meta["units"]])
        codes = index.units.keys
        index.students = Ids.from_keys(students)
        index.teachers = Ids.from_keys(teachers)
        index.student_unit = np.array(arrays["student_unit"], np.int32)
        if not len(index.student_unit):
            index.student_unit = np.zeros(1024, np.int32)
        spans, stamps, status = arrays["spans"], arrays["stamps"], arrays["status"]
        # built from whole columns with zip (in C), not a loop unpacking rows: a cold process
        # makes them on the first filing it applies, before that request's answer
        def make_spans():
            rows = zip(_pairs_of(spans, 2), _pairs_of(spans, 4), strict=True)
            return dict(zip(_pairs_of(spans, 0), rows, strict=True))

        def make_stamps():
            keys = zip([codes[uid] for uid in stamps[:, 0].tolist()], stamps[:, 1].tolist(), strict=True)
            return dict(zip(keys, stamp_text, strict=True))

        index.spans = Later(make_spans)
        index.stamps = Later(make_stamps)
        index.status = Later(lambda: dict(zip(_pairs_of(status, 0), status[:, 2].tolist(), strict=True)))
        index.generations = dict(meta["generations"])
        holder.county_sizes = dict(meta["county_sizes"])
        # a snapshot of before the per-unit counts: each changed county is walked whole once
        holder.unit_changes = {code: dict(counts) for code, counts in meta.get("unit_changes", {}).items()}
        county_of = [u.county for u in index.unit_info]

        def county_keys():
            keys: dict = {}
            uids = stamps[:, 0]  # per unit: its keys in one set update
            if not len(uids):
                return keys
            order = np.argsort(uids, kind="stable")
            sorted_uids, sorted_yms = uids[order], stamps[order, 1].tolist()
            starts = np.flatnonzero(np.r_[True, sorted_uids[1:] != sorted_uids[:-1]]).tolist() + [len(order)]
            for a, b in zip(starts[:-1], starts[1:], strict=True):
                uid = int(sorted_uids[a])
                code = codes[uid]
                keys.setdefault(county_of[uid], set()).update((code, ym) for ym in sorted_yms[a:b])
            return keys

        holder.county_keys = Later(county_keys)
        index.version += 1
        index.units_version += 1
        index._status_cache = (index.version, status[:, 0].copy(), status[:, 1].copy(), status[:, 2].copy())
        holder.loaded_snapshot = True  # not ``ready``: what changed since is applied first
        holder.saved_applied = holder.applied
    return True


def maybe_save(holder, path: str, every: float) -> threading.Thread | None:
    """Rewrite the snapshot in a thread when filings were applied since the last write and
    that write is older than ``every`` seconds (so a restart has little to catch up)."""
    if not path or holder.applied == holder.saved_applied:
        return None
    with holder.lock:
        if holder.saving or time.monotonic() - holder.snapshot_written < every:
            return None
        holder.saving = True
        applied = holder.applied

    def work():
        try:
            save_quietly(holder, path)
            holder.saved_applied = applied
        finally:
            holder.saving = False

    thread = threading.Thread(target=work, name="cgs-stats-snapshot", daemon=True)
    thread.start()
    return thread
