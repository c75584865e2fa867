"""Browser tests: Playwright driving Debian's /usr/bin/chromium against a live server.

The server is the real WSGI app (fresh FileStorage per test) served by waitress
on 127.0.0.1 in a background thread.

Every page any browser test loads is checked with axe-core (``axe-playwright-python``)
for WCAG 2.1 A/AA (網站無障礙規範): a ``load`` hook on every page of every context made
from the ``browser`` fixture, so a new journey joins the check without asking. Any
violation fails the test. axe is injected with ``page.evaluate``, which goes through
CDP and so is not blocked by the portal's CSP (no ``bypass_csp`` needed).
"""
from __future__ import annotations

import os
import shutil
import socket
import threading

import pytest

CHROMIUM = os.environ.get("CGS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server(app):
    """Base URL of the app served on loopback for this test."""
    from waitress.server import create_server

    port = _free_port()
    server = create_server(app, host="127.0.0.1", port=port, threads=4, clear_untrusted_proxy_headers=True)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.close()
    server.task_dispatcher.shutdown(timeout=1)
    thread.join(timeout=0.2)  # the daemon loop thread ends with the process


WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}


class AccessibilityCheck:
    """Runs axe on each loaded page and keeps the violations of one test."""

    def __init__(self, browser):
        from axe_playwright_python.sync_playwright import Axe

        self.axe = Axe()
        self.browser = browser
        self.audited: list[str] = []
        self.violations: list[str] = []
        self._scratch = None
        self._running = False

    def attach(self, page, *, javascript=True):
        page.on("load", lambda loaded: self.audit(loaded, javascript=javascript))

    def audit(self, page, *, javascript=True):
        from playwright.sync_api import Error

        for _ in range(750):  # the load hook may be mid-run in another greenlet: let it finish
            if not self._running:
                break
            page.wait_for_timeout(20)
        url = page.url
        if not url.startswith("http"):
            return
        self._running = True
        try:
            if javascript:
                response = self.axe.run(page, options=AXE_OPTIONS).response
            else:
                # axe cannot run where scripts are off: check the same markup in a scratch page.
                response = self._audit_markup(page.content(), url)
        except Error as error:
            # The page navigated on or closed while axe ran: its successor is audited on load.
            if "destroyed" in str(error) or "closed" in str(error):
                return
            raise
        finally:
            self._running = False
        self.audited.append(url)
        for violation in response["violations"]:
            nodes = [
                f"{', '.join(node['target'])}: {node.get('failureSummary', '').splitlines()[-1].strip()}"
                for node in violation["nodes"][:5]
            ]
            self.violations.append(
                f"{url}: {violation['id']} ({violation['impact']}) {violation['help']}\n    "
                + "\n    ".join(nodes)
            )

    def _audit_markup(self, html: str, url: str):
        if self._scratch is None:
            self._scratch = self.browser.new_context(locale="zh-TW", reduced_motion="reduce").new_page()
        self._scratch.set_content(html.replace("<head>", f'<head><base href="{url}">', 1))
        return self.axe.run(self._scratch, options=AXE_OPTIONS).response

    def close(self):
        if self._scratch is not None:
            self._scratch.context.close()


class AuditedContext:
    """A browser context whose pages are all audited, including the last one at close."""

    def __init__(self, context, browser):
        self._context, self._browser = context, browser

    def __getattr__(self, name):
        return getattr(self._context, name)

    def close(self):
        check = self._browser.check
        if check is not None:
            for page in self._context.pages:
                page.wait_for_load_state()
                check.audit(page, javascript=self._javascript)
        self._context.close()


class AuditedBrowser:
    """The Playwright browser, with every new context audited by the current test's check."""

    def __init__(self, browser):
        self._browser = browser
        self.check: AccessibilityCheck | None = None

    def __getattr__(self, name):
        return getattr(self._browser, name)

    def new_context(self, **options):
        # No CSS transitions: axe must not sample a colour half-way through a hover fade.
        options.setdefault("reduced_motion", "reduce")
        context = self._browser.new_context(**options)
        javascript = options.get("java_script_enabled", True)
        if self.check is not None:
            check = self.check
            context.on("page", lambda page: check.attach(page, javascript=javascript))
        audited = AuditedContext(context, self)
        audited._javascript = javascript
        return audited


@pytest.fixture(scope="session")
def browser():
    if not (shutil.which(CHROMIUM) or os.path.exists(CHROMIUM)):
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs Debian's chromium")
    from support import shared_chromium

    # One Playwright per process: modules outside tests/browser load these fixtures too, and a
    # second sync_playwright() inside the first one's loop is refused.
    yield AuditedBrowser(shared_chromium(CHROMIUM, CHROMIUM_ARGS))


@pytest.fixture(autouse=True)
def accessibility(browser):
    """Fails the test if any page it loaded breaks WCAG 2.1 A/AA (per axe-core)."""
    check = browser.check = AccessibilityCheck(browser._browser)
    yield check
    browser.check = None
    check.close()
    if not check.audited:
        pytest.fail("no page was checked for accessibility: is the load hook still attached?",
                    pytrace=False)
    if check.violations:
        pytest.fail("accessibility violations (axe, WCAG 2.1 AA):\n" + "\n".join(check.violations),
                    pytrace=False)


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-TW", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()
