"""The content pages over HTTP: announcements, Q&A, documents, template schedule, each with
its refusals for every other role."""
from __future__ import annotations

import datetime as dt
import re

import pytest
import webtest

from cgs_portal.content.models import content_store
from support import login

ADMIN_PAGES = ["/content", "/content-announcements", "/content-faq", "/content-faq-entry",
               "/content-faq-category", "/content-documents", "/content-templates"]
OTHER_ROLES = ["unit", "county", "helpdesk"]


def as_role(app, world, role):
    browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.50"})
    if role != "anonymous":
        assert login(browser, world[role]).status_int == 302
    return browser


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_roles_are_refused_every_content_back_office_page(app, world, role):
    browser = as_role(app, world, role)
    for path in ADMIN_PAGES:
        assert browser.get(path, status=403).status_int == 403, path
    page = browser.get("/contact")  # for the token
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    for path in ("/content-announcement-state", "/content-faq-delete", "/content-document-state",
                 "/content-templates-reset"):
        browser.post(path, {"csrf_token": token, "id": "00000000", "action": "retire"}, status=403)


def test_anonymous_is_sent_to_login_from_the_back_office(testapp, world):
    for path in ADMIN_PAGES:
        response = testapp.get(path, status=302)
        assert "/login?came_from=" in response.headers["Location"]


def test_the_seeded_announcement_is_on_the_login_page(testapp, world):
    assert "國教署業務宣導" in testapp.get("/login").text


def test_an_announcement_shows_only_in_its_window_and_until_retired(app, testapp, world, clock, portal):
    login(testapp, world["admin"])
    page = testapp.get("/content-announcements")
    form = page.forms["announcement-form"]
    form["text"] = "10 月 5 日系統維護，暫停服務"
    form["starts_on"] = "113/10/04"
    form["ends_on"] = "113/10/05"
    form["order"] = "1"
    page = form.submit("submit").follow()
    assert "已新增公告" in page.text and "尚未開始" in page.text
    anonymous = webtest.TestApp(app)
    assert "系統維護" not in anonymous.get("/login").text           # 10/03: before the window
    clock.set_now(dt.datetime(2024, 10, 4, 8, 0))
    assert "系統維護" in anonymous.get("/login").text
    clock.set_now(dt.datetime(2024, 10, 6, 8, 0))
    assert "系統維護" not in anonymous.get("/login").text           # after it
    clock.set_now(dt.datetime(2024, 10, 5, 8, 0))
    with portal() as root:
        item = next(a for a in root.announcements if "系統維護" in a.text)
        key = item.id
    edit = testapp.get(f"/content-announcement?id={key}")
    assert edit.forms["announcement-form"]["starts_on"].value == "113/10/04"
    form = edit.forms["announcement-form"]
    form["text"] = "10 月 5 日系統維護（延長）"
    form.submit("submit").follow()
    assert "系統維護（延長）" in anonymous.get("/login").text
    page = testapp.get("/content-announcements")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    testapp.post("/content-announcement-state", {"csrf_token": token, "id": key, "action": "retire"}, status=302)
    assert "系統維護" not in anonymous.get("/login").text
    from cgs_portal.accounts.audit import entries

    with portal() as root:
        details = [e.detail for e in entries(root, event="content.announcement")]
    assert any(d.startswith("下架") for d in details) and any("→" in d for d in details)


def test_a_bad_announcement_form_gets_messages_and_stores_nothing(testapp, world, portal):
    login(testapp, world["admin"])
    form = testapp.get("/content-announcements").forms["announcement-form"]
    form["text"] = "x"
    form["starts_on"] = "113/10/10"
    form["ends_on"] = "113/10/01"
    page = form.submit("submit")
    assert "結束日期不可早於開始日期" in page.text
    form = page.forms["announcement-form"]
    form["ends_on"] = "昨天"
    assert "日期格式不正確" in form.submit("submit").text
    with portal() as root:
        assert len(root.announcements) == 1
    testapp.get("/content-announcement?id=zzzz", status=404)
    testapp.get("/content-announcement?id=00000000", status=404)


def test_the_public_qa_comes_from_the_database_and_searches(testapp, world):
    page = testapp.get("/faq")
    assert "每月什麼時候要填報" in page.text and "帳號與密碼" in page.text
    page = testapp.get("/faq", params={"q": "密碼"})
    assert "忘記密碼怎麼辦" in page.text and "每月什麼時候要填報" not in page.text
    assert "找不到含「沒有這種字」的問答" in testapp.get("/faq", params={"q": "沒有這種字"}).text
    assert "50 字以內" in testapp.get("/faq", params={"q": "字" * 60}).text


