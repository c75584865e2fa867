"""The browser fixtures of tests/browser (live server, Chromium, axe on every page), for the
reminders pages' browser test."""
from __future__ import annotations

from browser.conftest import accessibility, browser, live_server, page  # noqa: F401
