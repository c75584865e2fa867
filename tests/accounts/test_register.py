"""新建帳號: unit search, live login id, validation, one account per unit, activation."""
from __future__ import annotations

import datetime as dt

import pytest

from support import PASSWORD, add_unit, confirm_link, login, mail_link, outbox, relative

NEW_PASSWORD = "Blue7Sky9Lake"


@pytest.fixture
def kiosk(portal, world):
    with portal() as root:
        add_unit(root, "013502", "新北市立示範華僑國民中學", "國中", "65000")
        add_unit(root, "010301", "國立華僑高級中等學校（示範）", "高中", "65000")
    return world


def register_form(testapp, category="國中", q="華僑"):
    page = testapp.get("/register", params={"category": category, "q": q})
    return page, page.forms["register-form"]


def fill(form, **values):
    data = {"unit_code": "013502", "personal_id": "chen01", "password": NEW_PASSWORD,
            "password_repeat": NEW_PASSWORD, "name": "陳老師", "phone": "049-2910960#3795",
            "email": "chen@example.invalid"}
    data.update(values)
    for key, value in data.items():
        if key == "unit_code" and hasattr(form[key], "force_value"):
            form[key].force_value(value)  # a tampered choice, as a forged POST would send
        else:
            form[key] = value
    return form


def test_search_finds_unit_by_keyword_without_javascript(testapp, kiosk):
    page = testapp.get("/register", params={"category": "高中職", "q": "華僑"})
    assert "國立華僑高級中等學校（示範）" in page.text
    form = page.forms["register-form"]
    # a single match is chosen already: the unit code fills in by itself
    assert form["unit_code"].value == "010301"
    assert form["category"].value == "高中職"
    assert "找到 1 個單位" in page.text
    assert page.html.find(id="unit-code-display").get_text() == "010301"


def test_search_json_for_the_script(testapp, kiosk):
    data = testapp.get("/unit-search", params={"category": "國中", "q": "華僑"}).json
    assert data == {"units": [{"code": "013502", "name": "新北市立示範華僑國民中學"}]}
    assert testapp.get("/unit-search", params={"category": "國中", "q": ""}).json == {"units": []}


def test_register_activate_login(testapp, kiosk, settings, portal):
    page, form = register_form(testapp)
    assert 'id="login-preview"' in page.text
    response = fill(form).submit("submit").maybe_follow()
    assert "註冊完成" in response.text and "013502_chen01" in response.text
    with portal() as root:
        account = root["accounts"]["013502_chen01"]
        assert account.status == "pending" and account.unit_code == "013502"
    mail = outbox(settings)[0]
    assert mail["to"] == "chen@example.invalid" and "開通帳號" in mail["subject"]
    assert "013502_chen01" in mail["body"] and "/confirm?t=" in mail["body"]
    # cannot log in before activation
    denied = login(testapp, "013502_chen01", NEW_PASSWORD, status=200)
    assert "帳號尚未開通" in denied.text
    confirm_link(testapp, mail_link(settings, "chen@example.invalid")).maybe_follow()
    assert login(testapp, "013502_chen01", NEW_PASSWORD).status_int == 302
    with portal() as root:
        events = [e.event for e in reversed(root.audit_log.values())]
    assert {"register", "activate", "login.ok"} <= set(events)


def test_prefetched_link_does_nothing_until_confirmed(testapp, kiosk, settings, portal):
    fill(register_form(testapp)[1]).submit("submit")
    url = mail_link(settings)
    page = testapp.get(relative(url))
    assert "確認" in page.text
    with portal() as root:
        assert root["accounts"]["013502_chen01"].status == "pending"


def test_activation_link_is_single_use_and_offers_resend(testapp, kiosk, settings):
    fill(register_form(testapp)[1]).submit("submit")
    url = mail_link(settings)
    confirm_link(testapp, url)
    again = testapp.get(relative(url))
    assert "此連結已使用過" in again.text
    assert "此帳號已開通" in again.text
    assert "resend-form" in again.forms


def test_activation_link_expires_after_24_hours_and_can_be_resent(testapp, kiosk, settings, clock, portal):
    fill(register_form(testapp)[1]).submit("submit")
    url = mail_link(settings)
    clock.advance(dt.timedelta(hours=24, minutes=1))
    page = testapp.get(relative(url))
    assert "此連結已逾期" in page.text
    page.forms["resend-form"].submit("resend").maybe_follow()
    new_url = mail_link(settings)
    assert new_url != url
    confirm_link(testapp, new_url)
    with portal() as root:
        assert root["accounts"]["013502_chen01"].status == "active"
    # the old link stays dead
    assert "已失效" in testapp.get(relative(url)).text


def test_forged_or_tampered_link_is_refused(testapp, kiosk, settings):
    fill(register_form(testapp)[1]).submit("submit")
    url = mail_link(settings)
    page = testapp.get(relative(url[:-3] + "xyz"))
    assert "此連結無效" in page.text
    assert "resend-form" not in page.forms
    assert "此連結無效" in testapp.get("/confirm").text


def test_one_account_per_unit(testapp, kiosk):
    # 013601 already has an active account (013601_a001)
    page, form = register_form(testapp, "國小", "光明")
    response = fill(form, unit_code="013601", personal_id="new1").submit("submit")
    assert response.status_int == 200
    assert "一學制一帳號" in response.text and "049-2910960#3765" in response.text


