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
    config.add_tween("cgs_portal.accounts.hosts.public_redirects_tween_factory")
    config.add_role_menu_item("helpdesk", "account-reset", "帳號重置")
    config.add_role_menu_item("admin", "account-reset", "帳號重置")
    config.add_role_menu_item("admin", "officials", "建立帳號")
    config.add_role_menu_item("admin", "audit-log", "稽核紀錄")
    config.scan(".")
