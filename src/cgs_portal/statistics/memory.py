"""Keeping freed memory in the process between statistics queries (glibc ``mallopt``).

A national query allocates a few dozen temporary arrays of 2–8 MB and frees them. By
default glibc serves blocks that size with ``mmap`` and gives them back on ``free``, so the
next query faults every page in again (and the kernel zeroes it): measured on the national
year, a 人數 query spent a fifth to a third of its time there. Raising the mmap and trim
thresholds keeps those blocks in the heap for the next query. The price is that a process
keeps its high-water mark of free heap (bounded by ``trim_threshold``) instead of returning
it; docs/statistics.md, "Memory between queries".

Not a web module: the app calls ``keep_freed_memory`` once at start-up, the bench too.
"""
from __future__ import annotations

import ctypes
import ctypes.util

M_TRIM_THRESHOLD = -1
M_TOP_PAD = -2
M_MMAP_THRESHOLD = -3

MB = 1 << 20

_done: dict = {}


def _libc():
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
        return libc if hasattr(libc, "mallopt") else None
    except OSError:
        return None


def keep_freed_memory(mmap_threshold_mb: int = 32, trim_threshold_mb: int = 256,
                      top_pad_mb: int = 16) -> bool:
    """Tune glibc's allocator for the query temporaries; False where there is no
    ``mallopt`` (musl, macOS) or it refused a value. Calling it again with the same values
    does nothing; ``mmap_threshold_mb`` is capped at glibc's own maximum for the dynamic
    threshold (32 MB on 64-bit), which every query temporary of a national year is below."""
    wanted = (min(mmap_threshold_mb, 32), trim_threshold_mb, top_pad_mb)
    if "applied" in _done:
        return _done["applied"] == wanted
    libc = _libc()
    if libc is None:
        return False
    ok = all(libc.mallopt(option, value * MB) == 1 for option, value in (
        (M_MMAP_THRESHOLD, wanted[0]), (M_TRIM_THRESHOLD, wanted[1]), (M_TOP_PAD, wanted[2])))
    if ok:
        _done["applied"] = wanted
    return ok
