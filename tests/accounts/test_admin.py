"""帳號重置 (helpdesk), the audit log, officials created by administrators, the first admin, dev outbox."""
from __future__ import annotations

import re

import webtest

from support import PASSWORD, login, mail_link, outbox, relative

NEW = "Blue7Sky9Lake"


def browser(app, n):
    return webtest.TestApp(app, extra_environ={"REMOTE_ADDR": f"192.0.2.{n}"})


def set_reason(form, reason):
    """Deform renders the reason radios under a generated field name."""
    name = next(n for n in form.fields if n.startswith("deformField"))
    form[name] = reason


def reset(testapp, unit="013601", reason="人員異動", note=""):
    page = testapp.get("/account-reset", params={"unit": unit})
    form = page.forms["reset-form"]
    set_reason(form, reason)
    form["note"] = note
    return form.submit("submit")


def test_helpdesk_menu_and_search(testapp, world):
    login(testapp, world["helpdesk"])
    home = testapp.get("/")
    assert "帳號重置" in home.html.find("nav").get_text()
    page = testapp.get("/account-reset", params={"q": "光明"})
    assert "013601 新北市立示範光明國民小學" in page.html.find(id="reset-matches").get_text()


def test_reset_disables_notifies_and_lets_the_unit_register_again(app, testapp, world, portal, settings):
    from cgs_portal.resources import AcademicYear, MonthlyReport

    with portal() as root:
        unit = root["counties"]["65000"]["013601"]
        unit.add("113", AcademicYear(113)).add("2024-09", MonthlyReport(2024, 9, state="submitted"))
    teacher = browser(app, 40)
    login(teacher, world["unit"])
    login(testapp, world["helpdesk"])
    page = reset(testapp, note="新承辦人來電").maybe_follow()
    assert "已重置" in page.text
    # the account's session ends at once and it cannot log in again
    assert teacher.get("/account").status_int == 302
    assert "已停用" in login(teacher, world["unit"], status=200).text
    mail = outbox(settings)[0]
    assert mail["to"] == "wang@example.invalid" and "帳號重置" in mail["subject"]
    assert "/register" in mail["body"]
    with portal() as root:
        account = root["accounts"]["013601_a001"]
        assert account.status == "disabled" and account.disabled_reason.startswith("人員異動")
        assert root["counties"]["65000"]["013601"]["113"]["2024-09"].state == "submitted"
        entry = [e for e in root.audit_log.values() if e.event == "account.reset"][0]
        assert "helpdesk1" in entry.detail and "人員異動" in entry.detail
    # the unit may register again, but not with the retired personal id
    anonymous = browser(app, 41)
    form = anonymous.get("/register", params={"category": "國小", "q": "光明"}).forms["register-form"]
    values = {"unit_code": "013601", "personal_id": "a001", "password": NEW, "password_repeat": NEW,
              "name": "林老師", "phone": "02-23456789", "email": "lin@example.invalid"}
    for key, value in values.items():
        form[key] = value
    assert "以前使用過" in form.submit("submit").text
    form = anonymous.get("/register", params={"category": "國小", "q": "光明"}).forms["register-form"]
    values["personal_id"] = "lin01"
    for key, value in values.items():
        form[key] = value
    assert form.submit("submit").status_int == 302


def test_reset_requires_a_reason(testapp, world):
    login(testapp, world["helpdesk"])
    page = testapp.get("/account-reset", params={"unit": "013601"})
    form = page.forms["reset-form"]
    assert "請選擇重置原因" in form.submit("submit").text


def test_reset_of_unit_without_account_says_so(testapp, world):
    login(testapp, world["helpdesk"])
    page = testapp.get("/account-reset", params={"unit": "013501"})
    assert page.html.find(id="no-holder") is not None and "reset-form" not in page.forms


def test_reset_tampered_login_is_refused(testapp, world, portal):
    login(testapp, world["helpdesk"])
    form = testapp.get("/account-reset", params={"unit": "013601"}).forms["reset-form"]
    set_reason(form, "信箱無法使用")
    form["login"].force_value("333601_b001")
    assert "請重新查詢" in form.submit("submit").text
    with portal() as root:
        assert root["accounts"]["333601_b001"].status == "active"


def test_units_and_counties_cannot_reset(testapp, world):
    login(testapp, world["unit"])
    assert testapp.get("/account-reset", status=403).status_int == 403


def test_audit_log_lists_and_filters_events(app, testapp, world):
    login(testapp, world["unit"], "Wrong1Pass", status=200)
    login(testapp, world["unit"])
    admin = browser(app, 42)
    login(admin, world["admin"])
    page = admin.get("/audit-log")
    table = page.html.find(id="audit-table").get_text()
    assert "登入失敗" in table and "登入成功" in table and "113/10/03" in table
    only_failed = admin.get("/audit-log", params={"event": "login.failed"}).html.find(id="audit-table")
    assert "登入失敗" in only_failed.get_text() and "登入成功" not in only_failed.get_text()
    by_login = admin.get("/audit-log", params={"login": "admin1"}).html.find(id="audit-table").get_text()
    assert "013601_a001" not in by_login and "admin1" in by_login
    assert "113/10/03" not in admin.get("/audit-log", params={"since": "113/10/04"}).html.find(
        id="audit-table").get_text()
    assert "格式不正確" in admin.get("/audit-log", params={"since": "abc"}).text
    assert "稽核紀錄" in page.html.find("nav").get_text()


