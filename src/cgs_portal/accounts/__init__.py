"""Accounts: the Account resource, passwords, login and every account flow."""
from pyramid.settings import asbool


def includeme(config):
    from .policy import PortalSecurityPolicy

    config.set_security_policy(PortalSecurityPolicy())
    config.include(".evolve")
    config.include(".outbox")
    if asbool(config.get_settings().get("cgs.testing", False)):
        # Test-only hook: reveals the current captcha code. Never enabled in production.ini.
        from .captcha import captcha_code_for_tests

        config.add_view(captcha_code_for_tests, name="test-captcha-code",
                        context="cgs_portal.resources.PortalRoot", renderer="json",
                        permission="site.view")
        # Test-only hook: a valid second-factor code for the half-logged-in account (a route,
        # so the permission matrix, which walks the resource views, does not list it).
        from .factor import code_for_tests

        config.add_route("test-factor-code", "/test-factor-code")
        config.add_view(code_for_tests, route_name="test-factor-code", renderer="json",
                        permission="site.view")
    config.add_tween("cgs_portal.accounts.hosts.public_redirects_tween_factory")
    config.add_role_menu_item("helpdesk", "helpdesk", "客服查詢")
    config.add_role_menu_item("helpdesk", "account-reset", "帳號重置")
    config.add_role_menu_item("helpdesk", "factor-resets", "重設兩步驟驗證")
    config.add_role_menu_item("admin", "helpdesk", "客服查詢")
    config.add_role_menu_item("admin", "account-reset", "帳號重置")
    config.add_role_menu_item("admin", "officials", "建立帳號")
    config.add_role_menu_item("admin", "audit-log", "稽核紀錄")
    config.add_role_menu_item("admin", "factor-resets", "重設兩步驟驗證")
    config.scan(".")
