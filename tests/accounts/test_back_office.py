"""Issue 13's account back office: officials disabled and re-enabled, 客服查詢 (find, history,
resend, unlock), second-factor resets approved by an administrator, the audit log's filters."""
from __future__ import annotations

import datetime as dt

import pytest
import webtest

from support import PASSWORD, add_account, add_unit, csrf_token, login, outbox

TAIPEI = dt.timezone(dt.timedelta(hours=8))


def browser(app, n):
    return webtest.TestApp(app, extra_environ={"REMOTE_ADDR": f"192.0.2.{n}"})


def post(testapp, path, **data):
    return testapp.post(path, {"csrf_token": csrf_token(testapp), **data}, status="*")


# 停用 / 啟用 ---------------------------------------------------------------------------------
def test_disabling_an_official_ends_both_sessions_at_once(app, world, portal):
    first, second = browser(app, 40), browser(app, 41)
    login(first, world["county"])
    login(second, world["county"])
    assert first.get("/account").status_int == 200
    admin = browser(app, 42)
    login(admin, world["admin"])
    done = post(admin, "/official-status", login=world["county"], action="disable", reason="離職")
    assert "已停用" in done.follow().text
    for session in (first, second):
        assert "/login" in session.get("/account", status=302).headers["Location"]
    assert "已停用" in login(browser(app, 43), world["county"], status=200).text
    with portal() as root:
        entry = [e for e in root.audit_log.values() if e.event == "account.disable"][-1]
        assert entry.actor == world["admin"] and entry.before == {"狀態": "使用中"}
        assert entry.after == {"狀態": "已停用"} and entry.detail == "離職"
    # re-enabled: the same password works again (and the factor is asked again)
    assert "已啟用" in post(admin, "/official-status", login=world["county"], action="enable").follow().text
    again = browser(app, 44)
    assert login(again, world["county"]).status_int == 302
    assert again.get("/account").status_int == 200
    assert first.get("/account", status=302)  # the ended sessions stay ended


def test_an_admin_cannot_disable_themselves_or_a_unit_account(app, world, portal):
    admin = browser(app, 45)
    login(admin, world["admin"])
    assert "不可停用" in post(admin, "/official-status", login=world["admin"], action="disable").follow().text
    refused = post(admin, "/official-status", login="013601_a001", action="disable").follow().text
    assert "不正確" in refused  # a unit login is not an official's
    with portal() as root:
        assert root["accounts"][world["unit"]].status == "active"
        assert root["accounts"][world["admin"]].status == "active"
    assert "不正確" in post(admin, "/official-status", login="x" * 500, action="zap").follow().text


@pytest.mark.parametrize("role", ["unit", "county", "helpdesk"])
def test_only_admins_disable_officials(app, world, role):
    other = browser(app, 46)
    login(other, world[role])
    assert post(other, "/official-status", login=world["county"] if role != "county" else world["helpdesk"],
                action="disable").status_int == 403


def test_the_officials_page_lists_disable_buttons(app, world):
    admin = browser(app, 47)
    login(admin, world["admin"])
    page = admin.get("/officials")
    row = page.html.find(id="staff-ntpc_gov")
    assert row.find("button").get_text().strip() == "停用"
    assert page.html.find(id=f"staff-{world['admin']}").find("form") is None


# 客服查詢 -----------------------------------------------------------------------------------
@pytest.fixture
def many(portal, world):
    with portal() as root:
        for i in range(65):
            add_unit(root, f"0146{i:02d}", f"新北市立測試{i:02d}國民小學", "國小", "65000")
        add_account(root, "014600_c001", unit_code="014600", personal_id="c001", name="陳小明",
                    email="chen@school.example", phone="02-22223333", status="pending")
    return world


def test_the_helpdesk_finds_units_and_accounts_and_pages_without_a_cut(app, many):
    desk = browser(app, 50)
    login(desk, many["helpdesk"])
    first = desk.get("/helpdesk", params={"q": "測試"})
    assert "共 65 筆" in first.text and len(first.html.select("#helpdesk-results tbody tr")) == 20
    last = desk.get("/helpdesk", params={"q": "測試", "page": "4"})
    assert len(last.html.select("#helpdesk-results tbody tr")) == 5 and "上一頁" in last.text
    for keyword in ("chen@school", "陳小明", "014600_c001", "22223333", "王老師"):
        found = desk.get("/helpdesk", params={"q": keyword}).html.find(id="helpdesk-results")
        assert found is not None, keyword
    assert "找不到" in desk.get("/helpdesk", params={"q": "沒有這種學校"}).text
    unit = desk.get("/helpdesk", params={"unit": "014600"}).html.find(id="helpdesk-unit")
    assert "014600_c001" in unit.get_text()


