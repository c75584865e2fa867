"""Retries: counted by kind, a conflict that never resolves ends in the zh-Hant 503 page, and
the objects every filing writes resolve concurrent commits (on every storage)."""
from __future__ import annotations

import datetime as dt

import pytest
import transaction
import webtest
from pyramid.config import Configurator
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
