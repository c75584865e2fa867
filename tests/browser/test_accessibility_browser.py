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


def test_error_pages_are_accessible(page, live_server, world):
    page.goto(live_server + "/no-such-page")
    assert "找不到網頁" in page.content()
