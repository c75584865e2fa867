"""The reminders pages: 稽催紀錄 and re-send, closures, mail texts, the lists; refusals."""
from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
import webtest
from openpyxl import load_workbook
from remind_helpers import TAIPEI, messages, remind

from support import add_account, add_unit, login

D = dt.date
DAY = D(2025, 10, 13)
ADMIN_PAGES = ["/reminders", "/reminders-closures", "/reminders-mails", "/reminders-missing",
               "/reminders-missing.xlsx"]
ADMIN_POSTS = ["/reminders-resend", "/reminders-closures", "/reminders-closures-remove", "/reminders-mails"]


@pytest.fixture
def admin(app, world, clock):
    clock.set_now(dt.datetime(2025, 10, 14, 9, 0, tzinfo=TAIPEI))
    browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.50"})
    login(browser, world["admin"])
    return browser


def token_of(page):
    return page.html.find("input", {"name": "csrf_token"})["value"]


@pytest.mark.parametrize("role", ["unit", "county", "helpdesk"])
def test_every_admin_page_refuses_the_other_roles(app, world, clock, role):
    clock.set_now(dt.datetime(2025, 10, 14, 9, 0, tzinfo=TAIPEI))
    browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.51"})
    login(browser, world[role])
    for path in ADMIN_PAGES:
        browser.get(path, status=403)
    token = token_of(browser.get("/account"))
    for path in ADMIN_POSTS:
        browser.post(path, {"csrf_token": token, "unit": "013601", "step": "day1", "m": "2025-09"}, status=403)


def test_anonymous_is_sent_to_login(app, world):
    browser = webtest.TestApp(app)
    for path in ADMIN_PAGES + ["/counties/65000/reminders"]:
        assert "/login" in browser.get(path, status=302).headers["Location"]


def test_history_lists_runs_and_lines_and_a_resend_is_recorded_with_who(app, admin, settings, portal):
    remind(app, DAY)
    page = admin.get("/reminders")
    assert "每月11日 未填報提醒" in page.text and "114年9月" in page.text
    run_link = page.html.find("table", id="runs").find("a")["href"]
    lines = admin.get(run_link)
    assert "無法通知" in lines.text and "尚無帳號" in lines.text and "wang@example.invalid" in lines.text
    only = admin.get(run_link + "&status=unreachable").html.find("table", id="run-lines").text
    assert "尚無帳號" in only and "wang@example.invalid" not in only
    before = len(messages(settings))
    form = admin.get("/reminders").forms["resend-form"]
    form["unit"], form["step"], form["m"] = "013601", "day11", "2025-09"
    done = form.submit("submit").follow()
    assert "已寄出" in done.text
    assert len(messages(settings)) == before + 1
    assert "admin1" in done.html.find("table", id="step-lines").text
    with portal() as root:
        delivery = root.reminders.deliveries[("day11", "2025-09", "unit:013601")]
        assert delivery.manual_resends[-1]["by"] == "admin1"
        assert "reminder.resend" in [e.event for e in root.audit_log.values()]


def test_a_resend_to_an_unknown_unit_is_refused(admin):
    form = admin.get("/reminders").forms["resend-form"]
    form["unit"] = "999999"
    page = form.submit("submit").follow()
    assert "找不到單位代碼 999999" in page.text
    form = page.forms["resend-form"]
    form["unit"] = "x'<>"
    assert "請輸入 6 碼單位代碼" in form.submit("submit").follow().text


def test_closures_are_added_refused_twice_and_removed(admin, portal):
    form = admin.get("/reminders-closures").forms["closure-form"]
    form["day"], form["county"], form["kind"] = "2025-11-11", "65000", "closed"
    page = form.submit("submit").follow()
    assert "已新增 114/11/11（新北市）" in page.text
    form = page.forms["closure-form"]
    form["day"], form["county"], form["kind"] = "2025-11-11", "65000", "working"
    assert "相反的類別" in form.submit("submit").follow().text
    form = admin.get("/reminders-closures").forms["closure-form"]
    form["day"] = "2025-02-30"
    assert "YYYY-MM-DD" in form.submit("submit").follow().text
    with portal() as root:
        assert len(list(root.reminders.closures)) == 1
    page = admin.get("/reminders-closures")
    remove = next(f for f in page.forms.values() if f.action.endswith("reminders-closures-remove"))
    removed = remove.submit().follow()
    assert "已刪除" in removed.text and "尚未登錄任何日期" in removed.text


def test_mail_texts_preview_with_a_real_unit_then_save_keeping_the_old_text(admin, portal):
    page = admin.get("/reminders-mails?name=unit_day11")
    form = page.forms["mail-form"]
    assert "{單位名稱}" in form["subject"].value
    form["subject"] = "{單位名稱}：{月份}尚未填報"
    form["body"] = "請於今日完成 {月份} 填報：{連結}"
    form["unit"] = "013601"
    preview = form.submit("action", value="preview")
    shown = preview.html.find(id="preview").text
    assert "新北市立示範光明國民小學：114年9月尚未填報" in shown
    assert "http://localhost/counties/65000/013601/overdue" in shown
    with portal() as root:
        assert "unit_day11" not in root.reminders.templates  # a preview saves nothing
    saved = preview.forms["mail-form"].submit("action", value="save").follow()
    assert "原內容已保留" in saved.text and "先前的內容" in saved.text
    with portal() as root:
        stored = root.reminders.templates["unit_day11"]
        assert stored.subject == "{單位名稱}：{月份}尚未填報"
        assert [p["by"] for p in stored.previous] == ["系統預設"]
        assert stored.previous[0]["subject"] == "{單位名稱} 尚未完成{月份}輔導工作成果填報"
    form = saved.forms["mail-form"]
    form["subject"] = "第二版 {單位名稱}"
    form.submit("action", value="save")
    with portal() as root:
        assert root.reminders.templates["unit_day11"].previous[-1]["subject"] == "{單位名稱}：{月份}尚未填報"


