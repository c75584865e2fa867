"""Helpers shared by the test modules (import as ``support``)."""
from __future__ import annotations

import contextlib
import datetime as dt
import re
from pathlib import Path

import transaction

from cgs_portal.accounts.models import ACTIVE, Account
from cgs_portal.accounts.passwords import hash_password
from cgs_portal.evolve import APP_KEY

DEFAULT_NOW = "2024-10-03T09:00:00"  # 113學年度上學期, inside September's filing window
PASSWORD = "Counsel2024ok"
TAIPEI = dt.timezone(dt.timedelta(hours=8))


@contextlib.contextmanager
def open_root(app):
    """The portal root in a transaction of its own; committed on success."""
    db = app.registry._zodb_databases[""]
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    conn = db.open(transaction_manager=tm)
    try:
        zroot = conn.root()
        if APP_KEY not in zroot:
            from cgs_portal.evolve import bootstrap

            bootstrap(zroot, app.registry)
        yield zroot[APP_KEY]
        tm.commit()
    except BaseException:
        tm.abort()
        raise
    finally:
        conn.close()


def add_unit(root, code="013601", name="新北市立示範國民小學", level="國小", county="65000", **kw):
    from cgs_portal.resources import Unit

    county_folder = root["counties"][county]
    if code in county_folder:
        return county_folder[code]
    kw.setdefault("opened_on", dt.date(2022, 8, 1))
    return county_folder.add(code, Unit(code, name, level, county, **kw))


def add_account(root, login, role="unit", password=PASSWORD, status=ACTIVE, **kw):
    account = Account(login, role, status=status, **kw)
    account.password_hash = hash_password(password)
    account.password_changed_at = dt.datetime(2024, 9, 1, tzinfo=TAIPEI)
    root["accounts"].add_account(account)
    return account


RECENT_PASSWORD_CHANGE = dt.datetime(2025, 7, 20, tzinfo=TAIPEI)


def mark_passwords_changed(request, when=RECENT_PASSWORD_CHANGE):
    """For the areas whose tests move the clock by months (call it from an autouse fixture):
    every account of the test's ``world`` changed its password on ``when``, so the 180-day
    password gate (tested in tests/accounts) stays out of the way. A test without the
    ``world`` fixture is left alone."""
    if "world" not in request.fixturenames:
        return
    request.getfixturevalue("world")
    with request.getfixturevalue("portal")() as root:
        for account in root["accounts"].values():
            account.password_changed_at = when


def captcha_code(testapp) -> str:
    testapp.get("/captcha.png")
    return testapp.get("/test-captcha-code").json["code"]


FACTOR_PAGES = ("/login-code", "/login-enrol")


def login(testapp, login_id, password=PASSWORD, *, captcha=None, status=None):
    """Log in through the real form and captcha, and through the second step (code, or
    enrolment on an official's first login) when the account has one.

    Returns the response of the last step (a 302 to the landing page once logged in);
    ``status`` is checked against it as webtest would."""
    page = testapp.get("/login")
    form = page.forms["login-form"]
    form["login"] = login_id
    form["password"] = password
    form["captcha"] = captcha if captcha is not None else captcha_code(testapp)
    response = form.submit("submit", status="*")
    if response.status_int == 302 and response.headers["Location"].endswith(FACTOR_PAGES):
        response = pass_factor(testapp, response.follow())
    return _expect(response, status)


def pass_factor(testapp, page, code=None):
    """Submit the code (or enrolment) form of a factor page, with a valid code by default."""
    form = page.forms["factor-form"]
    form["code"] = code if code is not None else factor_code(testapp)
    return form.submit("submit", status="*")


def factor_code(testapp) -> str:
    """A valid code for the half-logged-in (or enrolling) account, from the test-only hook."""
    return testapp.get("/test-factor-code").json["code"]


def _expect(response, status):
    import webtest

    if status == "*":
        return response
    if status is None:
        ok = response.status_int < 400
    elif isinstance(status, (list, tuple)):
        ok = response.status_int in status
    else:
        ok = response.status_int == int(status)
    if not ok:
        raise webtest.AppError(f"Bad response: {response.status} (not {status})\n{response.text[:500]}")
    return response


def csrf_token(testapp) -> str:
    page = testapp.get("/logout")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def outbox(settings):
    from cgs_portal.mail import read_outbox

    return read_outbox(settings["mail.debug_dir"])


