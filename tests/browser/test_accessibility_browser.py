"""The accessibility check itself: it runs offline under the portal's CSP and catches violations."""
from __future__ import annotations


def test_axe_runs_under_the_csp_and_reports_violations(page, live_server, accessibility):
    page.goto(live_server + "/login")
    page.wait_for_load_state("networkidle")
    accessibility.audit(page)
    assert accessibility.audited and not accessibility.violations
    # An image without alt text and an unlabelled field, added after load: axe must see both.
    page.evaluate("""() => {
        document.querySelector('main').insertAdjacentHTML('beforeend',
            '<img src="/static/none.png"><input type="text" name="probe">');
    }""")
    accessibility.audit(page)
    found = "\n".join(accessibility.violations)
    assert "image-alt" in found and "label" in found
    page.evaluate("() => document.querySelectorAll('img[src$=\"none.png\"], [name=probe]')"
                  ".forEach(node => node.remove())")
    accessibility.violations.clear()  # the probe was deliberate


def test_public_and_error_pages_are_accessible(page, live_server, world):
    """Pages outside the journeys: each load is audited by the hook."""
    for path, text in [("/faq", "常見問題"), ("/contact", "049-2910960"), ("/documents", "操作文件"),
                       ("/register", "新建帳號"), ("/no-such-page", "找不到網頁")]:
        page.goto(live_server + path)
        page.wait_for_load_state("networkidle")
        assert text in page.content(), path
    from support import PASSWORD, browser_login

    browser_login(page, live_server, world["unit"], PASSWORD)
    response = page.goto(live_server + "/counties/63000/333601/current")  # another unit's page
    page.wait_for_load_state("networkidle")
    assert response.status in (403, 404)


def test_the_body_limit_page_is_accessible(page, live_server):
    """The 413 page comes from WSGI middleware outside Pyramid: its own markup is checked."""
    from webob import Request

    from cgs_portal.site.limits import BodyLimit

    too_large = Request.blank("/login", method="POST", environ={"CONTENT_LENGTH": "99"})
    response = too_large.get_response(BodyLimit(None, max_bytes=10))
    page.route(live_server + "/too-large", lambda route: route.fulfill(
        status=413, headers=dict(response.headers), body=response.body))
    page.goto(live_server + "/too-large")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "送出的資料太大"


def test_the_pages_issue_10_added_are_accessible(page, live_server, world, app, settings):
    """The captcha forms, the reset confirmation reached from a mail, and the paged audit log."""
    import webtest

    from support import PASSWORD, browser_login, mail_link, relative

    for path, text in [("/forgot-password", "忘記密碼"), ("/change-email", "變更信箱")]:
        page.goto(live_server + path)
        page.wait_for_load_state("networkidle")
        assert text in page.content(), path
    form = webtest.TestApp(app).get("/forgot-password").forms["forgot-form"]
    form["login"], form["email"] = world["unit"], "wang@example.invalid"
    form["password"] = form["password_repeat"] = "Blue7Sky9Lake"
    form.submit("submit")
    page.goto(live_server + relative(mail_link(settings, "wang@example.invalid")))
    page.wait_for_load_state("networkidle")
    assert page.locator("#confirm-form").count() == 1
    browser_login(page, live_server, world["admin"], PASSWORD)
    page.goto(live_server + "/audit-log")
    page.wait_for_load_state("networkidle")
    assert "稽核紀錄" in page.content()
