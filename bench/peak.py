"""The filing-day peak: N waitress processes on ZEO and on RelStorage, C concurrent units.

    .venv/bin/python bench/peak.py                 # 1,000 units, C=20, 1/2/4 processes, both storages
    .venv/bin/python bench/peak.py --quick         # 60 units, 1 and 2 processes
    .venv/bin/python bench/peak.py --units 300 --procs 1,2 --storages zeo

For each storage and process count: a fresh ZEO server (``runzeo``) or PostgreSQL cluster
in a temporary folder, 1,000 國小 units with one account each, N ``pserve`` processes (each
builds its app after it starts, its own ZODB client and blob cache) on loopback ports, and
C asyncio clients (httpx) replaying the 10th of the month, each unit pinned to one process
(a sticky proxy). Each unit logs in through the captcha (the test-only
``/test-captcha-code`` hook of ``cgs.testing``), opens 當期填報 and files: a valid workbook,
an invalid one fixed and uploaded again, one with warnings it confirms, 「當月無個案」, or a
5,000-row workbook; then it opens the summary. Bounded by the unit count and a deadline.

Each unit's workbook is the portal's own blank template for that unit (built once with
placeholders, the unit code and name patched in) filled with random primary-school rows;
generated workbooks are kept under ``--cache`` (default ``/tmp/cgs-peak-workbooks``, keyed
by everything they are made from), so 1,000 units take ~15 s the first time and 0.1 s after.
Before the clock starts every process is warmed up by one more unit (login, an invalid
upload, the report page), with ``CHAMELEON_CACHE`` (``--template-cache``) shared by the
processes and kept between runs. CPU seconds are read from /proc for the app processes,
the ZEO server or PostgreSQL (postmaster and backends), the client (this process) and the
whole machine (``other_sessions_cores``: what other work took from the same cores).
``--profile TOP`` prints a merged cProfile of every request (thread CPU time);
``CGS_PEAK_DIAG=1`` makes the app log its open descriptors and collector state.

Afterwards the database is read directly: every accepted upload must have its report, its
filing exactly once, its blob (SHA-256 equal to what was sent) and its aggregates, and every
refused upload nothing filed; ``lost_filings`` counts the units for which that fails.
``conflicts_retried`` sums the ConflictError retries of every process (``/test-retry-count``).
Prints one ``name value unit`` line per figure. Servers and processes are always stopped.
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import html
import io
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402
from bs4 import BeautifulSoup  # noqa: E402

from storages import servers  # noqa: E402
from storages.inventory import opened_root  # noqa: E402
from support import load_corpus  # noqa: E402

NOW = "2024-10-10T15:00:00"  # the 10th: September is due today
MONTH = "2024-09"
PASSWORD = "Counsel2024ok"
PRIMARY = (1, 2, 3, 4, 5, 6)
SECRET = "peak-bench-secret-" + "k" * 40
# One TLS context for every client (the bench speaks plain HTTP on loopback): httpx builds a
# new one per AsyncClient by default, loading the CA bundle — 64 ms of CPU per simulated unit
# on this machine, as much as the app process spent on the unit's whole filing.
TLS = ssl.create_default_context()


def emit(name, value, unit):
    print(f"{name} {value:.3f} {unit}" if isinstance(value, float) else f"{name} {value} {unit}", flush=True)


# -- units and their workbooks ------------------------------------------------------------------

@dataclass
class UnitPlan:
    code: str
    county: str
    kind: str  # valid | invalid | warnings | no_cases | big
    first: bytes | None = None  # the first upload
    final: bytes | None = None  # the upload that must be filed (None: no cases)
    rows: tuple = (0, 0)  # (cases, services) of the filed workbook
    # what the client saw
    accepted: bool = False
    error: str | None = None
    uploads_sent: int = 0


def unit_codes(n: int) -> list[tuple[str, str]]:
    """``n`` 國小 codes (4th character 6) spread over the counties' area prefixes."""
    from cgs_portal.counties import AREA_TO_COUNTY

    codes = []
    areas = sorted(AREA_TO_COUNTY)
    serial = 0
    while len(codes) < n:
        area = areas[serial % len(areas)]
        third, last = divmod(serial // len(areas), 99)
        codes.append((f"{area}{third % 10}6{last + 1:02d}", AREA_TO_COUNTY[area]))
        serial += 1
    return codes


def kind_for(i: int, big_every: int) -> str:
    if big_every and i % big_every == big_every - 1:
        return "big"
    return ("valid", "valid", "valid", "invalid", "warnings", "valid", "no_cases", "valid",
            "invalid", "warnings")[i % 10]


def workbook(corpus, code, *, cases, services, seed, mutate=None, template=None) -> bytes:
    """A filled workbook of unit ``code``: ``cases`` + ``services`` random primary-school rows."""
    case_rows = corpus.random_rows("113", "cases", cases, seed=seed, grades=PRIMARY)
    service_rows = corpus.random_rows("113", "services", services, seed=seed + 1, grades=PRIMARY)
    if mutate:
        mutate(case_rows, service_rows)
    if template is None:
        return corpus.filled("113", case_rows, service_rows, unit_code=code, unit_name=f"壓測國小{code}",
                             roc_year=113, month=9, shared_strings=True)
    version = corpus.VERSIONS["113"]
    sheets = {version.sheet(key).title: (version.sheet(key).first_data_row, rows)
              for key, rows in (("cases", case_rows), ("services", service_rows))}
    return corpus.fill_template(template.for_unit(code), sheets, shared_strings=True)


class UnitTemplate:
    """The portal's blank 113 template for September, built once (openpyxl, ~0.1 s) with
    placeholders in the unit code and name cells and the titles; ``for_unit`` patches them,
    so each unit's workbook is what the portal's own 下載範本 gives that unit (~5 ms)."""

    CODE, NAME = "PEAKCODE", "PEAKNAME"

    def __init__(self, corpus):
        import zipfile

        data = corpus.build_template("113", "blank", unit_code=self.CODE, unit_name=self.NAME,
                                     roc_year=113, month=9)
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        self.parts = {info.filename: self.zip.read(info.filename) for info in self.zip.infolist()}
        self.patched = [name for name, body in self.parts.items() if self.CODE.encode() in body]
        assert self.patched, "the template has no unit code cell to patch"

    def for_unit(self, code: str) -> bytes:
        new = {name: self.parts[name].replace(self.CODE.encode(), code.encode())
               .replace(self.NAME.encode(), f"壓測國小{code}".encode()) for name in self.patched}
        return rezip(self.zip, new, level=1)  # fill_template zips again, at Excel's level


def rezip(zin, new: dict, level: int) -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, new.get(info.filename) or zin.read(info.filename))
    return buf.getvalue()


