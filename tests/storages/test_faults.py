"""Faults with real processes: kill -9 during an upload and during its commit (on ZEO and on
RelStorage/PostgreSQL), ZEO and PostgreSQL restarted under requests, the 503 page when the
storage is gone.

A filing is wholly there or wholly absent; the client gets an error it can retry, and a
retry files once; requests in flight during a storage restart are retried or get the clear
zh-Hant 503 page (never a traceback); the app reconnects without a restart.
"""
from __future__ import annotations

import hashlib
import threading
import time

import httpx
import pytest
import webtest

from cgs_portal import main
from cgs_portal.retrycount import RETRY_ATTEMPTS
from storages.conftest import (
    UNIT,
    XLSX,
    AppProcess,
    close_app,
    escaped_errors,
    form_values,
    http_login,
    http_upload,
    populate,
    wait_until,
)
from storages.inventory import blob_sha256, opened_root
from support import DEFAULT_NOW, login, workbook

BUSY = "系統暫時無法連線資料庫"


def september(uri, code="013601"):
    """(uploads, filings) of unit ``code``'s 2024-09 report: [(number, status, sha256)], [kind]."""
    with opened_root(uri) as root:
        unit = root["counties"]["65000"][code]
        report = unit.report(2024, 9)
        if report is None:
            return [], []
        return ([(u.number, u.status, blob_sha256(u.blob)) for u in report.uploads],
                [f.kind for f in report.filings])


def big_workbook():
    return workbook(cases=2500, services=2500, seed=41)


def assert_whole_or_absent(uri, data):
    uploads, filings = september(uri)
    if not uploads:
        assert filings == []  # absent: not the report, not an upload, not a filing
        return False
    assert len(uploads) == 1 and uploads[0][2] == hashlib.sha256(data).hexdigest()
    assert uploads[0][1] in ("filed", "pending") and len(filings) <= 1
    return True


def retry_files_once(process, uri, data):
    with httpx.Client(base_url=process.url, timeout=300) as client:
        assert "登出" in http_login(client).text
        page = http_upload(client, data)
        assert page.status_code == 200 and "已完成填報" in page.text
    uploads, filings = september(uri)
    assert filings == ["cases"]
    assert [u for u in uploads if u[1] == "filed"][0][2] == hashlib.sha256(data).hexdigest()


@pytest.fixture(params=["zeo", "relstorage"])
def own_storage_uri(request, tmp_path):
    """The URI of a storage server of the test's own: ZEO, then RelStorage on PostgreSQL."""
    if request.param == "zeo":
        return request.getfixturevalue("own_zeo").uri("1", tmp_path / "client")
    return request.getfixturevalue("own_postgres").uri("cgs", tmp_path / "client")


def post_in_flight(client, data, headers=None):
    """POST the upload form of 2024-09 in a thread; returns (thread, outcome)."""
    page = client.get(UNIT + "month", params={"m": "2024-09"})
    action, values = form_values(page.text, "upload-form")
    outcome = {}

    def post():
        try:
            outcome["response"] = client.post(action, data=values, headers=headers or {},
                                              files={"workbook": ("a.xlsx", data, XLSX)})
        except httpx.HTTPError as error:
            outcome["error"] = error

    sender = threading.Thread(target=post)
    sender.start()
    return sender, outcome


def kill_9_while(process, data, in_flight, headers=None):
    """Log in, send the upload, kill -9 the process once ``in_flight()`` is true; the client
    must see a broken connection (an error it can retry), not an answer."""
    with httpx.Client(base_url=process.url, timeout=300) as client:
        assert "登出" in http_login(client).text
        sender, outcome = post_in_flight(client, data, headers)
        assert wait_until(in_flight, timeout=60, step=0.02)
        process.kill()
        sender.join(60)
    assert "error" in outcome, outcome


def test_kill_9_during_an_upload(tmp_path, own_storage_uri, app_processes):
    uri = own_storage_uri
    populate(uri)
    process = AppProcess(tmp_path / "app1", uri).start()
    app_processes.append(process)
    data = big_workbook()
    spool = tmp_path / "app1" / "spool"
    # the upload is spooled and being validated: kill the process now
    kill_9_while(process, data, lambda: spool.exists() and any(spool.iterdir()))
    assert not assert_whole_or_absent(uri, data)
    restarted = AppProcess(tmp_path / "app1", uri).start()  # same spool folder
    app_processes.append(restarted)
    assert not any(spool.iterdir())  # what the killed process left is gone
    retry_files_once(restarted, uri, data)


def test_kill_9_during_the_commit(tmp_path, own_storage_uri, app_processes):
    uri = own_storage_uri
    populate(uri)
    marker = tmp_path / "voting"
    process = AppProcess(tmp_path / "app", uri, {"use": "call:storages.slowcommit:main",
                                                  "cgs.test.commit_marker": str(marker)}).start()
    app_processes.append(process)
    data = workbook(cases=6, seed=43)
    # the storage has voted (two-phase commit in flight): kill the process now
    kill_9_while(process, data, marker.exists, headers={"X-Test-Slow-Commit": "30"})
    # the server aborted the half-done commit: ZEO's transaction, PostgreSQL's (and its
    # large objects, the blobs) when the client's connection dropped
    assert not assert_whole_or_absent(uri, data)
    restarted = AppProcess(tmp_path / "app", uri).start()
    app_processes.append(restarted)
    retry_files_once(restarted, uri, data)


