"""The permission matrix: every view × every role × own/other unit or county.

The expectations are a table of *permissions* (who holds each one where); the
functional part then requests every registered view as every role, so a new
view is covered as soon as it exists — and a view with a permission missing
from the table fails the test until someone decides who may use it.
"""
from __future__ import annotations

import datetime as dt
import io

import pytest
import webtest
from pyramid.authorization import ACLHelper, Authenticated, Everyone

from cgs_portal.security import Perm, user_principal
from support import csrf_token, login

ROLES = ["anonymous", "unit", "other_unit", "county", "other_county", "helpdesk", "admin"]
ALL = set(ROLES)
MEMBERS = ALL - {"anonymous"}
STAFF = {"admin"}

# Where each permission is granted: context kind -> roles allowed there.
# Context kinds: "root", "county" (新北 65000), "unit" (013601, the 'unit' role's own unit,
# in 新北), "report" (a monthly report of that unit). 'other_unit' belongs to 臺北 333601;
# 'other_county' is a 臺北 official.
EXPECTED = {
    Perm.SITE_VIEW: {"root": ALL, "county": ALL, "unit": ALL, "report": ALL},
    Perm.MEMBER: {"root": MEMBERS, "county": MEMBERS, "unit": MEMBERS, "report": MEMBERS},
    Perm.COUNTY_VIEW: {"root": STAFF, "county": STAFF | {"county"}, "unit": STAFF | {"county"},
                       "report": STAFF | {"county"}},
    Perm.UNIT_VIEW: {"root": STAFF, "county": STAFF, "unit": STAFF | {"unit"}, "report": STAFF | {"unit"}},
    Perm.UNIT_STATUS: {"root": STAFF, "county": STAFF | {"county"}, "unit": STAFF | {"unit", "county"},
                       "report": STAFF | {"unit", "county"}},
    Perm.REPORT_STATUS: {"root": STAFF, "county": STAFF | {"county"},
                         "unit": STAFF | {"unit", "county"}, "report": STAFF | {"unit", "county"}},
    Perm.REPORT_VIEW: {"root": STAFF, "county": STAFF, "unit": STAFF | {"unit"}, "report": STAFF | {"unit"}},
    Perm.REPORT_FILE: {"root": STAFF, "county": STAFF, "unit": STAFF | {"unit"}, "report": STAFF | {"unit"}},
    Perm.REPORT_AMEND: {"root": STAFF, "county": STAFF, "unit": STAFF | {"unit"}, "report": STAFF | {"unit"}},
    Perm.REPORT_ADMIN: {k: STAFF for k in ("root", "county", "unit", "report")},
    Perm.RECORDS_READ: {k: STAFF for k in ("root", "county", "unit", "report")},
    Perm.STATS_COUNTY: {"root": STAFF, "county": STAFF | {"county"}, "unit": STAFF | {"county"},
                        "report": STAFF | {"county"}},
    Perm.STATS_NATIONAL: {k: STAFF for k in ("root", "county", "unit", "report")},
    Perm.ACCOUNTS_MANAGE: {k: STAFF | {"helpdesk"} for k in ("root", "county", "unit", "report")},
    Perm.ACCOUNTS_RESET: {k: STAFF | {"helpdesk"} for k in ("root", "county", "unit", "report")},
    Perm.ADMIN: {k: STAFF for k in ("root", "county", "unit", "report")},
    Perm.REMIND_ADMIN: {k: STAFF for k in ("root", "county", "unit", "report")},
    Perm.CONSULT_ANSWER: {k: STAFF | {"helpdesk"} for k in ("root", "county", "unit", "report")},
}

LOGINS = {
    "unit": "013601_a001",
    "other_unit": "333601_b001",
    "county": "ntpc_gov",
    "other_county": "tpe_gov",
    "helpdesk": "helpdesk1",
    "admin": "admin1",
}


@pytest.fixture
def matrix_world(portal, world):
    from cgs_portal.resources import AcademicYear, MonthlyReport
    from support import add_account

    with portal() as root:
        add_account(root, "tpe_gov", role="county", county_code="63000", email="tpe@example.invalid")
        unit = root["counties"]["65000"]["013601"]
        year = unit.add("113", AcademicYear(113))
        report = year.add("2024-09", MonthlyReport(2024, 9, state="open"))
        # one stored upload, so the download views run for the roles allowed to use them
        from cgs_portal.reporting.models import Upload

        upload = Upload(1, "upload.xlsx", dt.datetime(2024, 10, 3, 9, 0), "013601_a001")
        upload.write_from(io.BytesIO(b"PK\x03\x04 not really a workbook"))
        upload.fatal = "無法讀取"
        report.uploads.append(upload)
    return world