def test_the_account_page_shows_state_and_history_but_no_case_data(app, many):
    teacher = browser(app, 51)
    login(teacher, many["unit"])
    desk = browser(app, 52)
    login(desk, many["helpdesk"])
    page = desk.get("/helpdesk-account", params={"login": many["unit"]})
    history = page.html.find(id="helpdesk-history").get_text()
    assert "登入成功" in history and "使用中" in page.text
    for forbidden in ("個案", "填報紀錄", ".xlsx", "2024-09"):
        assert forbidden not in page.html.find(id="helpdesk-info").get_text()
    assert desk.get("/helpdesk-account", params={"login": "nobody"}, status=302)


def test_the_helpdesk_resends_an_activation_mail(app, many, settings):
    desk = browser(app, 53)
    login(desk, many["helpdesk"])
    before = len(outbox(settings))
    done = post(desk, "/helpdesk-resend", login="014600_c001", note="來電")
    assert "已重寄開通信" in done.follow().text
    mails = outbox(settings)
    assert len(mails) == before + 1 and "chen@school.example" in mails[0]["to"]
    assert "不需重寄" in post(desk, "/helpdesk-resend", login=many["unit"]).follow().text


def test_the_helpdesk_unlocks_a_locked_account(app, many, portal):
    for n in range(5):
        login(browser(app, 60 + n), many["unit"], "Wrong1Pass", status=200)
    desk = browser(app, 54)
    login(desk, many["helpdesk"])
    assert "鎖定至" in desk.get("/helpdesk-account", params={"login": many["unit"]}).text
    done = post(desk, "/helpdesk-unlock", login=many["unit"], note="本人來電")
    assert "已解除" in done.follow().text
    assert login(browser(app, 55), many["unit"]).status_int == 302
    with portal() as root:
        entry = [e for e in root.audit_log.values() if e.event == "account.unlock"][-1]
        assert entry.actor == many["helpdesk"] and entry.after == {"登入鎖定": "未鎖定"}


HELPDESK_PAGES = ["/helpdesk?q=013601", "/helpdesk-account?login=013601_a001", "/factor-resets"]


@pytest.mark.parametrize("role", ["unit", "county"])
def test_other_roles_are_refused_the_helpdesk_pages(app, world, role):
    other = browser(app, 56)
    login(other, world[role])
    for path in HELPDESK_PAGES:
        assert other.get(path, status=403).status_int == 403, path
    for path in ("/helpdesk-unlock", "/helpdesk-resend", "/factor-reset-decide"):
        assert post(other, path, login=world["unit"]).status_int == 403, path


def test_anonymous_is_sent_to_login_from_the_helpdesk_pages(testapp, world):
    for path in HELPDESK_PAGES:
        assert "/login?came_from=" in testapp.get(path, status=302).headers["Location"]


def test_admins_use_the_helpdesk_pages_too(app, world):
    admin = browser(app, 57)
    login(admin, world["admin"])
    for path in HELPDESK_PAGES:
        assert admin.get(path).status_int == 200, path


# 重設兩步驟驗證 -----------------------------------------------------------------------------
def test_a_factor_reset_needs_an_administrators_approval(app, world, portal):
    official = browser(app, 70)
    login(official, world["county"])  # enrolled now
    desk = browser(app, 71)
    login(desk, world["helpdesk"])
    form = desk.get("/factor-resets", params={"login": world["county"]}).forms["factor-reset-form"]
    form["reason"] = "手機遺失，已電話確認本人"
    assert form.submit("submit").status_int == 302
    page = desk.get("/factor-resets")
    assert "待核准" in page.text and "factor-reset-decide" not in page.text  # the helpdesk cannot decide
    with portal() as root:
        request_id = next(iter(root.factor_resets.keys()))
        assert root["accounts"][world["county"]].totp_secret is not None
    assert post(desk, "/factor-reset-decide", request_id=request_id, decision="approve").status_int == 403
    admin = browser(app, 72)
    login(admin, world["admin"])
    assert "核准" in admin.get("/factor-resets").text
    done = post(admin, "/factor-reset-decide", request_id=request_id, decision="approve")
    assert "已核准" in done.follow().text
    with portal() as root:
        account = root["accounts"][world["county"]]
        assert account.totp_secret is None and not account.recovery_hashes
        entry = [e for e in root.audit_log.values() if e.event == "factor.reset.approve"][-1]
        assert entry.actor == world["admin"] and entry.before == {"兩步驟驗證": "已設定"}
    assert "/login" in official.get("/account", status=302).headers["Location"]  # sessions ended
    again = browser(app, 73)
    login_page = again.get("/login").forms["login-form"]
    from support import captcha_code

    login_page["login"], login_page["password"], login_page["captcha"] = world["county"], PASSWORD, captcha_code(again)
    assert login_page.submit("submit").headers["Location"].endswith("/login-enrol")
    assert "找不到" in post(admin, "/factor-reset-decide", request_id=request_id, decision="approve").follow().text


