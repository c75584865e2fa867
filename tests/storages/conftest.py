"""Helpers of the storage tests: filing through the pages, app processes (pserve) to kill."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from webtest import Upload

from storages import servers
from support import DEFAULT_NOW, workbook

UNIT = "/counties/65000/013601/"
ROOT = Path(__file__).resolve().parents[2]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(testapp, key, data, filename="填報.xlsx"):
    """Upload on month ``key``'s page; confirm when asked; returns the final page."""
    page = testapp.get(UNIT + "month", {"m": key})
    form = page.forms["upload-form"]
    form["workbook"] = Upload(filename, data, XLSX)
    page = form.submit().follow()
    if "confirm-form" in page.forms:
        page = page.forms["confirm-form"].submit().follow()
    return page


def no_cases(testapp, key):
    form = testapp.get(UNIT + "month", {"m": key}).forms["no-cases-form"]
    form["confirm"] = "yes"
    return form.submit().follow()


def spoiled(cases, services):
    cases[0][3] = 9  # grade 9 at a primary school: refused


def file_some_months(testapp, clock, months=((2024, 8), (2024, 9))):
    """Valid filings (one after a refused upload) and a no-cases month, as a unit does."""
    import datetime as dt

    tz = dt.timezone(dt.timedelta(hours=8))
    for i, (y, m) in enumerate(months):
        clock.set_now(dt.datetime(y, m + 1, 3, 9, tzinfo=tz) if m < 12 else dt.datetime(y + 1, 1, 3, 9, tzinfo=tz))
        key = f"{y}-{m:02d}"
        if i % 3 == 2:
            assert "已完成填報" in no_cases(testapp, key).text
            continue
        refused = upload(testapp, key, workbook(month=m, seed=10 + i, mutate=spoiled))
        assert "尚未完成填報" in refused.text
        assert "已完成填報" in upload(testapp, key, workbook(month=m, seed=10 + i, cases=4 + i)).text
    clock.set_now(dt.datetime.fromisoformat(DEFAULT_NOW).replace(tzinfo=tz))


def close_app(app):
    for db in getattr(app.registry, "_zodb_databases", {}).values():
        db.close()


# production.ini's logging: the portal's loggers and waitress's own (an exception that reached
# waitress is logged there as "Exception while serving"; ``escaped_errors`` looks for it).
LOGGING = """[loggers]
keys = root, cgs_portal, waitress

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARN
handlers = console

[logger_cgs_portal]
level = INFO
handlers =
qualname = cgs_portal

[logger_waitress]
level = INFO
handlers =
qualname = waitress

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(asctime)s %(levelname)-5.5s [%(name)s][%(threadName)s] %(message)s
"""

# What an app process's log must never hold: a bug's 500 page, the safety net's page, an
# exception that reached waitress (its own bare 500).
ESCAPED = ("unexpected error", "exception escaped the exception views", "Exception while serving")


def escaped_errors(log: str) -> list[str]:
    return [line for line in log.splitlines() if any(mark in line for mark in ESCAPED)]


def write_app_ini(folder: Path, uri: str, port: int, extra: dict | None = None,
                  server: dict | None = None) -> Path:
    """An ini for one waitress process of the test app (testing hooks on, clock pinned);
    ``server`` adds waitress settings (``[server:main]``)."""
    settings = {
        "zodbconn.uri": uri,
        "cgs.session_secret": "test-secret-" + "x" * 40,
        "cgs.testing": "true",
        "cgs.clock.now": DEFAULT_NOW,
        "mail.debug_dir": str(folder / "mail"),
        "mail.default_sender": "cgs-portal@example.invalid",
        "cgs.public_url": "http://127.0.0.1",
        "cgs.spool_dir": str(folder / "spool"),
        **(extra or {}),
    }
    lines = ["[app:main]", f"use = {settings.pop('use', 'egg:cgs_portal')}",
             *(f"{k} = {v}" for k, v in settings.items()), "",
             "[server:main]", "use = egg:waitress#main", f"listen = 127.0.0.1:{port}", "threads = 4",
             *(f"{k} = {v}" for k, v in (server or {}).items()), "",
             LOGGING]
    path = folder / f"app-{port}.ini"
    path.write_text("\n".join(lines))
    return path


