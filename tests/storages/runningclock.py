"""A test app factory (``use = call:storages.runningclock:main``): the portal on a clock that
starts at ``cgs.clock.now`` and then runs, as a real filing day's does.

On the pinned clock of the other tests every request has the same instant, so the login's
audit log keys (time-ordered) collide and concurrent logins conflict far more often than on
a real day: under the restart tests' four clients a login then failed its three attempts
with the 「系統忙碌中」 page, which is not what those tests look at. (``bench/peak_app.py``
does the same for the peak bench.)
"""
from __future__ import annotations

from cgs_portal import main as portal_main
from cgs_portal.clock import RunningClock


def main(global_config, **settings):
    app = portal_main(global_config, **settings)
    app.registry.cgs_clock = RunningClock(app.registry.cgs_clock.now())
    return app
