"""Every account page exists with the permission the guides imply (the matrix then checks roles)."""
from __future__ import annotations

from cgs_portal.security import Perm

EXPECTED_VIEWS = {
    "register": Perm.SITE_VIEW,
    "lookup": Perm.SITE_VIEW,
    "forgot-password": Perm.SITE_VIEW,
    "change-email": Perm.SITE_VIEW,
    "confirm": Perm.SITE_VIEW,
    "set-password": Perm.SITE_VIEW,
    "unit-search": Perm.SITE_VIEW,
    "dev-outbox": Perm.SITE_VIEW,
    "account": Perm.MEMBER,
    "change-password": Perm.MEMBER,
    "change-login": Perm.MEMBER,
    "account-reset": Perm.ACCOUNTS_RESET,
    "audit-log": Perm.ADMIN,
    "officials": Perm.ADMIN,
}


def test_account_views_and_permissions(app):
    from test_permissions import registered_views

    found = {name: permission for kind, name, _m, permission, _i in registered_views(app) if kind == "root"}
    for name, permission in EXPECTED_VIEWS.items():
        assert found.get(name) == permission, name


def test_account_pages_are_no_longer_coming_soon(testapp, world):
    for name in ("register", "lookup", "forgot-password", "change-email"):
        assert "coming-soon" not in testapp.get(f"/{name}").text


def test_menus(testapp, world):
    from support import login

    login(testapp, world["admin"])
    nav = testapp.get("/").html.find("nav").get_text()
    for label in ("帳號管理", "修改密碼", "帳號重置", "建立帳號", "稽核紀錄"):
        assert label in nav