def load_corpus():
    """The hostile/realistic workbook generator ``tests/data/make_corpus.py``, loaded once."""
    import importlib.util
    import sys

    if "make_corpus" in sys.modules:
        return sys.modules["make_corpus"]
    path = Path(__file__).resolve().parent / "data" / "make_corpus.py"
    spec = importlib.util.spec_from_file_location("make_corpus", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_corpus"] = module
    spec.loader.exec_module(module)
    return module


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under tests/screenshots/ (for people to look at)."""
    folder = Path(__file__).resolve().parent / "screenshots"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def browser_login(page, base_url: str, login_id: str, password: str = PASSWORD):
    """Log in through the real page, reading the captcha (and, for an account with a second
    factor, the code) through the test-only hooks."""
    page.goto(base_url + "/login")
    page.wait_for_function("document.querySelector('img.captcha-image').complete")
    code = page.evaluate("async () => (await (await fetch('/test-captcha-code')).json()).code")
    page.fill("input[name=login]", login_id)
    page.fill("input[name=password]", password)
    page.fill("input[name=captcha]", code)
    page.click("button[name=submit]")
    page.wait_for_load_state("networkidle")
    if page.url.split("?")[0].endswith(FACTOR_PAGES):
        code = page.evaluate("async () => (await (await fetch('/test-factor-code')).json()).code")
        page.fill("#factor-form input[name=code]", code)
        page.click("#factor-form button[name=submit]")
        page.wait_for_load_state("networkidle")


def mail_link(settings, to=None, path="/confirm"):
    """The first link to ``path`` in the newest message (to ``to``, if given)."""
    for message in outbox(settings):
        if to and to not in message["to"]:
            continue
        found = re.search(r"https?://[^\s]+" + re.escape(path) + r"[^\s]*", message["body"])
        if found:
            return found.group(0)
    raise AssertionError(f"no {path} link mailed to {to or 'anyone'}")


def relative(url: str) -> str:
    """A link from a mail as a path for webtest."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def confirm_link(testapp, url, status=302):
    """Open an e-mailed confirmation link and press its 確認 button."""
    page = testapp.get(relative(url))
    return page.forms["confirm-form"].submit("confirm", status=status)


PRIMARY = (1, 2, 3, 4, 5, 6)


def workbook(roc_year=113, month=9, *, cases=5, services=4, seed=3, version="113",
             unit_code="013601", unit_name="新北市立示範光明國民小學", mutate=None) -> bytes:
    """A filled workbook for the 國小 unit 013601 (``mutate(case_rows, service_rows)`` to spoil it)."""
    corpus = load_corpus()
    case_rows = corpus.random_rows(version, "cases", cases, seed=seed, grades=PRIMARY)
    service_rows = corpus.random_rows(version, "services", services, seed=seed + 1, grades=PRIMARY)
    if mutate:
        mutate(case_rows, service_rows)
    return corpus.filled(version, case_rows, service_rows, unit_code=unit_code, unit_name=unit_name,
                         roc_year=roc_year, month=month)


def write_ini(folder, name: str = "test.ini", *, demo: bool = False,
              clock: str | None = "2024-10-03T09:00:00", extra: str = "") -> str:
    """An ini file for the console scripts: a FileStorage with blobs in ``folder``."""
    import textwrap

    lines = [
        "[app:main]",
        "use = egg:cgs_portal",
        f"zodbconn.uri = file://{folder}/Data.fs?blobstorage_dir={folder}/blobs",
        f"cgs.session_secret = {'s' * 40}",
        f"cgs.demo = {'true' if demo else 'false'}",
        *([f"cgs.clock.now = {clock}"] if clock else []),
        f"mail.debug_dir = {folder}/mail",
    ]
    path = folder / name
    path.write_text("\n".join(lines) + "\n" + textwrap.dedent(extra))
    return str(path)


_PLAYWRIGHT: dict = {}


def shared_chromium(executable: str, args: list[str]):
    """The test process's one headless Chromium (started on first use, stopped at session end
    by ``stop_shared_chromium``): every copy of the browser fixtures shares it."""
    if "browser" not in _PLAYWRIGHT:
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        _PLAYWRIGHT["playwright"] = playwright
        _PLAYWRIGHT["browser"] = playwright.chromium.launch(
            executable_path=executable, headless=True, args=args)
    return _PLAYWRIGHT["browser"]


def stop_shared_chromium():
    browser = _PLAYWRIGHT.pop("browser", None)
    playwright = _PLAYWRIGHT.pop("playwright", None)
    if browser is not None:
        browser.close()
    if playwright is not None:
        playwright.stop()


def submit_together(forms) -> list:
    """Submit every WebTest form in a thread of its own, all at once: each one's status, or the
    repr of an exception no view caught (the server's 500)."""
    import threading

    statuses = [None] * len(forms)

    def submit(i):
        try:
            statuses[i] = forms[i].submit("submit", status="*", expect_errors=True).status_int
        except Exception as error:  # an exception no view caught: the server's 500
            statuses[i] = repr(error)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(len(forms))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return statuses
