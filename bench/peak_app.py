"""bench/peak.py's app factory (``use = call:peak_app:main``): the portal on a clock that
starts at ``cgs.clock.now`` and then runs, as the 10th of the month does.

A pinned clock gives every request the same instant, so the audit log's time-ordered keys
(microseconds + a random part) collide far more often than on a real day.
"""
from __future__ import annotations

import datetime as dt
import time

from cgs_portal import main as portal_main
from cgs_portal.clock import Clock


class RunningClock(Clock):
    def __init__(self, start: dt.datetime):
        super().__init__(start)
        self._started = time.monotonic()

    def now(self) -> dt.datetime:
        return super().now() + dt.timedelta(seconds=time.monotonic() - self._started)


def main(global_config, **settings):
    app = portal_main(global_config, **settings)
    app.registry.cgs_clock = RunningClock(app.registry.cgs_clock.now())
    return app