def spoil(cases, services):
    cases[0][3] = 9  # grade 9 at a primary school


def busy_teacher(cases, services):
    for row in cases:
        row[0], row[1], row[13] = "T01", 1, 20  # one teacher over 60 sessions: a warning
    for row in services:
        row[0], row[1] = "T01", 1


GENERATOR = "2"  # bump when what a plan's workbooks contain changes: the disk cache is keyed by it


def plan_units(n: int, big_every: int, big_rows: int, cache: Path | None = None) -> list[UnitPlan]:
    """Every unit's plan and workbooks; with ``cache``, workbooks are kept there as files
    keyed by everything they are made from, and read back on the next run."""
    corpus = load_corpus()
    template = None
    plans = []

    def made(code, kind, cases, services, seed, mutate) -> bytes:
        nonlocal template
        name = f"g{GENERATOR}-{code}-{kind}-{cases}-{services}-{seed}-{mutate.__name__ if mutate else 'none'}"
        path = cache / f"{name}.xlsx" if cache else None
        if path is not None and path.exists():
            return path.read_bytes()
        if template is None:
            template = UnitTemplate(corpus)
        data = workbook(corpus, code, cases=cases, services=services, seed=seed, mutate=mutate,
                        template=template)
        if path is not None:
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        return data

    if cache:
        cache.mkdir(parents=True, exist_ok=True)
    for i, (code, county) in enumerate(unit_codes(n)):
        kind = kind_for(i, big_every)
        plan = UnitPlan(code, county, kind)
        if kind == "no_cases":
            plans.append(plan)
            continue
        cases, services = (big_rows // 2, big_rows - big_rows // 2) if kind == "big" else (6 + i % 15, 4 + i % 7)
        good = made(code, kind, cases, services, i, busy_teacher if kind == "warnings" else None)
        plan.final, plan.rows = good, (cases, services)
        plan.first = made(code, kind, cases, services, i, spoil) if kind == "invalid" else good
        plans.append(plan)
    return plans


def warmup_plans(n: int, count: int) -> list[UnitPlan]:
    """``count`` more units (after the ``n`` of the day) that warm up one process each: a
    login, 當期填報, an invalid upload (refused: nothing filed, no county counter moves)
    and the report page, so that every page template is compiled before the clock starts
    (Chameleon compiles a template on its first use in a process, 0.3–1 CPU s each)."""
    corpus = load_corpus()
    template = UnitTemplate(corpus)
    plans = []
    for code, county in unit_codes(n + count)[n:]:
        plan = UnitPlan(code, county, "warmup")
        plan.first = workbook(corpus, code, cases=8, services=4, seed=1, mutate=spoil, template=template)
        plans.append(plan)
    return plans


# -- the database and the app processes ---------------------------------------------------------

def populate(uri: str, plans: list[UnitPlan], folder: Path, argon2: str = "cheapest") -> None:
    """The units and one account per unit. The password hash is made once and shared by
    every account: with argon2's cheapest parameters (as in the tests; the default) or the
    production ones (``--argon2 production``: each login then costs what it costs in
    production, ~0.23 CPU s here)."""
    import datetime as dt

    from cgs_portal import main
    from cgs_portal.accounts import passwords
    from support import add_account, add_unit, open_root

    production = passwords._hasher
    cheapest = passwords.PasswordHasher.from_parameters(passwords.CHEAPEST_PARAMETERS)
    shared_hash = (production if argon2 == "production" else cheapest).hash(PASSWORD)
    passwords._hasher = cheapest  # add_account hashes too: cheaply, the hash is replaced
    app = main({}, **app_settings(uri, folder))
    try:
        with open_root(app) as root:
            for plan in plans:
                add_unit(root, plan.code, f"壓測國小{plan.code}", "國小", plan.county)
                account = add_account(root, f"{plan.code}_p001", unit_code=plan.code, personal_id="p001",
                                      name="壓測老師", email=f"p{plan.code}@example.invalid")
                account.password_hash = shared_hash
                account.password_changed_at = dt.datetime(2024, 10, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    finally:
        passwords._hasher = production
        for db in app.registry._zodb_databases.values():
            db.close()


def app_settings(uri: str, folder: Path) -> dict:
    return {
        "zodbconn.uri": uri,
        "cgs.session_secret": SECRET,
        "cgs.testing": "true",
        "cgs.clock.now": NOW,
        "mail.debug_dir": str(folder / "mail"),
        "mail.default_sender": "cgs-portal@example.invalid",
        "cgs.public_url": "http://127.0.0.1",
        "cgs.spool_dir": str(folder / "spool"),
    }


def write_ini(folder: Path, uri: str, port: int, threads: int) -> Path:
    settings = app_settings(uri, folder)
    lines = ["[app:main]", "use = call:peak_app:main", *(f"{k} = {v}" for k, v in settings.items()),
             "", "[server:main]", "use = egg:waitress#main", f"listen = 127.0.0.1:{port}",
             f"threads = {threads}", "max_request_body_size = 16777216", "",
             "[loggers]", "keys = root, retry", "[handlers]", "keys = console", "[formatters]", "keys = generic",
             "[logger_root]", "level = WARN", "handlers = console",
             "[logger_retry]", "level = INFO", "handlers =", "qualname = cgs_portal.retry",
             "[handler_console]", "class = StreamHandler", "args = (sys.stderr,)", "level = NOTSET",
             "formatter = generic", "[formatter_generic]", "format = %(asctime)s %(levelname)s [%(name)s] %(message)s"]
    path = folder / f"app-{port}.ini"
    path.write_text("\n".join(lines) + "\n")
    return path


class Storage:
    """A fresh ZEO server or PostgreSQL database; ``client_uri(i)`` for process ``i``."""

    def __init__(self, kind: str, folder: Path):
        self.kind, self.folder = kind, folder
        if kind == "zeo":
            self.server = servers.ZEOServer(folder / "zeo", names=["1"]).start()
        else:
            self.server = servers.PostgresCluster()  # its own folder: postgres must reach it
            self.server.init().start()
            self.server.create_database("cgs_peak")

    def client_uri(self, name: str) -> str:
        client = self.folder / f"client-{name}"
        client.mkdir(parents=True, exist_ok=True)
        if self.kind == "zeo":
            return self.server.uri("1", client)
        return self.server.uri("cgs_peak", client)

    def cpu_seconds(self) -> float:
        """CPU seconds used so far by the ZEO server, or by PostgreSQL (the postmaster, the
        backends it has reaped and those still running)."""
        if self.kind == "zeo":
            return cpu_seconds(self.server.process.pid)
        postmaster = int((self.server.data / "postmaster.pid").read_text().split()[0])
        total = cpu_seconds(postmaster, children=True)
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and entry.name != str(postmaster):
                try:
                    if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                        total += cpu_seconds(int(entry.name))
                except (OSError, ValueError, IndexError):
                    continue  # a backend that just ended: its time is in the postmaster's
        return total

    def stop(self) -> None:
        if self.kind == "zeo":
            self.server.stop()
        else:
            self.server.destroy()


def start_processes(storage: Storage, n: int, folder: Path, threads: int,
                    profile_dir: Path | None = None,
                    template_cache: Path | None = None) -> list[tuple[subprocess.Popen, int]]:
    pserve = str(Path(sys.executable).parent / "pserve")
    started = []
    for i in range(n):
        port = servers.free_port()
        ini = write_ini(folder, storage.client_uri(f"proc{i}"), port, threads)
        log = open(folder / f"app-{port}.log", "wb")
        env = {**os.environ, "PYTHONPATH": str(ROOT / "bench")}
        if profile_dir is not None:
            profile_dir.mkdir(exist_ok=True)
            env["CGS_PEAK_PROFILE"] = str(profile_dir)
        if template_cache is not None:
            # Chameleon keeps the Python it compiles a template to in this folder (written
            # atomically, keyed by the template's digest): one process compiles, the others
            # and every restart load it (docs/deploy.md, "Template cache").
            template_cache.mkdir(exist_ok=True)
            env["CHAMELEON_CACHE"] = str(template_cache)
        process = subprocess.Popen([pserve, str(ini)], stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True, cwd=ROOT, env=env)
        started.append((process, port))
    for process, port in started:
        servers.wait_for_port(port, timeout=120, process=process)
    return started


def cpu_seconds(pid: int, children: bool = False) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux /proc); with ``children``
    also those of its children it has waited for."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12]) + ((int(fields[13]) + int(fields[14])) if children else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds all cores of the machine have been busy since boot (/proc/stat; every
    process of every session, not only this bench's)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def print_profile(folder: Path, top: int) -> None:
    """The app processes' merged cProfile (``peak_app``'s ``CGS_PEAK_PROFILE``)."""
    import pstats

    files = sorted(str(f) for f in folder.glob("*.pstats"))
    if not files:
        print("# profile: no statistics written", flush=True)
        return
    out = io.StringIO()
    stats = pstats.Stats(*files, stream=out)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    for line in out.getvalue().splitlines():
        if line.strip():
            print("# " + line, flush=True)


def stop_processes(started) -> None:
    for process, _port in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process, _port in started:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


# -- one simulated unit -------------------------------------------------------------------------

@dataclass
class Figures:
    uploads: list = field(default_factory=list)
    big_uploads: list = field(default_factory=list)
    logins: list = field(default_factory=list)
    errors_5xx: int = 0
    statuses: dict = field(default_factory=dict)


class Failed(Exception):
    pass


_FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S | re.I)
_TAG = re.compile(r"<(input|button)\b([^>]*)>", re.I)
_ATTR = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _attrs(text: str) -> dict:
    return {m.group(1).lower(): html.unescape(m.group(2) if m.group(2) is not None else m.group(3))
            for m in _ATTR.finditer(text)}


