"""No exception escapes to waitress: a database gone at the first access of a logged-in
request is retried and answered by the exception views, and ``LastResort`` (the WSGI safety
net of ``main``) answers, and logs, whatever still escapes Pyramid."""
from __future__ import annotations

import logging

import pytest
from ZODB.Connection import Connection
from ZODB.POSException import ConflictError

from cgs_portal.retrycount import RETRY_ATTEMPTS
from cgs_portal.site.errors import LastResort

BUSY = "系統暫時無法連線資料庫"


def zeo_gone():
    from ZEO.Exceptions import ClientDisconnected  # a TransientError: pyramid_tm tags it retryable

    return ClientDisconnected("test: the ZEO server is gone")


def postgresql_gone():
    psycopg2 = pytest.importorskip("psycopg2")  # RelStorage's driver (the relstorage extra)
    return psycopg2.OperationalError("test: server closed the connection unexpectedly")


class FailingOpens:
    """``DB.open`` that raises ``error()`` ``times`` times, then opens normally."""

    def __init__(self, db, error, times):
        self.db, self.error, self.times, self.calls = db, error, times, 0
        self.real_open = db.open

    def __call__(self, *args, **kw):
        self.calls += 1
        if self.calls <= self.times:
            raise self.error()
        return self.real_open(*args, **kw)


@pytest.mark.parametrize("error", [zeo_gone, postgresql_gone])
@pytest.mark.parametrize("failures, status", [(1, 200), (RETRY_ATTEMPTS, 503)])
def test_a_logged_in_request_whose_database_is_gone_is_retried_then_answered(
        app, world, testapp, monkeypatch, caplog, error, failures, status):
    """The first database access of a logged-in request (its account) happens where the
    exception views answer it: retried, then the page or the zh-Hant 503 page — never an
    exception escaping to waitress. (pyramid_tm's ``annotate_user`` used to read the account
    above the exception view tween: PostgreSQL restarting gave waitress's own 500.)"""
    import cgs_portal.retrycount
    from support import login

    error()  # skips without psycopg2
    login(testapp, "013601_a001")
    monkeypatch.setattr(cgs_portal.retrycount, "DISCONNECT_PAUSES", (0,))
    opens = FailingOpens(app.registry._zodb_databases[""], error, failures)
    monkeypatch.setattr(opens.db, "open", opens)
    page = testapp.get("/", status=status)
    assert opens.calls == (failures + 1 if status == 200 else RETRY_ATTEMPTS)
    assert app.registry.cgs_retries.snapshot().get("disconnected") == min(failures, RETRY_ATTEMPTS - 1)
    if status == 503:
        assert BUSY in page.text and page.headers["Retry-After"]
    else:
        assert "登出" in page.text
    assert not [r for r in caplog.records if r.levelname == "ERROR"]



def escaped(caplog):
    return [r for r in caplog.records if r.name == "cgs_portal.errors" and "escaped" in r.getMessage()]


def test_an_error_closing_the_connection_after_the_response_is_the_503_page(
        app, world, testapp, monkeypatch, caplog):
    """pyramid_zodbconn closes the connection in a finished callback, after the exception
    views: what it raises there reaches LastResort, which answers and logs it."""
    psycopg2 = pytest.importorskip("psycopg2")
    real_close = Connection.close

    def close(self, *args, **kw):
        real_close(self, *args, **kw)
        raise psycopg2.InterfaceError("test: connection already closed")

    monkeypatch.setattr(Connection, "close", close)
    page = testapp.get("/", status=503)
    monkeypatch.undo()
    assert BUSY in page.text and page.headers["Retry-After"] and "Traceback" not in page.text
    assert page.headers["Content-Security-Policy"] and page.headers["Cache-Control"] == "no-store"
    [record] = escaped(caplog)
    assert record.levelno == logging.ERROR and record.exc_info[0] is psycopg2.InterfaceError
    assert testapp.get("/", status=200)


def call(app, environ=None):
    calls = []

    def start_response(status, headers, exc_info=None):
        if calls and calls[-1][2] is None and exc_info is None:
            raise AssertionError("start_response called twice without exc_info")
        calls.append((status, dict(headers), exc_info))

    body = b"".join(app({"REQUEST_METHOD": "POST", "PATH_INFO": "/x", "SCRIPT_NAME": "/cgs",
                         **(environ or {})}, start_response))
    return calls, body.decode()


def raising(error, start=False):
    def app(environ, start_response):
        if start:
            start_response("200 OK", [("Content-Type", "text/plain")])
        raise error

    return app


def raised_in_tpc_finish():
    """An error as a storage raises it in the second phase of the commit."""
    def tpc_finish():
        raise OSError("test: the storage failed after every resource voted")

    try:
        tpc_finish()
    except OSError as error:
        return error


@pytest.mark.parametrize("error, status, title, retry_after", [
    (ConflictError("test"), "503 Service Unavailable", "系統忙碌中", "5"),
    (RuntimeError("test: a bug above the exception views"), "500 Internal Server Error",
     "系統發生未預期的錯誤", None),
    (raised_in_tpc_finish(), "503 Service Unavailable", "無法確認資料是否已儲存", None),
], ids=["conflict", "bug", "after-vote"])
def test_last_resort_answers_and_logs_what_escaped(caplog, error, status, title, retry_after):
    calls, body = call(LastResort(raising(error), hsts=True))
    [(answered, headers, exc_info)] = calls
    assert answered == status and title in body and "Traceback" not in body
    assert 'href="/cgs/"' in body and headers.get("Retry-After") == retry_after
    assert headers["Strict-Transport-Security"] and headers["Content-Length"] == str(len(body.encode()))
    [record] = escaped(caplog)
    assert record.exc_info[1] is error and "POST /cgs/x" in record.getMessage()


def test_last_resort_replaces_headers_not_yet_sent(caplog):
    from ZEO.Exceptions import ClientDisconnected

    calls, body = call(LastResort(raising(ClientDisconnected("test"), start=True)))
    assert [c[0] for c in calls] == ["200 OK", "503 Service Unavailable"]
    assert calls[1][2][0] is ClientDisconnected  # exc_info: the server may replace the headers
    assert BUSY in body and calls[1][1]["Retry-After"] == "30"


def test_last_resort_passes_answers_through_untouched(caplog):
    def fine(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    assert call(LastResort(fine)) == ([("200 OK", {"Content-Type": "text/plain"}, None)], "ok")
    assert not escaped(caplog)