def test_pending_registration_holds_the_unit_for_a_day(testapp, kiosk, clock, portal):
    fill(register_form(testapp)[1]).submit("submit")
    second = fill(register_form(testapp)[1], personal_id="lin02").submit("submit")
    assert "一學制一帳號" in second.text
    clock.advance(dt.timedelta(hours=25))
    third = fill(register_form(testapp)[1], personal_id="lin02").submit("submit")
    assert third.status_int == 302
    with portal() as root:
        assert root["accounts"]["013502_chen01"].status == "disabled"
        assert root["accounts"]["013502_lin02"].status == "pending"


BAD_FIELDS = [
    ({"personal_id": "ab"}, "personal_id", "4 至 8 碼"),
    ({"personal_id": "Abcd"}, "personal_id", "小寫英文字母"),
    ({"personal_id": "abcdefghi"}, "personal_id", "4 至 8 碼"),
    ({"email": "chen@"}, "email", "Email 格式不正確"),
    ({"phone": "12345"}, "phone", "電話格式不正確"),
    ({"password_repeat": "Other7Sky9Lake"}, "password_repeat", "兩次輸入的密碼不一致"),
    ({"unit_code": "999999"}, "unit_code", "查無此單位代碼"),
    ({"unit_code": "<b>x"}, "unit_code", "查無此單位代碼"),
    ({"unit_code": "010301"}, "unit_code", "不屬於帳號類別「國中」"),
    ({"password": "short1A", "password_repeat": "short1A"}, "password", "8 至 20 碼"),
    ({"name": ""}, "name", "此欄位必填"),
]


@pytest.mark.parametrize("values,field,message", BAD_FIELDS)
def test_bad_input_is_refused_beside_the_field(testapp, kiosk, values, field, message, portal):
    page, form = register_form(testapp)
    response = fill(form, **values).submit("submit")
    assert response.status_int == 200
    error = response.html.select(f"#error-deformField{_position(response, field)}")
    assert error and message in error[0].get_text(), response.html.select(".invalid-feedback, .help-block")
    with portal() as root:
        assert "013502_chen01" not in root["accounts"]


def _position(response, field):
    """Deform numbers fields deformField1…; find the one for ``field``."""
    for node in response.html.select("[name]"):
        if node.get("name") == field and node.get("id", "").startswith("deformField"):
            return node["id"].removeprefix("deformField")
    raise AssertionError(field)


def test_every_password_problem_is_listed(testapp, kiosk):
    page, form = register_form(testapp)
    response = fill(form, password="013502chen01", password_repeat="013502chen01").submit("submit")
    text = response.text
    for message in ("大寫英文字母", "不可包含學校或單位代碼", "不可包含個人帳號"):
        assert message in text


def test_personal_id_used_before_by_the_unit_is_refused(testapp, kiosk, portal):
    from support import add_account

    with portal() as root:
        add_account(root, "013502_old1", unit_code="013502", personal_id="old1", status="disabled")
    page, form = register_form(testapp)
    response = fill(form, personal_id="old1").submit("submit")
    assert "以前使用過" in response.text


def test_registration_without_csrf_token_is_refused(testapp, kiosk, portal):
    page, form = register_form(testapp)
    fill(form)
    fields = {k: v for k, v in form.submit_fields() if k != "csrf_token"}
    fields["submit"] = "submit"
    response = testapp.post("/register", fields, status=400)
    assert "表單已失效" in response.text
    with portal() as root:
        assert "013502_chen01" not in root["accounts"]


def test_someone_elses_csrf_token_is_refused(app, testapp, kiosk, portal):
    import webtest

    other = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.99"})
    other_form = register_form(other)[1]
    page, form = register_form(testapp)
    fill(form)
    fields = dict(form.submit_fields())
    fields["csrf_token"] = other_form["csrf_token"].value
    fields["submit"] = "submit"
    testapp.post("/register", fields, status=400)
    with portal() as root:
        assert "013502_chen01" not in root["accounts"]


def test_registration_is_rate_limited(testapp, kiosk):
    for _ in range(10):
        fill(register_form(testapp)[1], email="bad").submit("submit")
    response = fill(register_form(testapp)[1]).submit("submit")
    assert "操作過於頻繁" in response.text


def test_login_id_preview_rendered_after_a_failed_post(testapp, kiosk):
    response = fill(register_form(testapp)[1], email="bad").submit("submit")
    assert response.html.find(id="login-preview").get_text() == "013502_chen01"
    assert PASSWORD  # the world's password is not the new one


@pytest.fixture
def many_mudan(portal, world):
    """55 primary schools named 牡丹: one in 新北市, the rest in 屏東縣."""
    with portal() as root:
        add_unit(root, "013699", "市立牡丹國小", "國小", "65000")
        for n in range(54):
            add_unit(root, f"13{n + 6500:04d}", f"縣立牡丹國小{n:02d}", "國小", "10013")
    return world


def test_search_shows_the_county_and_counts_what_is_not_shown(testapp, many_mudan):
    """Issue 10 item 27: 50 results, no more, no county — 市立 and 縣立 牡丹國小 looked alike."""
    page = testapp.get("/register", params={"category": "國小", "q": "牡丹"})
    assert "另有 5 筆，請輸入更完整的名稱" in page.text
    labels = [o.get_text() for o in page.html.select("[name=unit_code] option")]
    assert "013699 市立牡丹國小（新北市）" in labels
    assert "136500 縣立牡丹國小00（屏東縣）" in labels
    exact = testapp.get("/register", params={"category": "國小", "q": "市立牡丹"})
    assert "另有" not in exact.text
    data = testapp.get("/unit-search", params={"category": "國小", "q": "牡丹", "detail": "1"}).json
    assert len(data["units"]) == 50 and data["more"] == 5
    assert data["units"][1] == {"code": "136500", "name": "縣立牡丹國小00", "county": "屏東縣"}
