"""Retries: counted by kind, a conflict that never resolves ends in the zh-Hant 503 page, and
the objects every filing writes resolve concurrent commits (on every storage)."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
import transaction
import webtest
from pyramid.config import Configurator
from transaction.interfaces import NoTransaction
from ZODB.POSException import ConflictError

from cgs_portal.evolve import APP_KEY
from cgs_portal.resources import PortalRoot
from cgs_portal.retrycount import RETRY_ATTEMPTS, RetryCounter, kind_of, pause_before_retry
from support import add_unit, open_root


def test_kinds_of_retry():
    from ZEO.Exceptions import ClientDisconnected
    from ZODB.POSException import ReadConflictError

    assert kind_of(ConflictError()) == "conflict" and kind_of(ReadConflictError()) == "conflict"
    assert kind_of(ClientDisconnected()) == "disconnected"
    counter = RetryCounter()
    counter.add("conflict")
    counter.add("conflict")
    assert counter.snapshot() == {"conflict": 2}


def test_pauses_before_a_retry():
    """A disconnect waits longer each time; a conflict waits a random moment that grows with
    the attempt (requests that collided on one bucket do not collide again at once)."""
    assert [pause_before_retry("disconnected", n) for n in range(5)] == [0.5, 1.5, 3.0, 3.0, 3.0]
    for attempt in range(4):
        pauses = {pause_before_retry("conflict", attempt) for _ in range(50)}
        assert all(0 <= p <= 0.05 * (attempt + 1) for p in pauses) and len(pauses) > 40
    assert pause_before_retry("OSError", 0) == 0.0


def always_conflicting(request):
    request.registry.conflict_calls = getattr(request.registry, "conflict_calls", 0) + 1
    raise ConflictError("test: a conflict that never resolves")


def test_a_conflict_after_the_last_retry_is_the_busy_page(settings):
    """Mounted as a plugin (``config.include('cgs_portal')``) with one more view."""
    from cgs_portal.resources.root import root_factory

    with Configurator(settings=settings) as config:
        config.include("cgs_portal")
        config.set_root_factory(root_factory)
        config.add_view(always_conflicting, context=PortalRoot, name="conflict", permission="site.view")
    app = config.make_wsgi_app()
    try:
        page = webtest.TestApp(app).get("/conflict", status=503)
        assert "系統忙碌中" in page.text and "沒有儲存任何資料" in page.text
        assert "Traceback" not in page.text and page.headers["Retry-After"]
        assert app.registry.conflict_calls == RETRY_ATTEMPTS
        assert app.registry.cgs_retries.snapshot() == {"conflict": RETRY_ATTEMPTS - 1}
    finally:
        for db in app.registry._zodb_databases.values():
            db.close()


@pytest.mark.all_storages
def test_filings_of_one_county_commit_concurrently(app):
    """Two units of one county file at once, in two connections: both commit, no ConflictError
    (the county's filing generation is a BTrees.Length; each filing writes its own unit)."""
    with open_root(app) as root:
        add_unit(root, "013601", "新北市立示範光明國民小學", "國小", "65000")
        add_unit(root, "013602", "新北市立示範仁愛國民小學", "國小", "65000")
        generation = root["counties"]["65000"].filing_generation()
    db = app.registry._zodb_databases[""]
    now = dt.datetime(2024, 10, 3, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    managers, connections = [], []
    for code in ("013601", "013602"):
        tm = transaction.TransactionManager(explicit=True)
        tm.begin()
        conn = db.open(transaction_manager=tm)
        unit = conn.root()[APP_KEY]["counties"]["65000"][code]
        unit.report(2024, 9, create=True).file_no_cases(f"{code}_a001", now, now.date())
        managers.append(tm)
        connections.append(conn)
    for tm in managers:
        tm.commit()  # the second commit resolves the Length instead of raising
    for conn in connections:
        conn.close()
    with open_root(app) as root:
        county = root["counties"]["65000"]
        assert county.filing_generation() == generation + 2
        assert all(county[c].report(2024, 9).filing.kind == "no_cases" for c in ("013601", "013602"))


def append_rounds(app, root_of, rounds: int, writers: int = 4) -> list:
    """``rounds`` times: ``writers`` connections each record a login in the audit log, then
    all commit. Returns the connections' shards; a ConflictError propagates."""
    from cgs_portal.accounts import audit

    db = app.registry._zodb_databases[""]
    request = SimpleNamespace(clock=app.registry.cgs_clock, registry=app.registry,
                              client_addr="192.0.2.1", headers={})
    managers = [transaction.TransactionManager(explicit=True) for _ in range(writers)]
    connections = []
    for tm in managers:
        tm.begin()
        connections.append(db.open(transaction_manager=tm))
    try:
        shards = [audit.writer_shard(conn) for conn in connections]
        for n in range(rounds):
            if n:
                for tm in managers:
                    tm.begin()
            for i, conn in enumerate(connections):
                audit.record(request, "login.ok", f"w{i}-{n:03d}", root=root_of(conn))
            for tm in managers:
                tm.commit()
        return shards
    finally:
        for tm, conn in zip(managers, connections, strict=True):
            try:
                tm.abort()
            except NoTransaction:  # committed
                pass
            conn.close()


@pytest.mark.all_storages
def test_audit_records_of_concurrent_transactions_commit_through_bucket_splits(app):
    """Four connections append to the audit log at once, round after round, until every tree
    they write has split its bucket (an LOBTree bucket holds 120 keys): each connection has a
    shard of its own, every commit succeeds, and the log reads back newest first. The same
    rounds on the log of one tree (a database before accounts step 7) raise ConflictError at
    the first split."""
    from BTrees.LOBTree import LOBTree

    from cgs_portal.accounts import audit

    with open_root(app) as root:
        assert isinstance(root.audit_log, audit.AuditLog)
        before = len(root.audit_log)
    rounds = LOBTree.max_leaf_size + 5
    shards = append_rounds(app, lambda conn: conn.root()[APP_KEY], rounds)
    assert len(set(shards)) == len(shards)
    with open_root(app) as root:
        log = root.audit_log
        assert len(log) == before + 4 * rounds
        assert all(len(log.shards[s]) > LOBTree.max_leaf_size for s in shards)
        page = audit.search(root, event="login.ok", limit=4 * rounds)
        keys = [key for key, _entry in page["entries"]]
        assert keys == sorted(keys, reverse=True) and len(keys) == 4 * rounds
        for i in range(4):  # each writer's entries newest first: its rounds in reverse
            mine = [e.login for _k, e in page["entries"] if e.login.startswith(f"w{i}-")]
            assert mine == [f"w{i}-{n:03d}" for n in reversed(range(rounds))]
        root.legacy_log = LOBTree()
    with pytest.raises(ConflictError):
        append_rounds(app, lambda conn: SimpleNamespace(audit_log=conn.root()[APP_KEY].legacy_log), rounds)


def second_phase_error(storage: str) -> Exception:
    """What each storage's client raises when its connection drops in tpc_finish: ZEO's
    ClientDisconnected, psycopg2's OperationalError (RelStorage sends PostgreSQL its COMMIT
    there); for FileStorage an OSError (a disk that failed), which no view expects."""
    if storage == "zeo":
        from ZEO.Exceptions import ClientDisconnected

        return ClientDisconnected("test: the answer to tpc_finish was lost")
    if storage == "relstorage":
        import psycopg2

        return psycopg2.OperationalError("test: server closed the connection unexpectedly")
    return OSError("test: the disk failed in tpc_finish")


@pytest.mark.all_storages
@pytest.mark.parametrize("committed", [True, False], ids=["committed", "not-committed"])
def test_a_commit_failing_in_tpc_finish_is_not_retried_and_says_it_may_be_saved(
        app, testapp, world, storage, committed, monkeypatch, caplog):
    """A filing whose commit fails in the second phase of the two-phase commit, after the
    database committed (the connection dropped before the answer) or before: not retried (a
    retry would run the filing again on a database that may hold it), and the 503 page says
    the data may have been saved and to check the month's page; nothing written twice."""
    from support import login

    db = app.registry._zodb_databases[""]
    storage_class = type(db.storage)
    real_finish = storage_class.tpc_finish
    finishes = []

    def finish_then_fail(self, *args, **kw):
        finishes.append(args[0])
        if len(finishes) > 1 or not armed:
            return real_finish(self, *args, **kw)
        if committed:
            real_finish(self, *args, **kw)
        raise second_phase_error(storage)

    armed = False
    monkeypatch.setattr(storage_class, "tpc_finish", finish_then_fail)
    login(testapp, world["unit"])
    form = testapp.get("/counties/65000/013601/month", {"m": "2024-09"}).forms["no-cases-form"]
    form["confirm"] = "yes"
    finishes.clear()
    armed = True
    page = form.submit(status=503)
    armed = False
    assert "資料可能已經儲存" in page.text and "填報頁面" in page.text
    assert "沒有儲存任何資料" not in page.text and "Retry-After" not in page.headers
    assert len(finishes) == 1  # one attempt: not retried
    assert app.registry.cgs_retries.snapshot() == {}
    assert "failed in tpc_finish" in caplog.text
    month = testapp.get("/counties/65000/013601/month", {"m": "2024-09"})
    with open_root(app) as root:
        report = root["counties"]["65000"]["013601"].report(2024, 9)
        filings = list(report.filings) if report is not None else []
    if committed:
        assert [f.kind for f in filings] == ["no_cases"] and "已完成填報" in month.text
    else:
        assert filings == [] and "no-cases-form" in month.forms