def test_an_administrator_edits_the_qa(testapp, world, portal):
    login(testapp, world["admin"])
    form = testapp.get("/content-faq-category").forms["faq-category-form"]
    form["title"] = "線上諮詢"
    form["order"] = "5"
    form.submit("submit").follow()
    with portal() as root:
        category = next(c for c in content_store(root).faq.categories.values() if c.title == "線上諮詢")
        key = category.id
    form = testapp.get("/content-faq-entry").forms["faq-entry-form"]
    form["category_id"] = key
    form["question"] = "線上諮詢可以附檔嗎？"
    form["answer"] = "不可以，請以文字描述。"
    form.submit("submit").follow()
    assert "線上諮詢可以附檔嗎" in testapp.get("/faq", params={"q": "附檔"}).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', testapp.get("/content-faq").text).group(1)
    page = testapp.post("/content-faq-delete", {"csrf_token": token, "kind": "category", "id": key}).follow()
    assert "此分類仍有問答" in page.text
    with portal() as root:
        entry = next(e for e in content_store(root).faq.entries.values() if e.category_id == key)
        entry_key = entry.id
    testapp.post("/content-faq-delete", {"csrf_token": token, "kind": "entry", "id": entry_key})
    testapp.post("/content-faq-delete", {"csrf_token": token, "kind": "category", "id": key})
    assert "線上諮詢可以附檔嗎" not in testapp.get("/faq").text


def test_documents_are_uploaded_listed_by_category_downloaded_and_retired(app, testapp, world, portal):
    login(testapp, world["admin"])
    form = testapp.get("/content-documents").forms["document-form"]
    form["title"] = "系統操作手冊"
    form["category"] = "操作手冊"
    form["version"] = "v2.1"
    form["dated_on"] = "113/08/01"
    form["file"] = webtest.Upload("manual.pdf", b"%PDF-1.4 manual", "application/pdf")
    assert "已上傳文件" in form.submit("submit").follow().text
    anonymous = webtest.TestApp(app)
    page = anonymous.get("/documents")
    assert "系統操作手冊" in page.text and "v2.1" in page.text and "113/08/01" in page.text
    assert "空白表格" in page.text or "template-" in page.text  # generated templates stay listed
    link = re.search(r'href="([^"]*document\?id=[0-9a-f]{8})"', page.text).group(1)
    download = anonymous.get(link)
    assert download.body == b"%PDF-1.4 manual" and download.content_type == "application/pdf"
    key = link.rsplit("=", 1)[1]
    token = re.search(r'name="csrf_token" value="([^"]+)"', testapp.get("/content-documents").text).group(1)
    testapp.post("/content-document-state", {"csrf_token": token, "id": key, "action": "retire"})
    assert "系統操作手冊" not in anonymous.get("/documents").text
    assert "已下架" in anonymous.get(link).follow().text
    assert testapp.get(link).body == b"%PDF-1.4 manual"  # administrators still reach it


@pytest.mark.parametrize("filename,body,message", [
    ("virus.exe", b"MZ", "只能上傳這些檔案類型"),
    ("empty.pdf", b"", "檔案是空的"),
])
def test_a_refused_document_is_not_stored(testapp, world, portal, filename, body, message):
    login(testapp, world["admin"])
    form = testapp.get("/content-documents").forms["document-form"]
    form["title"] = "t"
    form["version"] = "1"
    form["dated_on"] = "113/08/01"
    form["file"] = webtest.Upload(filename, body, "application/octet-stream")
    assert message in form.submit("submit").text
    with portal() as root:
        assert len(content_store(root).documents.items) == 0


def test_a_document_form_without_a_file_or_date_says_so(testapp, world):
    login(testapp, world["admin"])
    token = re.search(r'name="csrf_token" value="([^"]+)"', testapp.get("/content-documents").text).group(1)
    page = testapp.post("/content-documents", {"csrf_token": token, "submit": "submit", "title": "t",
                                               "category": "簡報", "version": "1", "dated_on": "x"})
    assert "請選擇要上傳的檔案" in page.text and "日期格式不正確" in page.text


def test_the_template_schedule_decides_the_version_a_month_is_filed_with(testapp, world, portal):
    login(testapp, world["admin"])
    form = testapp.get("/content-templates").forms["schedule-form"]
    form["version"] = "113"
    form["academic_year"] = "112"
    form["term"] = "2"
    assert "113 學年度才公布" in form.submit("submit").text
    form = testapp.get("/content-templates").forms["schedule-form"]
    form["version"] = "113"
    form["academic_year"] = "113"
    form["term"] = "2"
    page = form.submit("submit").follow()
    assert "113學年度下學期" in page.text and "已調整" in page.text
    from cgs_portal.reporting import intake

    with portal() as root:
        unit = root["counties"]["65000"]["013601"]
        assert intake.filing_context(unit, 2024, 9).version_id == "111"
        assert intake.filing_context(unit, 2025, 2).version_id == "113"
        assert intake.version_for_month(root["counties"]["65000"]["01C001"], 2024, 9).id == "B113"
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    testapp.post("/content-templates-reset", {"csrf_token": token, "version": "113"}).follow()
    with portal() as root:
        assert intake.filing_context(root["counties"]["65000"]["013601"], 2024, 9).version_id == "113"
        from cgs_portal.accounts.audit import entries

        assert len(entries(root, event="content.templates")) == 2


def test_the_filing_page_names_the_scheduled_version(testapp, world, portal):
    with portal() as root:
        content_store(root).schedule.set_start("113", 113, 2)
    login(testapp, world["unit"])
    page = testapp.get("/counties/65000/013601/month?m=2024-09")
    assert "111學年度" in page.text
