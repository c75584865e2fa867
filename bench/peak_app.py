"""bench/peak.py's app factory (``use = call:peak_app:main``): the portal on a clock that
starts at ``cgs.clock.now`` and then runs, as the 10th of the month does.

A pinned clock gives every request the same instant, so the audit log's time-ordered keys
(microseconds + a random part) collide far more often than on a real day.

With ``CGS_PEAK_PROFILE=FOLDER`` in the environment every request is run under its own
cProfile and the merged statistics are written to ``FOLDER/app-{pid}.pstats`` when the
process ends (``bench/peak.py --profile`` sets it and prints the top functions).
"""
from __future__ import annotations

import atexit
import cProfile
import os
import pstats
import signal
import sys
import threading
import time

from cgs_portal import main as portal_main
from cgs_portal.clock import RunningClock


class Profiled:
    """WSGI middleware: one cProfile per request (waitress runs requests in threads; a
    profiler sees only its own thread), merged into one ``pstats.Stats`` per process.
    Timed by the thread's CPU clock: waits for a lock, the storage or the network cost
    nothing, so the figures add up to the process's CPU seconds."""

    def __init__(self, app, folder: str):
        self.app, self.lock, self.stats = app, threading.Lock(), None
        self.path = os.path.join(folder, f"app-{os.getpid()}.pstats")
        atexit.register(self.dump)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # run atexit on pserve's stop

    def __call__(self, environ, start_response):
        profiler = cProfile.Profile(time.thread_time)  # CPU of this request's thread, not waits
        profiler.enable()
        try:
            return list(self.app(environ, start_response))
        finally:
            profiler.disable()
            with self.lock:
                if self.stats is None:
                    self.stats = pstats.Stats(profiler)
                else:
                    self.stats.add(profiler)

    def dump(self):
        with self.lock:
            if self.stats is not None:
                self.stats.dump_stats(self.path)


def main(global_config, **settings):
    app = portal_main(global_config, **settings)
    app.registry.cgs_clock = RunningClock(app.registry.cgs_clock.now())
    folder = os.environ.get("CGS_PEAK_PROFILE")
    if os.environ.get("CGS_PEAK_DIAG"):
        app = Diagnosed(app)
    return Profiled(app, folder) if folder else app


class Diagnosed:
    """``CGS_PEAK_DIAG=1``: every 100 requests log the open file descriptors and whether the
    garbage collector is enabled (a leak of either shows here long before select() fails)."""

    def __init__(self, app):
        self.app, self.n = app, 0

    def __call__(self, environ, start_response):
        import gc
        import logging

        self.n += 1
        if self.n % 100 == 0:
            logging.getLogger("cgs_portal.retry").info(
                "diag requests=%d fds=%d gc_enabled=%s gc_count=%s", self.n,
                len(os.listdir("/proc/self/fd")), gc.isenabled(), gc.get_count())
        return self.app(environ, start_response)