def hammer(url, codes, stop, seen, errors):
    """One client per unit: log in, upload, look, until ``stop``; every status is recorded."""
    books = {code: workbook(cases=5, seed=int(code[-2:]), unit_code=code, unit_name=f"新北市立示範{code}國民小學")
             for code in codes}  # made before the threads start (the corpus module loads once)

    def run(code):
        data = books[code]
        while not stop.is_set():
            try:
                with httpx.Client(base_url=url, timeout=120) as client:
                    page = http_login(client, f"{code}_a001")
                    seen.append(page.status_code)
                    if page.status_code != 200 or "登出" not in page.text:
                        errors.append((page.status_code, page.text))
                        continue
                    unit = f"/counties/65000/{code}/"
                    page = client.get(unit + "month", params={"m": "2024-09"})
                    if page.status_code == 200 and 'id="upload-form"' in page.text:
                        page = http_upload(client, data, unit=unit)
                    # once filed, the month has no upload form: the client keeps reading it
                    seen.append(page.status_code)
                    if page.status_code != 200:
                        errors.append((page.status_code, page.text))
            except (httpx.HTTPError, AssertionError) as error:
                errors.append((0, repr(error)))

    threads = [threading.Thread(target=run, args=(code,)) for code in codes]
    for thread in threads:
        thread.start()
    return threads


def noticed(process, errors) -> bool:
    """A request saw the storage gone: it was retried after a disconnect, or it got an answer."""
    return bool(errors) or "after disconnected" in process.log()


def restart_under_load(tmp_path, uri, server, app_processes, down_at_least):
    """Stop ``server`` under requests, keep it down until a request has seen it gone (and at
    least ``down_at_least`` seconds), start it again: a loaded machine cannot make the outage
    fall between requests."""
    codes = [f"0136{n:02d}" for n in range(1, 5)]
    populate(uri, codes)
    process = AppProcess(tmp_path / "app", uri, {"use": "call:storages.runningclock:main"}).start()
    app_processes.append(process)
    stop, seen, errors = threading.Event(), [], []
    threads = hammer(process.url, codes, stop, seen, errors)
    assert wait_until(lambda: len(seen) >= len(codes), timeout=120), errors  # every client is at work
    server.stop()
    down = time.monotonic()
    seen_gone = wait_until(lambda: noticed(process, errors), timeout=120)
    time.sleep(max(0.0, down_at_least - (time.monotonic() - down)))
    server.start()
    assert seen_gone, "no request saw the storage gone in 120 s"
    time.sleep(6)
    stop.set()
    for thread in threads:
        thread.join(180)
    assert seen, errors
    for status, text in errors:
        # requests in flight were retried or answered with the clear page: never a 500/traceback
        assert status == 503 and BUSY in text and "Traceback" not in text, (status, text[:500])
    retries = httpx.get(process.url + "/test-retry-count").json()["retries"]
    assert retries.get("disconnected", 0) or errors, "the restart was not noticed by any request"
    # the same process, not restarted, works again; nothing is half-written; a retry files once
    with httpx.Client(base_url=process.url, timeout=120) as client:
        assert "登出" in http_login(client, f"{codes[0]}_a001").text
    with opened_root(uri) as root:
        for code in codes:
            report = root["counties"]["65000"][code].report(2024, 9)
            if report is None:
                continue
            filed = [u for u in report.uploads if u.status == "filed"]
            assert len(report.filings) <= 1 and len(filed) == len(report.filings)
            for upload in report.uploads:
                blob_sha256(upload.blob)  # every upload recorded has its blob
    # ZODB itself logs the failed loads with their tracebacks; the portal had no unexpected
    # error, nothing reached the safety net or waitress
    assert not escaped_errors(process.log())
    return retries


def test_zeo_restarted_during_requests(tmp_path, own_zeo, app_processes):
    uri = own_zeo.uri("1", tmp_path / "client")
    # down longer than the client's wait_timeout (5 s): requests then see ClientDisconnected
    # (a shorter restart is ridden out inside ClientStorage, which waits for the server)
    restart_under_load(tmp_path, uri, own_zeo, app_processes, down_at_least=7.0)


def test_postgresql_restarted_during_requests(tmp_path, own_postgres, app_processes):
    uri = own_postgres.uri("cgs", tmp_path / "client")
    restart_under_load(tmp_path, uri, own_postgres, app_processes, down_at_least=1.0)


@pytest.fixture
def zeo_app(tmp_path, own_zeo):
    settings = {"zodbconn.uri": own_zeo.uri("1", tmp_path / "client"), "cgs.testing": "true",
                "cgs.session_secret": "test-secret-" + "x" * 40, "cgs.clock.now": DEFAULT_NOW,
                "mail.debug_dir": str(tmp_path / "mail"), "cgs.public_url": "http://localhost"}
    populate(settings["zodbconn.uri"])
    app = main({}, **settings)
    yield app, own_zeo
    close_app(app)


def test_the_storage_gone_is_a_clear_503_and_the_app_reconnects(zeo_app):
    app, server = zeo_app
    testapp = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.10"})
    server.stop()
    page = testapp.get("/login", status="*")
    form = page.forms["login-form"] if page.status_int == 200 else None
    if form is not None:  # the login page itself came from the client cache
        form["login"], form["password"], form["captcha"] = "013601_a001", "Counsel2024ok", "00000"
        page = form.submit("submit", status="*")
    assert page.status_int == 503
    assert BUSY in page.text and "Traceback" not in page.text and page.headers["Retry-After"]
    # every retry, then the page
    assert app.registry.cgs_retries.snapshot().get("disconnected") == RETRY_ATTEMPTS - 1
    server.start()
    assert wait_until(lambda: testapp.get("/", status="*").status_int == 200, timeout=30)
    assert "登出" in login(testapp, "013601_a001").follow().text