def contexts(root):
    unit = root["counties"]["65000"]["013601"]
    return {
        "root": root,
        "county": root["counties"]["65000"],
        "unit": unit,
        "report": unit["113"]["2024-09"],
    }


def principals_of(root, role):
    if role == "anonymous":
        return [Everyone]
    account = root["accounts"][LOGINS[role]]
    return [Everyone, Authenticated, user_principal(account.login), *account.principals()]


def test_every_permission_is_in_the_table():
    declared = {v for k, v in vars(Perm).items() if k.isupper()}
    assert declared == set(EXPECTED)


@pytest.mark.parametrize("permission", sorted(EXPECTED))
def test_acl_matrix(portal, matrix_world, permission):
    acl = ACLHelper()
    with portal() as root:
        for kind, context in contexts(root).items():
            for role in ROLES:
                allowed = bool(acl.permits(context, principals_of(root, role), permission))
                expected = role in EXPECTED[permission][kind]
                assert allowed == expected, (permission, kind, role)


def registered_views(app):
    """(context kind, view name, method, permission) of every view registered on our resources."""
    from cgs_portal.resources import AcademicYear, County, MonthlyReport, PortalRoot, Unit

    kinds = {PortalRoot: "root", County: "county", Unit: "unit", MonthlyReport: "report",
             AcademicYear: "year"}
    found = []
    for item in app.registry.introspector.get_category("views"):
        intr = item["introspectable"]
        context = intr["context"]
        if context not in kinds or intr["name"] in ("test-captcha-code", "test-unexpected-error"):
            continue
        methods = intr["request_methods"]
        if isinstance(methods, str):
            methods = (methods,)
        method = "POST" if methods and "GET" not in methods else "GET"
        permission = None
        for related in item["related"]:
            if related.category_name == "permissions":
                permission = related["value"]
        found.append((kinds[context], intr["name"], method, permission, intr))
    return found


def test_every_view_declares_a_permission(app):
    missing = []
    for kind, name, _method, permission, _intr in registered_views(app):
        if permission is None:
            missing.append((kind, name))
        else:
            assert permission in EXPECTED, (kind, name, permission)
    assert not missing, f"views without a permission: {missing}"


def url_for(kind, name):
    base = {
        "root": "/",
        "county": "/counties/65000/",
        "unit": "/counties/65000/013601/",
        "year": "/counties/65000/013601/113/",
        "report": "/counties/65000/013601/113/2024-09/",
    }[kind]
    return base + name + QUERIES.get((kind, name), "")


# Views that need a parameter to do their real work (they answer something sensible without).
QUERIES = {
    ("report", "annotated"): "?upload=1",
    ("report", "original"): "?upload=1",
    ("unit", "month"): "?m=2024-09&upload=1",
    ("unit", "year"): "?ay=113",
}


def test_every_view_as_every_role(app, matrix_world, clock):
    clock.set_now(dt.datetime(2024, 10, 3, 9, 0))
    # Logging out ends the session: request it last so every other view runs logged in.
    views = sorted(registered_views(app), key=lambda v: v[1] == "logout" and v[2] == "POST")
    assert len(views) >= 10
    failures = []
    for role in ROLES:
        browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": f"192.0.2.{ROLES.index(role) + 20}"})
        if role != "anonymous":
            assert login(browser, LOGINS[role]).status_int == 302, role
        token = csrf_token(browser)
        seen = set()
        for kind, name, method, permission, _intr in views:
            if (kind, name, method) in seen:
                continue
            seen.add((kind, name, method))
            matrix_kind = "report" if kind == "year" else kind
            expected = role in EXPECTED[permission][matrix_kind]
            url = url_for(kind, name)
            if method == "POST":
                response = browser.post(url, {"csrf_token": token}, status="*", expect_errors=True)
            else:
                response = browser.get(url, status="*", expect_errors=True)
            status = response.status_int
            to_login = status == 302 and "/login?came_from=" in response.headers.get("Location", "")
            # The forbidden view marks its refusals in the environ (never sent): inside the
            # county/unit tree a refusal is the 404 page (issue 10, item 18), at the root a 403.
            refused = response.request.environ.get("cgs.denied", False)
            denied = (refused and status == (403 if kind == "root" else 404)) or (role == "anonymous" and to_login)
            if status >= 500:
                failures.append((role, method, url, status, "server error"))
            elif role != "anonymous" and to_login and name != "logout":
                failures.append((role, method, url, status, "session lost"))
            elif expected and denied:
                failures.append((role, method, url, status, "should be allowed"))
            elif not expected and not denied:
                failures.append((role, method, url, status, "should be denied"))
            elif refused and not denied:
                failures.append((role, method, url, status, "refused with the wrong status"))
    assert not failures, "\n".join(map(str, failures))