def form_fields(page: str, form_id: str) -> tuple[str, dict]:
    """(action, the hidden fields and the named submit button) of form ``form_id``.

    A regular expression over the portal's own markup instead of a parsed tree: the clients
    share the 2 cores with the app, and BeautifulSoup took 3.4–5.4 ms of CPU per page against
    0.1 ms (same fields on the login, month and confirm pages, checked)."""
    for match in _FORM.finditer(page):
        form = match.group(0)
        head = _attrs(form[:form.index(">")])
        if head.get("id") != form_id:
            continue
        values = {}
        button = None
        for tag in _TAG.finditer(form):
            attrs = _attrs(tag.group(2))
            if tag.group(1).lower() == "input" and attrs.get("type") == "hidden" and attrs.get("name"):
                values[attrs["name"]] = attrs.get("value", "")
            elif tag.group(1).lower() == "button" and attrs.get("name") and button is None:
                button = attrs
        if button is not None:
            values[button["name"]] = button.get("value", "")
        return head.get("action") or "", values
    raise Failed(f"no {form_id}")


async def request(client, figures, method, url, **kw):
    response = await client.request(method, url, **kw)
    figures.statuses[response.status_code] = figures.statuses.get(response.status_code, 0) + 1
    if response.status_code >= 500:
        figures.errors_5xx += 1
        raise Failed(f"{method} {url}: {response.status_code}")
    return response