def test_an_unknown_placeholder_is_refused(admin, portal):
    form = admin.get("/reminders-mails?name=unit_day1").forms["mail-form"]
    form["body"] = "您好 {學生姓名}"
    page = form.submit("action", value="save")
    assert "{學生姓名} 不是這封信可用的欄位" in page.text
    with portal() as root:
        assert "unit_day1" not in root.reminders.templates


def test_the_edited_text_is_what_the_run_sends(app, admin, settings):
    form = admin.get("/reminders-mails?name=unit_day11").forms["mail-form"]
    form["subject"], form["body"] = "催繳 {單位代碼}", "期限 {期限} 已過"
    form.submit("action", value="save")
    remind(app, DAY)
    wang = next(m for m in messages(settings) if m["to"] == "wang@example.invalid")
    assert wang["subject"].endswith("催繳 013601") and "期限 114/10/10 已過" in wang["body"]


def test_the_national_list_and_its_xlsx(app, admin, portal):
    with portal() as root:
        add_unit(root, "014301", "新北市立示範高級中學", "高中", "65000")
        add_unit(root, "013611", "=HYPERLINK(\"http://x\")國小", "國小", "65000")
    page = admin.get("/reminders-missing?m=2025-09")
    national = page.html.find("table", id="missing-national").text
    county = page.html.find("table", id="missing-county").text
    assert "01C001" in national and "014301" in national and "013601" not in national
    assert "013601" in county and "333601" in county
    response = admin.get("/reminders-missing.xlsx?m=2025-09")
    book = load_workbook(BytesIO(response.body))
    assert book.sheetnames[0].startswith("國教署函文") and book.sheetnames[-1].startswith("統計")
    assert any(name.startswith("新北市") for name in book.sheetnames)
    cells = [c for sheet in book for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert "'=HYPERLINK(\"http://x\")國小" in cells  # neutralised, never a formula
    assert any("114年9月" in str(c) and "114/10/14" in str(c) for c in cells)
    summary = list(book["統計（縣市×學制）"].iter_rows(values_only=True))
    assert summary[-1][0] == "合計" and summary[-1][-1] == 6


def test_county_officials_see_their_own_county_only(app, world, clock, portal):
    with portal() as root:
        add_account(root, "tpe_gov", role="county", county_code="63000", email="tpe@example.invalid")
    remind(app, DAY)
    clock.set_now(dt.datetime(2025, 10, 14, 9, 0, tzinfo=TAIPEI))
    browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.52"})
    login(browser, world["county"])
    own = browser.get("/county-reminders").follow()
    assert own.request.path == "/counties/65000/reminders"
    assert "013601" in own.text and "333601" not in own.text and "已寄出" in own.text
    browser.get("/counties/63000/reminders", status=404)
    unit = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.53"})
    login(unit, world["unit"])
    unit.get("/counties/65000/reminders", status=404)
    assert "僅供縣市政府承辦人" in unit.get("/county-reminders").follow().text


def test_the_unit_home_says_when_it_was_last_reminded(app, world, clock):
    clock.set_now(dt.datetime(2025, 10, 14, 9, 0, tzinfo=TAIPEI))
    browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.54"})
    login(browser, world["unit"])
    assert "最近一次稽催提醒" not in browser.get("/").text
    remind(app, DAY)
    banner = browser.get("/").html.find(id="reminded-banner").text
    assert "114/10/13" in banner and "每月11日" in banner and "114年9月" in banner


def test_the_reminders_pages_write_nothing(app, admin, world, clock):
    remind(app, DAY)
    clock.set_now(dt.datetime(2025, 10, 14, 9, 0, tzinfo=TAIPEI))
    county = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.55"})
    login(county, world["county"])
    unit = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.56"})
    login(unit, world["unit"])
    database = app.registry._zodb_databases[""]
    before = database.storage.lastTransaction()
    run = admin.get("/reminders").html.find("table", id="runs").find("a")["href"]
    for path in ADMIN_PAGES + [run, "/reminders?step=day11&m=2025-09", "/reminders-mails?name=county_day11",
                               "/reminders-missing?m=2025-08", "/counties/65000/reminders"]:
        admin.get(path)
    county.get("/counties/65000/reminders?m=2025-09")
    unit.get("/")
    assert database.storage.lastTransaction() == before


def test_odd_values_are_answered_with_a_message(admin):
    for path in ("/reminders?run=../../x&step=day99&m=2025-13&page=-1", "/reminders-missing?m=0000-00",
                 "/reminders-mails?name=%00", "/reminders-missing.xlsx?m=9999-99"):
        assert admin.get(path).status_int == 200
    token = token_of(admin.get("/reminders"))
    page = admin.post("/reminders-mails", {"csrf_token": token, "name": "unit_day1", "subject": "x" * 500,
                                           "body": "b", "action": "save"})
    assert "請在 200 字以內" in page.text
    page = admin.post("/reminders-mails", {"csrf_token": token, "name": "county_day11", "subject": "{縣市}",
                                           "body": "{名單}", "unit": "013601", "action": "preview"})
    assert "預覽請輸入縣市代碼" in page.text