def test_lockout_is_audited(testapp, world, portal):
    for _ in range(5):
        login(testapp, world["unit"], "Wrong1Pass", status=200)
    with portal() as root:
        assert any(e.event == "login.locked" for e in root.audit_log.values())


def test_helpdesk_cannot_read_the_audit_log(testapp, world):
    login(testapp, world["helpdesk"])
    testapp.get("/audit-log", status=403)


def create_official(testapp, **values):
    form = testapp.get("/officials").forms["official-form"]
    data = {"role": "county", "login": "ntpc_chen", "county_code": "65000", "name": "陳科員",
            "phone": "02-29603456#123", "email": "chen@ntpc.example.invalid"}
    data.update(values)
    for key, value in data.items():
        form[key] = value
    return form.submit("submit")


def test_admin_creates_a_county_official_who_sets_a_password(app, testapp, world, portal, settings):
    login(testapp, world["admin"])
    page = create_official(testapp).maybe_follow()
    assert "已建立帳號「ntpc_chen」" in page.text
    url = mail_link(settings, "chen@ntpc.example.invalid", path="/set-password")
    official = browser(app, 43)
    assert "帳號、密碼或驗證碼錯誤" in login(official, "ntpc_chen", NEW, status=200).text
    form = official.get(relative(url)).forms["set-password-form"]
    form["password"] = "ntpc_chen1A"
    form["password_repeat"] = "ntpc_chen1A"
    assert "不可包含帳號" in form.submit("submit").text
    form = official.get(relative(url)).forms["set-password-form"]
    form["password"] = NEW
    form["password_repeat"] = NEW
    form.submit("submit")
    assert login(official, "ntpc_chen", NEW).status_int == 302
    with portal() as root:
        account = root["accounts"]["ntpc_chen"]
        assert account.role == "county" and account.county_code == "65000"
        assert "county:65000" in account.principals()
        assert any(e.event == "account.create" for e in root.audit_log.values())
    # the link was single use
    assert "已使用過" in official.get(relative(url)).text


def test_official_form_errors(testapp, world):
    login(testapp, world["admin"])
    assert "此帳號已存在" in create_official(testapp, login="ntpc_gov").text
    assert "須選擇所屬縣市" in create_official(testapp, county_code="").text
    assert "以小寫英文字母開頭" in create_official(testapp, login="013601").text


def test_first_admin_setup_link(app, portal, settings):
    from cgs_portal.accounts.setup import ensure_first_admin

    with portal() as root:
        lines = ensure_first_admin(root, app.registry, settings)
        account = root["accounts"]["admin"]
        assert account.role == "admin" and account.password_hash is None
    url = re.search(r"https?://\S+/set-password\?t=\S+", "\n".join(lines)).group(0)
    with portal() as root:
        again = ensure_first_admin(root, app.registry, settings)  # a new link voids the old one
    new_url = re.search(r"https?://\S+/set-password\?t=\S+", "\n".join(again)).group(0)
    testapp = browser(app, 44)
    assert "已失效" in testapp.get(relative(url)).text
    form = testapp.get(relative(new_url)).forms["set-password-form"]
    form["password"] = NEW
    form["password_repeat"] = NEW
    form.submit("submit")
    assert login(testapp, "admin", NEW).status_int == 302
    with portal() as root:
        assert ensure_first_admin(root, app.registry, settings) == ["cgs-init: a national administrator exists"]


def test_first_admin_link_expires(app, portal, settings, clock):
    import datetime as dt

    from cgs_portal.accounts.setup import ensure_first_admin

    with portal() as root:
        lines = ensure_first_admin(root, app.registry, settings)
    url = re.search(r"https?://\S+/set-password\?t=\S+", "\n".join(lines)).group(0)
    clock.advance(dt.timedelta(hours=24))
    assert "已逾期" in browser(app, 45).get(relative(url)).text


def test_dev_outbox_lists_mail_with_clickable_links(testapp, world, settings):
    page = testapp.get("/forgot-password")
    form = page.forms["forgot-form"]
    form["login"] = "013601_a001"
    form["email"] = "wang@example.invalid"
    form["password"] = NEW
    form["password_repeat"] = NEW
    form.submit("submit")
    outbox_page = testapp.get("/dev-outbox")
    assert "確認新密碼" in outbox_page.text and "wang@example.invalid" in outbox_page.text
    link = outbox_page.html.select(".outbox-body a")[0]["href"]
    assert link == mail_link(settings)


def test_no_dev_outbox_without_debug_dir(settings):
    from cgs_portal import main

    settings = {k: v for k, v in settings.items() if k != "mail.debug_dir"}
    app = main({}, **settings)
    try:
        webtest.TestApp(app).get("/dev-outbox", status=404)
    finally:
        for db in getattr(app.registry, "_zodb_databases", {}).values():
            db.close()


def test_password_is_not_the_demo_one():
    assert PASSWORD != NEW
