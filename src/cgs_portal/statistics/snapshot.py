"""A local snapshot file of the statistics index, so a cold process answers within a second.

The file (setting ``cgs.stats_snapshot``) is one ``.npz``: the column arrays, and the
dictionaries (units, student and teacher keys, spans, ledger stamps, county generations)
as JSON in a byte array. No pickle (``allow_pickle=False``): a snapshot is data, never
code. It is only a cache: after loading, ``feed.refresh`` diffs every county's ledger
against the stamps in it and applies what changed since it was written, so a stale or
old snapshot gives the same answers, only later. Written atomically (temp file + rename)
after a background build and by ``save``.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
import time

import numpy as np

from .index import UnitInfo

log = logging.getLogger(__name__)

FORMAT = 1


def _meta(holder) -> dict:
    index = holder.index
    return {
        "format": FORMAT,
        "sizes": [index.cases.size, index.services.size],
        "dead": [index.cases.dead, index.services.dead],
        "units": [[u.code, u.name, u.county, u.level, u.family, u.opened_ym, u.closed_ym]
                  for u in index.unit_info],
        "students": [[uid, key] for uid, key in index.students.keys],
        "teachers": [[uid, key] for uid, key in index.teachers.keys],
        "spans": [[uid, ym, list(c), list(s)] for (uid, ym), (c, s) in index.spans.items()],
        "stamps": [[code, ym, stamp] for (code, ym), stamp in index.stamps.items()],
        "status": [[uid, ym, st] for (uid, ym), st in index.status.items()],
        "generations": index.generations,
        "county_sizes": holder.county_sizes,
    }


def save(holder, path: str) -> None:
    index = holder.index
    with index.lock:
        arrays = {f"c_{k}": index.cases.view(k) for k in index.cases.arrays}
        arrays.update({f"s_{k}": index.services.view(k) for k in index.services.arrays})
        arrays["c_alive"] = index.cases.live()
        arrays["s_alive"] = index.services.live()
        arrays["student_unit"] = index.student_unit[: len(index.students)]
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
    store._reserve(size)
    for name in store.arrays:
        store.arrays[name][:size] = arrays[f"{prefix}_{name}"]
    store.alive[:size] = arrays[f"{prefix}_alive"]
    store.size, store.dead = size, dead


def load_into(holder, path: str) -> bool:
    """Fill an empty holder from ``path``; False (and nothing changed) if there is none or it
    does not fit this version. The caller's next ``refresh`` applies what changed since."""
    if not path or not os.path.exists(path):
        return False
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        meta = json.loads(bytes(arrays["meta"]).decode("utf-8"))
        if meta.get("format") != FORMAT:
            return False
    except (OSError, ValueError, KeyError) as error:
        log.warning("statistics snapshot %s unreadable (%s): building instead", path, error)
        return False
    index = holder.index
    with index.lock:
        _fill(index.cases, arrays, "c", *[meta["sizes"][0], meta["dead"][0]])
        _fill(index.services, arrays, "s", *[meta["sizes"][1], meta["dead"][1]])
        for row in meta["units"]:
            index.units(row[0])
            index.unit_info.append(UnitInfo(*row))
        for uid, key in meta["students"]:
            index.students((uid, key))
        for uid, key in meta["teachers"]:
            index.teachers((uid, key))
        index.student_unit = np.array(arrays["student_unit"], np.int32)
        if not len(index.student_unit):
            index.student_unit = np.zeros(1024, np.int32)
        index.spans = {(uid, ym): (tuple(c), tuple(s)) for uid, ym, c, s in meta["spans"]}
        index.stamps = {(code, ym): stamp for code, ym, stamp in meta["stamps"]}
        index.status = {(uid, ym): st for uid, ym, st in meta["status"]}
        index.generations = dict(meta["generations"])
        holder.county_sizes = dict(meta["county_sizes"])
        keys: dict = {}
        for code, ym in index.stamps:
            county = index.unit_info[index.units.ids[code]].county if code in index.units.ids else None
            if county is not None:
                keys.setdefault(county, set()).add((code, ym))
        holder.county_keys = keys
        index.version += 1
        holder.ready = True
    return True
