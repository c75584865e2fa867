"""A test app factory (``use = call:storages.slowcommit:main``): the portal whose commits
stop for a while in their vote when the request says ``X-Test-Slow-Commit: SECONDS``.

The pause is a data manager sorted after the ZODB connection, so when it starts the storage
server already holds every object of the transaction and its vote (two-phase commit in
flight): a ``kill -9`` then is a kill in the middle of the commit. The pause writes the
file named by ``cgs.test.commit_marker`` when it starts, for the test to wait on.
"""
from __future__ import annotations

import time
from pathlib import Path

from pyramid.events import NewRequest

from cgs_portal import main as portal_main


class SlowVote:
    transaction_manager = None

    def __init__(self, seconds: float, marker: Path):
        self.seconds, self.marker = seconds, marker

    def sortKey(self):  # noqa: N802 — the IDataManager name
        return "~~~ after every storage"

    def tpc_begin(self, txn):
        pass

    def commit(self, txn):
        pass

    def tpc_vote(self, txn):
        self.marker.write_text("voting")
        time.sleep(self.seconds)

    def tpc_finish(self, txn):
        pass

    def tpc_abort(self, txn):
        pass

    def abort(self, txn):
        pass


def main(global_config, **settings):
    app = portal_main(global_config, **settings)
    marker = Path(settings["cgs.test.commit_marker"])

    def join_slow_vote(event):
        seconds = event.request.headers.get("X-Test-Slow-Commit")
        if seconds and event.request.method == "POST":
            event.request.tm.get().join(SlowVote(float(seconds), marker))

    app.registry.registerHandler(join_slow_vote, (NewRequest,))
    return app
