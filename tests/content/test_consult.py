"""線上諮詢 over HTTP: asking with and without login, the privacy rule, answering, states, mails."""
from __future__ import annotations

import re

import pytest
import webtest

from cgs_portal.content.models import content_store
from cgs_portal.workbook.normalise import PRIVACY_MESSAGE
from support import captcha_code, login, outbox


def ask_anonymously(testapp, body="請問 113 學年度的表格在哪裡下載？", *, captcha=None, email="asker@example.invalid"):
    form = testapp.get("/contact").forms["consult-form"]
    form["name"] = "陳老師"
    form["email"] = email
    form["subject"] = "表格下載"
    form["body"] = body
    form["captcha"] = captcha if captcha is not None else captcha_code(testapp)
    return form.submit("submit")


def token_of(page):
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def only_thread(portal):
    with portal() as root:
        threads = list(content_store(root).threads.items.values())
        assert len(threads) == 1
        return threads[0].id


def test_anyone_asks_with_the_captcha_and_is_mailed(testapp, world, settings, portal):
    page = ask_anonymously(testapp).follow()
    assert "已送出您的問題" in page.text
    key = only_thread(portal)
    mails = outbox(settings)
    assert mails[0]["to"] == "asker@example.invalid" and "已收到您的線上諮詢" in mails[0]["subject"]
    assert key


def test_a_wrong_captcha_is_refused(testapp, world, portal):
    page = ask_anonymously(testapp, captcha="00000")
    assert "驗證碼錯誤" in page.text
    with portal() as root:
        assert len(content_store(root).threads.items) == 0


@pytest.mark.parametrize("body", ["學生 A123456789 需要轉介", "請打 0912345678 給家長"])
def test_an_id_number_or_phone_is_refused_with_the_privacy_message(testapp, world, portal, body):
    page = ask_anonymously(testapp, body=body)
    assert PRIVACY_MESSAGE in page.text
    with portal() as root:
        assert len(content_store(root).threads.items) == 0


def test_questions_are_rate_limited(app, world):
    browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.77"})
    for _ in range(5):
        assert ask_anonymously(browser).status_int == 302
    assert "操作過於頻繁" in ask_anonymously(browser).text


def test_an_oversized_question_is_refused(testapp, world):
    assert "請在 2000 字以內" in ask_anonymously(testapp, body="問" * 2001).text


def test_no_file_can_be_attached(testapp, world):
    assert 'type="file"' not in testapp.get("/contact").text


def test_a_unit_asks_without_captcha_and_staff_answer_and_close(app, testapp, world, settings, portal):
    login(testapp, world["unit"])
    form = testapp.get("/contact").forms["consult-form"]
    assert "captcha" not in form.fields
    form["subject"] = "上傳失敗"
    form["body"] = "9 月份上傳後顯示紅色格子，該怎麼辦？"
    form.submit("submit").follow()
    key = only_thread(portal)
    assert "上傳失敗" in testapp.get("/contact").text  # listed under 我的提問
    assert "9 月份上傳後" in testapp.get(f"/consult-thread?id={key}").text

    desk = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.60"})
    login(desk, world["helpdesk"])
    assert "上傳失敗" in desk.get("/consult-desk").text
    form = desk.get(f"/consult-desk-thread?id={key}").forms["answer-form"]
    form["body"] = "請下載標示後的檔案，依註解修正後重新上傳。"
    form.submit("submit").follow()
    mails = [m for m in outbox(settings) if "已回覆" in m["subject"]]
    assert mails and mails[0]["to"] == "wang@example.invalid" and "依註解修正" in mails[0]["body"]
    assert "上傳失敗" not in desk.get("/consult-desk?state=open").text
    assert "上傳失敗" in desk.get("/consult-desk?state=answered").text
    desk.post("/consult-desk-state", {"csrf_token": token_of(desk.get("/consult-desk")), "id": key,
                                      "action": "close"})
    assert "上傳失敗" in desk.get("/consult-desk?state=closed").text
    page = testapp.get(f"/consult-thread?id={key}")
    assert "follow-up-form" not in page.text and "已結案" in page.text
    from cgs_portal.accounts.audit import entries

    with portal() as root:
        events = {e.event for e in entries(root)}
    assert {"consult.open", "consult.answer", "consult.close"} <= events


def test_an_answer_with_a_phone_number_is_refused(app, world, portal):
    browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.61"})
    ask_anonymously(browser)
    key = only_thread(portal)
    login(browser, world["admin"])
    form = browser.get(f"/consult-desk-thread?id={key}").forms["answer-form"]
    form["body"] = "請撥 02-2345-6789"
    assert PRIVACY_MESSAGE in form.submit("submit").text


def test_another_askers_thread_looks_like_none(app, testapp, world, portal):
    login(testapp, world["unit"])
    form = testapp.get("/contact").forms["consult-form"]
    form["subject"] = "我的問題"
    form["body"] = "內容"
    form.submit("submit")
    key = only_thread(portal)
    other = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.62"})
    login(other, world["other_unit"])
    other.get(f"/consult-thread?id={key}", status=404)
    other.get("/consult-thread?id=nothex", status=404)
    assert "我的問題" not in other.get("/contact").text


@pytest.mark.parametrize("role", ["unit", "county"])
def test_the_desk_is_refused_to_units_and_counties(app, world, role):
    browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.63"})
    login(browser, world[role])
    browser.get("/consult-desk", status=403)
    browser.get("/consult-desk-thread?id=00000000", status=403)
    browser.post("/consult-desk-state", {"csrf_token": token_of(browser.get("/contact")), "id": "00000000",
                                         "action": "close"}, status=403)


def test_the_desk_sends_anonymous_visitors_to_login(testapp, world):
    assert "/login" in testapp.get("/consult-desk", status=302).headers["Location"]
    assert "/login" in testapp.get("/consult-thread?id=00000000", status=302).headers["Location"]
