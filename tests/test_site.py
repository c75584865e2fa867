"""The site shell: public pages, headers, assets, errors, tree URLs."""
from __future__ import annotations

import pytest

from support import login


@pytest.mark.parametrize(
    "path, text",
    [("/faq", "常見問題"), ("/contact", "rd@chsh.chc.edu.tw"), ("/contact", "049-2910960"),
     ("/documents", "操作文件下載")],
)
def test_public_pages(testapp, path, text):
    assert text in testapp.get(path).text


def test_security_headers(testapp):
    response = testapp.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_no_inline_scripts_or_external_assets(testapp, world):
    import re

    pages = [testapp.get("/login").text]
    login(testapp, world["unit"])
    pages.append(testapp.get("/").text)
    for html in pages:
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
        assert " style=" not in html
        for url in re.findall(r'(?:src|href)="(https?://[^"]+)"', html):
            assert url.startswith("http://localhost/"), url


def test_assets_are_served_by_the_app(testapp):
    css = testapp.get("/deform_static/css/bootstrap.min.css")
    assert css.content_type == "text/css" and b"Bootstrap" in css.body[:200]
    assert testapp.get("/deform_static/scripts/bootstrap.bundle.min.js").status_int == 200
    assert testapp.get("/static/portal.css").status_int == 200


def test_not_found_page_is_friendly(testapp):
    response = testapp.get("/no-such-page", status=404)
    assert "找不到網頁" in response.text


def test_member_pages_redirect_anonymous_to_login(testapp):
    response = testapp.get("/records", status=302)
    assert "/login?came_from=%2Frecords" in response.location


def test_no_menu_entry_is_a_coming_page_any_more(testapp, world):
    """Every entry of the guides' menus is built: none says 「尚在建置中」."""
    login(testapp, world["unit"])
    for name in ("records", "helper", "contact", "documents", "faq"):
        page = testapp.get("/" + name)
        assert "尚在建置中" not in page.text
    assert "資料查詢" in testapp.get("/records").text


def test_member_menu_after_login(testapp, world):
    home = login(testapp, world["unit"]).follow()
    for label in ("工作填報", "資料查詢", "帳號管理", "填報幫手", "線上諮詢", "修改密碼", "登出"):
        assert label in home.text
    assert 'id="current-unit">013601<' in home.text


def test_the_member_menu_offers_the_helper_to_unit_accounts_only():
    from cgs_portal.site.layout import MEMBER_MENU, member_menu_for

    assert member_menu_for("unit") == MEMBER_MENU
    for role in ("county", "helpdesk", "admin"):
        assert member_menu_for(role) == [item for item in MEMBER_MENU if item[0] != "helper"], role


def test_every_tree_node_has_a_url(app, portal, world):
    from pyramid.request import Request

    from cgs_portal.resources import AcademicYear, MonthlyReport

    with portal() as root:
        unit = root["counties"]["65000"]["013601"]
        year = unit.add("113", AcademicYear(113))
        report = year.add("2024-09", MonthlyReport(2024, 9))
        request = Request.blank("/")
        request.registry = app.registry
        assert request.resource_url(report) == "http://localhost/counties/65000/013601/113/2024-09/"
        assert request.resource_url(root["accounts"]["013601_a001"]) == "http://localhost/accounts/013601_a001/"
        assert request.resource_url(root["templates"]["113"]) == "http://localhost/templates/113/"
        assert request.resource_url(root["counties"]["63000"]) == "http://localhost/counties/63000/"


def test_unit_life_is_effective_dated(portal):
    import datetime as dt

    from cgs_portal.resources import Unit

    unit = Unit("013601", "示範", "國小", "65000", opened_on=dt.date(2024, 9, 15),
                closed_on=dt.date(2025, 2, 10))
    assert not unit.is_open_in(2024, 8)
    assert unit.is_open_in(2024, 9) and unit.is_open_in(2025, 2)
    assert not unit.is_open_in(2025, 3)
    assert unit.expected_months(113) == [(2024, m) for m in range(9, 13)] + [(2025, 1), (2025, 2)]
    with pytest.raises(ValueError):
        Unit("x", "x", "大學", "65000")


def test_session_secret_is_required():
    from cgs_portal import main

    with pytest.raises(ValueError, match="session_secret"):
        main({}, **{"zodbconn.uri": "memory://"})
    with pytest.raises(ValueError, match="32 characters"):
        main({}, **{"zodbconn.uri": "memory://", "cgs.session_secret": "short"})


def test_environment_overrides_settings():
    from cgs_portal import settings_with_environment

    merged = settings_with_environment(
        {"zodbconn.uri": "file://x"}, {"CGS_ZODB_URI": "zeo://db:8100", "CGS_SESSION_SECRET": "s"}
    )
    assert merged["zodbconn.uri"] == "zeo://db:8100" and merged["cgs.session_secret"] == "s"


def test_portal_can_be_included_in_a_host_app(settings):
    """A host Pyramid site mounts the portal with config.include('cgs_portal')."""
    import webtest
    from pyramid.config import Configurator
    from pyramid.response import Response

    from cgs_portal.resources.root import root_factory

    with Configurator(settings=settings) as config:
        config.include("cgs_portal")
        config.set_root_factory(root_factory)
        config.add_route("host_health", "/host-health")
        config.add_view(lambda r: Response("host ok"), route_name="host_health")
        app = config.make_wsgi_app()
    try:
        browser = webtest.TestApp(app)
        assert browser.get("/host-health").text == "host ok"
        assert "登入系統" in browser.get("/login").text
    finally:
        for db in app.registry._zodb_databases.values():
            db.close()


def test_back_office_entries_sit_in_one_dropdown(testapp, world):
    home = login(testapp, world["admin"]).follow()
    assert 'id="menu-admin"' in home.text
    for label in ("申請修改審核", "稽核紀錄", "帳號重置", "建立帳號", "內容管理", "單位名錄", "線上諮詢回覆"):
        assert label in home.text
    desk = webtest_for(testapp)(world["helpdesk"])
    assert "線上諮詢回覆" in desk and "內容管理" not in desk and "單位名錄" not in desk
    unit_home = webtest_for(testapp)
    assert 'id="menu-admin"' not in unit_home(world["unit"])


def webtest_for(testapp):
    import webtest

    def home_of(login_id):
        browser = webtest.TestApp(testapp.app)
        return login(browser, login_id).follow().text

    return home_of


def test_a_unit_address_opens_its_year_view(testapp, world):
    login(testapp, world["unit"])
    response = testapp.get("/counties/65000/013601/", status=302)
    assert response.location.startswith("http://localhost/counties/65000/013601/year")
    testapp.get("/counties/63000/333601/", status=404)  # another unit: as if missing (item 18)