class AppProcess:
    """The portal in a ``pserve`` process of its own, to be killed with SIGKILL."""

    def __init__(self, folder: Path, uri: str, extra: dict | None = None, server: dict | None = None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.uri, self.extra, self.server = uri, extra, server
        self.process = None
        self.port = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> AppProcess:
        self.port = servers.free_port()
        ini = write_app_ini(self.folder, self.uri, self.port, self.extra, self.server)
        env = {"PYTHONPATH": str(ROOT / "tests"), "PATH": "/usr/bin:/bin"}
        log = open(self.folder / f"app-{self.port}.log", "wb")
        self.process = subprocess.Popen([str(Path(sys.executable).parent / "pserve"), str(ini)], cwd=ROOT,
                                        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        servers.wait_for_port(self.port, timeout=90, process=self.process)
        return self

    def kill(self) -> None:
        """kill -9: no cleanup, no abort, no goodbye to the storage server."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(30)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def log(self) -> str:
        return "".join(p.read_text(errors="replace") for p in self.folder.glob("app-*.log"))


@pytest.fixture
def app_processes():
    """Start ``AppProcess`` es through this list; all are stopped at the end."""
    started: list[AppProcess] = []
    yield started
    for process in started:
        process.stop()


@pytest.fixture
def own_zeo(tmp_path):
    """A ZEO server of the test's own, free to be stopped, killed and restarted."""
    try:
        server = servers.ZEOServer(tmp_path / "zeo-own", names=["1"]).start()
    except servers.ServerMissing as why:
        servers.missing_server("ZEO", why)
    yield server
    server.stop()


@pytest.fixture
def own_postgres():
    """A PostgreSQL cluster of the test's own, free to be restarted."""
    try:
        cluster = servers.PostgresCluster().init()
    except servers.ServerMissing as why:
        servers.missing_server("PostgreSQL", why)
    try:
        cluster.start()
        cluster.create_database("cgs")
        yield cluster
    finally:
        cluster.destroy()


def wait_until(predicate, timeout=30.0, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


# -- a real HTTP client (httpx) for app processes -----------------------------------------------

def form_values(html: str, form_id: str) -> tuple[str, dict]:
    """The action and the hidden fields (+ the named submit button) of form ``form_id``."""
    from bs4 import BeautifulSoup

    form = BeautifulSoup(html, "html.parser").find("form", id=form_id)
    assert form is not None, f"no form {form_id}"
    values = {f["name"]: f.get("value", "") for f in form.find_all("input")
              if f.get("type") == "hidden" and f.get("name")}
    button = form.find("button", attrs={"name": True})
    if button is not None:
        values[button["name"]] = button.get("value", "")
    return form.get("action") or "", values


def http_login(client, login_id="013601_a001", password="Counsel2024ok"):
    page = client.get("/login")
    client.get("/captcha.png")
    code = client.get("/test-captcha-code").json()["code"]
    action, values = form_values(page.text, "login-form")
    values.update({"login": login_id, "password": password, "captcha": code})
    return client.post(action or "/login", data=values, follow_redirects=True)


def http_upload(client, data, unit=UNIT, key="2024-09"):
    """POST the upload form of month ``key``; confirm when asked; the final response."""
    page = client.get(unit + "month", params={"m": key})
    action, values = form_values(page.text, "upload-form")
    response = client.post(action, data=values, files={"workbook": ("填報.xlsx", data, XLSX)},
                           follow_redirects=True)
    if 'id="confirm-form"' in response.text:
        action, values = form_values(response.text, "confirm-form")
        response = client.post(action, data=values, follow_redirects=True)
    return response


def populate(uri: str, units=("013601",)) -> None:
    """Units of 新北市 (國小) with one account each (``{code}_a001``), in the database at ``uri``."""
    from cgs_portal import main
    from support import add_account, add_unit, open_root

    app = main({}, **{"zodbconn.uri": uri, "cgs.session_secret": "test-secret-" + "x" * 40,
                      "cgs.clock.now": DEFAULT_NOW})
    try:
        with open_root(app) as root:
            for code in units:
                add_unit(root, code, f"新北市立示範{code}國民小學", "國小", "65000")
                add_account(root, f"{code}_a001", unit_code=code, personal_id="a001", name="王老師",
                            email=f"t{code}@example.invalid")
    finally:
        close_app(app)
