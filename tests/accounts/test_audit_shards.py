"""The audit log in shards (accounts step 7): an old database's log of one LOBTree keeps
working until the step, which moves every entry under its key; reading stays newest first."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import transaction
from BTrees.LOBTree import LOBTree

from cgs_portal.accounts import audit
from cgs_portal.evolve import evolve
from support import TAIPEI

START = dt.datetime(2024, 9, 1, 8, 0, tzinfo=TAIPEI)


def old_log(entries: int) -> LOBTree:
    """A log as accounts step 3 made it before step 7: one tree, keys with a random-like tail."""
    log = LOBTree()
    for i in range(entries):
        when = START + dt.timedelta(minutes=i)
        log[audit.key_of(when) + (i * 37) % 100] = audit.AuditEntry(when, "login.ok", f"u{i:03d}", "192.0.2.1",
                                                                     unit="013601" if i % 50 == 0 else "")
    return log


def logins(page) -> list[str]:
    return [entry.login for _key, entry in page["entries"]]


def run_evolve(app) -> list[str]:
    db = app.registry._zodb_databases[""]
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    conn = db.open(transaction_manager=tm)
    try:
        return evolve(conn.root(), app.registry, tm=tm)
    finally:
        tm.abort()
        conn.close()


def test_step_7_moves_an_old_log_into_shards_under_the_same_keys(app, portal, clock):
    with portal() as root:
        root.audit_log = old_log(300)
        root.evolved["accounts"] = 6
        before = dict(root.audit_log.items())
        # not evolved yet: the pages' search and a new entry use the one tree, as before
        assert logins(audit.search(root, limit=3)) == ["u299", "u298", "u297"]
        assert logins(audit.search(root, unit="013601", limit=10)) == ["u250", "u200", "u150", "u100", "u050", "u000"]
    assert run_evolve(app) == ["accounts 7: the audit log in shards"]
    assert run_evolve(app) == []
    with portal() as root:
        log = root.audit_log
        assert isinstance(log, audit.AuditLog) and len(log) == 300
        assert {k: e.login for k, e in log.items()} == {k: e.login for k, e in before.items()}
        assert sum(1 for tree in log.shards if len(tree)) > 40  # spread over the shards
        assert all(key % audit.SHARDS == n for n, tree in enumerate(log.shards) for key in tree.keys())
        page = audit.search(root, limit=100)
        assert logins(page) == [f"u{i:03d}" for i in range(299, 199, -1)]
        rest = audit.search(root, limit=500, before_key=page["next_key"])
        assert logins(rest) == [f"u{i:03d}" for i in range(199, -1, -1)]
        window = audit.search(root, since=START + dt.timedelta(minutes=10),
                              until=START + dt.timedelta(minutes=19, seconds=30))
        assert logins(window) == [f"u{i:03d}" for i in range(19, 9, -1)]
        assert logins(audit.search(root, unit="013601", limit=10)) == ["u250", "u200", "u150", "u100", "u050", "u000"]
        request = SimpleNamespace(clock=clock, registry=SimpleNamespace(settings={}), client_addr="192.0.2.9",
                                  headers={})
        shard = audit.writer_shard(root._p_jar)
        audit.record(request, "logout", "newest", root=root)
    with portal() as root:
        [(key, found)] = audit.search(root, limit=1)["entries"]
        assert found.login == "newest" and key % audit.SHARDS == shard
        assert key in root.audit_log and len(root.audit_log) == 301


def test_one_requests_entries_of_one_instant_keep_their_order(portal, clock):
    """Two entries of one request share its instant (login.failed then login.locked): the
    second gets the next key of the same shard, so newest first shows it above the first."""
    request = SimpleNamespace(clock=clock, registry=SimpleNamespace(settings={}), client_addr="192.0.2.9",
                              headers={})
    with portal() as root:
        for n in range(5):
            audit.record(request, "login.failed", f"try{n}", root=root)
        audit.record(request, "login.locked", "try4", root=root)
    with portal() as root:
        page = audit.search(root, limit=6)
        assert [e.event for _k, e in page["entries"]][:2] == ["login.locked", "login.failed"]
        assert logins(page) == ["try4", "try4", "try3", "try2", "try1", "try0"]


def test_connections_of_one_process_get_distinct_shards(app):
    db = app.registry._zodb_databases[""]
    managers = [transaction.TransactionManager(explicit=True) for _ in range(8)]
    connections = [db.open(transaction_manager=tm) for tm in managers]
    try:
        shards = [audit.writer_shard(conn) for conn in connections]
        assert len(set(shards)) == 8
        assert audit.writer_shard(connections[0]) == shards[0]  # stable for a connection
    finally:
        for conn in connections:
            conn.close()