def test_factor_reset_requests_are_checked(app, world, portal):
    desk = browser(app, 74)
    login(desk, world["helpdesk"])
    for target, message in ((world["county"], "找不到已設定"), ("nobody", "找不到已設定")):
        form = desk.get("/factor-resets").forms["factor-reset-form"]
        form["login"], form["reason"] = target, "測試"
        assert message in form.submit("submit").text
    form = desk.get("/factor-resets").forms["factor-reset-form"]
    form["login"], form["reason"] = world["helpdesk"], "測試"  # enrolled by its login above: oneself
    assert "不可為自己的帳號" in form.submit("submit").text


def test_the_requester_cannot_approve_their_own_request(app, world, portal):
    login(browser(app, 75), world["county"])
    admin = browser(app, 76)
    login(admin, world["admin"])
    form = admin.get("/factor-resets").forms["factor-reset-form"]
    form["login"], form["reason"] = world["county"], "測試"
    form.submit("submit")
    with portal() as root:
        request_id = next(iter(root.factor_resets.keys()))
    assert "不可核准" in post(admin, "/factor-reset-decide", request_id=request_id, decision="approve").follow().text
    with portal() as root:
        assert root["accounts"][world["county"]].totp_secret is not None


# 稽核紀錄 -----------------------------------------------------------------------------------
def test_the_audit_page_filters_by_unit_actor_and_event_family(app, world, portal):
    admin = browser(app, 80)
    login(admin, world["admin"])
    desk = browser(app, 81)
    login(desk, world["helpdesk"])
    post(desk, "/helpdesk-unlock", login=world["unit"], note="x")
    by_unit = admin.get("/audit-log", params={"unit": "013601"}).html.find(id="audit-table").get_text()
    assert "解除登入鎖定" in by_unit and "登入成功" not in by_unit
    by_actor = admin.get("/audit-log", params={"login": world["helpdesk"], "event": "account"})
    assert "解除登入鎖定" in by_actor.html.find(id="audit-table").get_text()
    assert "登入鎖定：未鎖定 → 未鎖定" in by_actor.text
    family = admin.get("/audit-log", params={"event": "factor"}).html.find(id="audit-table").get_text()
    assert "設定兩步驟驗證" in family and "登入成功" not in family


def test_the_audit_search_reads_a_key_range_and_stops_at_its_scan_limit(portal, world):
    from cgs_portal.accounts import audit

    with portal() as root:
        log = root.audit_log
        log.clear()
        start = dt.datetime(2024, 9, 1, 8, 0, tzinfo=TAIPEI)
        for i in range(300):
            when = start + dt.timedelta(hours=i)
            log[audit.key_of(when)] = audit.AuditEntry(when, "login.ok", f"u{i:03d}", "192.0.2.1",
                                                       unit="013601" if i % 100 == 0 else "")
        page = audit.search(root, since=start + dt.timedelta(hours=10), until=start + dt.timedelta(hours=19))
        assert [e.login for _k, e in page["entries"]] == [f"u{i:03d}" for i in range(19, 9, -1)]
        stopped = audit.search(root, unit="013601", scan_limit=50)
        assert stopped["entries"] == [] and stopped["stopped_at"] is not None
        more = audit.search(root, unit="013601", before_key=stopped["next_key"], scan_limit=200)
        assert [e.login for _k, e in more["entries"]] == ["u200", "u100"]
        paged = audit.search(root, limit=100)
        assert len(paged["entries"]) == 100 and paged["next_key"] is not None
        rest = audit.search(root, limit=500, before_key=paged["next_key"])
        assert len(rest["entries"]) == 200


def test_audit_record_keeps_its_old_signature_and_bounds_before_after(app, portal):
    from pyramid import testing

    from cgs_portal.accounts import audit

    with portal() as root:
        request = testing.DummyRequest(client_addr="192.0.2.9")
        request.registry = app.registry
        request.clock = app.registry.cgs_clock
        old = audit.record(request, "account.create", "someone", "建立", root=root)
        assert old.actor == "" and old.before is None and old.changes() == []
        new = audit.record(request, "account.disable", "someone", root=root, unit="013601", what="縣市承辦人",
                           before={"狀態": "使用中"}, after={"狀態": "x" * 5000})
        assert new.unit == "013601" and len(new.after["狀態"]) == audit.VALUE_MAX
        assert new.changes() == [("狀態", "使用中", "x" * audit.VALUE_MAX)]
