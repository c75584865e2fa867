"""The content and directory pages write nothing on a GET (their containers come from evolve steps)."""
from __future__ import annotations

import webtest

from support import login
from test_reads_write_nothing import last_transaction, walk

PUBLIC = ["/faq", "/faq?q=%E5%AF%86%E7%A2%BC", "/documents", "/contact", "/login", "/document?id=00000000"]
STAFF = ["/content", "/content-announcements", "/content-faq", "/content-faq-entry", "/content-faq-category",
         "/content-documents", "/content-templates", "/consult-desk", "/consult-desk?state=closed",
         "/units", "/units?q=%E7%A4%BA%E7%AF%84&county=65000", "/unit-view?code=013601",
         "/unit-edit?code=013601", "/unit-add", "/units-import"]


def test_public_content_pages_write_nothing(app, world):
    browser = webtest.TestApp(app)
    browser.get("/")
    before, after = walk(app, browser, PUBLIC)
    assert before == after


def test_back_office_content_pages_write_nothing(app, world):
    browser = webtest.TestApp(app)
    start = last_transaction(app)
    login(browser, world["admin"])
    assert last_transaction(app) != start
    before, after = walk(app, browser, PUBLIC + STAFF)
    assert before == after