async def follow(client, figures, response):
    while response.status_code in (302, 303):
        response = await request(client, figures, "GET", response.headers["location"])
    return response


async def login(client, figures, login_id):
    page = await request(client, figures, "GET", "/login")
    await request(client, figures, "GET", "/captcha.png")
    code = (await request(client, figures, "GET", "/test-captcha-code")).json()["code"]
    action, values = form_fields(page.text, "login-form")
    values.update({"login": login_id, "password": PASSWORD, "captcha": code})
    start = time.perf_counter()
    response = await follow(client, figures, await request(client, figures, "POST", action or "/login", data=values))
    figures.logins.append(time.perf_counter() - start)
    if "登出" not in response.text:
        raise Failed("login refused")


async def upload(client, figures, plan, data, page_html, big=False):
    action, values = form_fields(page_html, "upload-form")
    start = time.perf_counter()
    response = await request(client, figures, "POST", action, data=values,
                             files={"workbook": ("填報.xlsx", data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
    page = await follow(client, figures, response)
    (figures.big_uploads if big else figures.uploads).append(time.perf_counter() - start)
    plan.uploads_sent += 1
    return page


async def file_one(base_url, plan: UnitPlan, figures: Figures):
    unit_path = f"/counties/{plan.county}/{plan.code}/"
    async with httpx.AsyncClient(base_url=base_url, timeout=180, verify=TLS) as client:
        await login(client, figures, f"{plan.code}_p001")
        page = await request(client, figures, "GET", unit_path + "current")
        if plan.kind == "no_cases":
            action, values = form_fields(page.text, "no-cases-form")
            values["confirm"] = "yes"
            page = await follow(client, figures, await request(client, figures, "POST", action, data=values))
        else:
            page = await upload(client, figures, plan, plan.first, page.text, big=plan.kind == "big")
            if plan.kind == "invalid":
                if "已完成填報" in page.text or "problem-table" not in page.text:
                    raise Failed("the invalid workbook was not refused")
                page = await upload(client, figures, plan, plan.final, page.text)
            if 'id="confirm-form"' in page.text:
                action, values = form_fields(page.text, "confirm-form")
                page = await follow(client, figures, await request(client, figures, "POST", action, data=values))
        if "已完成填報" not in page.text:
            raise Failed("not filed: " + re.sub(r"\s+", " ", BeautifulSoup(page.text, "html.parser").get_text())[:200])
        plan.accepted = True
        await request(client, figures, "GET", unit_path + f"{calendar_ay()}/{MONTH}")  # the summary


def calendar_ay() -> int:
    return 113


async def warm_up(base_url, plan: UnitPlan) -> None:
    figures = Figures()
    unit_path = f"/counties/{plan.county}/{plan.code}/"
    async with httpx.AsyncClient(base_url=base_url, timeout=300, verify=TLS) as client:
        await login(client, figures, f"{plan.code}_p001")
        page = await request(client, figures, "GET", unit_path + "current")
        page = await upload(client, figures, plan, plan.first, page.text)
        if "problem-table" not in page.text:
            raise Failed("the warm-up workbook was not refused")
        await request(client, figures, "GET", unit_path + f"{calendar_ay()}/{MONTH}")


async def replay(urls: list[str], plans: list[UnitPlan], clients: int, deadline: float) -> Figures:
    figures = Figures()
    queue: asyncio.Queue = asyncio.Queue()
    for i, plan in enumerate(plans):
        queue.put_nowait((urls[i % len(urls)], plan))

    async def worker():
        while time.monotonic() < deadline:
            try:
                url, plan = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            try:
                await asyncio.wait_for(file_one(url, plan, figures), timeout=max(1.0, deadline - time.monotonic()))
            except (TimeoutError, Failed, httpx.HTTPError, KeyError, ValueError) as failed:
                plan.error = f"{type(failed).__name__}: {failed}"

    await asyncio.gather(*(worker() for _ in range(clients)))
    return figures


# -- reading the database afterwards ------------------------------------------------------------

def verify(uri: str, plans: list[UnitPlan]) -> tuple[int, int, list[str]]:
    """(lost filings, filings the clients did not see, problems) from the database itself."""
    lost, unseen, problems = 0, 0, []
    with opened_root(uri) as root:
        counties = root["counties"]
        generations = {code: county.filing_generation() for code, county in counties.items()}
        filed_per_county: dict = {}
        for plan in plans:
            unit = counties[plan.county][plan.code]
            report = unit.report(2024, 9)
            filings = list(report.filings) if report is not None else []
            ok, why = check_report(plan, report, filings)
            if filings:
                filed_per_county[plan.county] = filed_per_county.get(plan.county, 0) + len(filings)
            if plan.accepted and not ok:
                lost += 1
                problems.append(f"{plan.code} {plan.kind}: {why}")
            elif not plan.accepted and filings:
                unseen += 1  # filed, but the client gave up before seeing it (a timeout)
                if not ok:
                    lost += 1
                    problems.append(f"{plan.code} {plan.kind} (not seen): {why}")
        for county, count in filed_per_county.items():
            if generations[county] != count:
                problems.append(f"county {county}: generation {generations[county]} != {count} filings")
                lost += 1
    return lost, unseen, problems


def check_report(plan: UnitPlan, report, filings) -> tuple[bool, str]:
    if report is None:
        return False, "no report"
    if len(filings) != 1:
        return False, f"{len(filings)} filings"
    filing = report.filing
    if plan.kind == "no_cases":
        return (filing.kind == "no_cases", "kind " + filing.kind)
    filed = [u for u in report.uploads if u.status == "filed"]
    if len(filed) != 1 or filed[0].number != filing.upload_number:
        return False, "filed upload mismatch"
    from storages.inventory import blob_sha256

    if blob_sha256(filed[0].blob) != hashlib.sha256(plan.final).hexdigest():
        return False, "blob differs"
    counts = filing.counts
    if (counts.get("cases"), counts.get("services")) != plan.rows or len(filing.rows.cases) != plan.rows[0]:
        return False, f"aggregates {counts} != {plan.rows}"
    refused = [u for u in report.uploads if u.status == "refused"]
    if plan.kind == "invalid" and len(refused) != 1:
        return False, f"{len(refused)} refused uploads"
    return True, ""


_RETRIED = re.compile(r"retrying (\w+) (\S+) after conflict .*?class ([\w.]+)")


def conflicts_by_class(folder: Path) -> dict:
    """{(request, class of the conflicting object): count} from the app processes' logs
    (``cgs_portal.retry`` logs every retry), e.g. ``("POST upload", "BTrees.OOBTree.OOBTree")``."""
    out: dict = {}
    for log in folder.glob("app-*.log"):
        for m in _RETRIED.finditer(log.read_text(errors="replace")):
            key = (f"{m.group(1)} {m.group(2).rstrip('/').rsplit('/', 1)[-1]}", m.group(3))
            out[key] = out.get(key, 0) + 1
    return out


# -- one configuration --------------------------------------------------------------------------

def percentile(values, q):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def retry_counts(ports) -> dict:
    total: dict = {}
    for port in ports:
        counts = httpx.get(f"http://127.0.0.1:{port}/test-retry-count", timeout=30).json()["retries"]
        for kind, n in counts.items():
            total[kind] = total.get(kind, 0) + n
    return total


async def warm_all(urls, warmups) -> None:
    await asyncio.gather(*(warm_up(url, plan) for url, plan in zip(urls, warmups, strict=False)))


def run(kind: str, procs: int, plans: list[UnitPlan], warmups: list[UnitPlan], args) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"cgs-peak-{kind}-{procs}-"))
    print(f"# {kind} with {procs} process(es) in {folder}", flush=True)
    for plan in plans:
        plan.accepted, plan.error, plan.uploads_sent = False, None, 0
    storage = started = None
    setup_started = time.monotonic()
    try:
        storage = Storage(kind, folder)
        populate(storage.client_uri("setup"), plans + warmups, folder, args.argon2)
        profile_dir = folder / "profile" if args.profile else None
        started = start_processes(storage, procs, folder, args.threads, profile_dir,
                                  Path(args.template_cache) if args.template_cache else None)
        urls = [f"http://127.0.0.1:{port}" for _p, port in started]
        started_cpu = sum(cpu_seconds(p.pid) for p, _port in started)
        asyncio.run(warm_all(urls, warmups))
        setup_s = time.monotonic() - setup_started
        cpu_before = sum(cpu_seconds(p.pid) for p, _port in started)
        warmup_cpu = cpu_before - started_cpu
        server_before = storage.cpu_seconds()
        client_before = time.process_time()
        machine_before = machine_busy_seconds()
        load_before = os.getloadavg()[0]
        begin = time.monotonic()
        figures = asyncio.run(replay(urls, plans, args.clients, begin + args.deadline))
        elapsed = time.monotonic() - begin
        app_cpu = sum(cpu_seconds(p.pid) for p, _port in started) - cpu_before
        client_cpu = time.process_time() - client_before
        machine_cpu = machine_busy_seconds() - machine_before
        server_cpu = storage.cpu_seconds() - server_before
        load = (load_before + os.getloadavg()[0]) / 2
        retries = retry_counts([port for _p, port in started])
        stop_processes(started)
        started = None
        if profile_dir is not None:
            print_profile(profile_dir, args.profile)
        lost, unseen, problems = verify(storage.client_uri("verify"), plans)
        conflict_kinds = conflicts_by_class(folder)
    finally:
        if started:
            stop_processes(started)
        if storage is not None:
            storage.stop()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    filed = sum(1 for p in plans if p.accepted)
    cut = [p for p in plans if p.error and p.error.startswith("TimeoutError")]  # in flight at the deadline
    failed = [p for p in plans if p.error and p not in cut]
    tag = f"{kind}_{procs}proc"
    out = {
        f"filings_per_min_{tag}": (filed / (elapsed / 60), "filings/min"),
        f"filed_{tag}": (filed, f"of {len(plans)} units in {elapsed:.0f} s"),
        f"upload_p50_s_{tag}": (percentile(figures.uploads, 0.5), "s"),
        f"upload_p95_s_{tag}": (percentile(figures.uploads, 0.95), "s"),
        f"upload_p95_5000rows_s_{tag}": (percentile(figures.big_uploads, 0.95), "s"),
        f"login_p95_s_{tag}": (percentile(figures.logins, 0.95), "s"),
        f"app_cpu_s_per_filing_{tag}": (app_cpu / max(filed, 1), "CPU s"),
        f"setup_s_{tag}": (setup_s, "s (storage, 1 unit + account per unit, processes, warm-up)"),
        f"app_cpu_s_warmup_per_process_{tag}": (warmup_cpu / procs, "CPU s (templates compiled or loaded from CHAMELEON_CACHE; not counted above)"),
        f"app_cpu_s_{tag}": (app_cpu, f"CPU s (all {procs} app processes, {app_cpu / elapsed:.2f} cores)"),
        f"{kind}_server_cpu_s_{tag}": (server_cpu, f"CPU s ({server_cpu / elapsed:.2f} cores)"),
        f"client_cpu_s_{tag}": (client_cpu, f"CPU s (the {args.clients} simulated units, {client_cpu / elapsed:.2f} cores)"),
        f"machine_busy_cores_{tag}": (machine_cpu / elapsed, f"cores of {os.cpu_count()} busy (all processes)"),
        f"other_sessions_cores_{tag}": ((machine_cpu - app_cpu - server_cpu - client_cpu) / elapsed,
                                        "cores busy with processes not of this bench"),
        f"load_average_{tag}": (load, f"(1-min, on {os.cpu_count()} cores)"),
        f"errors_5xx_{tag}": (figures.errors_5xx, "responses"),
        f"conflicts_retried_{tag}": (retries.get("conflict", 0), "retries"),
        f"other_retries_{tag}": (sum(v for k, v in retries.items() if k != "conflict"), "retries"),
        f"units_failed_{tag}": (len(failed), "units"),
        f"units_cut_by_deadline_{tag}": (len(cut), "units"),
        f"lost_filings_{tag}": (lost, "filings"),
        f"filed_unseen_{tag}": (unseen, "filings"),
    }
    for name, (value, unit) in out.items():
        emit(name, value, unit)
    for (what, cls), count in sorted(conflict_kinds.items(), key=lambda kv: -kv[1]):
        print(f"# conflicts retried: {count} × {what} on {cls}", flush=True)
    for plan in failed[:5]:
        print(f"# failed {plan.code} {plan.kind}: {plan.error}", flush=True)
    for problem in problems[:5]:
        print(f"# problem {problem}", flush=True)
    return {name: value for name, (value, _unit) in out.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="60 units, 1 and 2 processes")
    parser.add_argument("--units", type=int, default=None)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--procs", default=None, help="e.g. 1,2,4")
    parser.add_argument("--storages", default="zeo,relstorage")
    parser.add_argument("--deadline", type=float, default=None, help="seconds per configuration")
    parser.add_argument("--threads", type=int, default=4, help="waitress threads per process")
    parser.add_argument("--big-every", type=int, default=20, help="every n-th unit files 5,000 rows")
    parser.add_argument("--big-rows", type=int, default=5000)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    parser.add_argument("--argon2", choices=("cheapest", "production"), default="cheapest",
                        help="the accounts' password hash parameters (default: the tests' cheapest)")
    parser.add_argument("--profile", type=int, default=0, metavar="TOP",
                        help="cProfile every request of the app processes; print the TOP functions")
    parser.add_argument("--template-cache", default=str(Path(tempfile.gettempdir()) / "cgs-peak-chameleon"),
                        help="CHAMELEON_CACHE of the app processes, kept between runs ('' for none: "
                             "every process compiles every template itself)")
    parser.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "cgs-peak-workbooks"),
                        help="folder keeping the generated workbooks between runs ('' for none)")
    args = parser.parse_args(argv)
    # SIGTERM ends the bench through its finally blocks: no server or process is left behind
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args.units = args.units or (60 if args.quick else 1000)
    args.deadline = args.deadline or (120.0 if args.quick else 900.0)
    procs = [int(n) for n in (args.procs or ("1,2" if args.quick else "1,2,4")).split(",")]
    started = time.monotonic()
    print(f"# uptime before: {uptime()}", flush=True)
    plans = plan_units(args.units, args.big_every, args.big_rows, Path(args.cache) if args.cache else None)
    emit("workbooks_generated", len(plans), f"units in {time.monotonic() - started:.1f} s")
    emit("cpu_cores", os.cpu_count(), "cores")
    emit("argon2_parameters", args.argon2, "(the accounts' password hashes)")
    warmups = warmup_plans(args.units, max(procs))
    results = {}
    for kind in args.storages.split(","):
        for n in procs:
            results[(kind, n)] = run(kind, n, plans, warmups, args)
        one = results.get((kind, 1), {}).get(f"filings_per_min_{kind}_1proc")
        for n in procs:
            if n > 1 and one:
                emit(f"scaling_1_to_{n}proc_{kind}", results[(kind, n)][f"filings_per_min_{kind}_{n}proc"] / one, "x")
    print(f"# uptime after: {uptime()}", flush=True)
    emit("bench_total_s", time.monotonic() - started, "s")
    return 0


def uptime() -> str:
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    return f"{time.strftime('%H:%M:%S', time.gmtime())} UTC, load average {load}"


if __name__ == "__main__":
    sys.exit(main())
