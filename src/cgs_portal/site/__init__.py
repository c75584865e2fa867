"""The site shell: layout, login/logout, public pages, error pages, security headers."""


def includeme(config):
    config.scan(".")
    config.include(".pages")
    from pyramid.settings import asbool

    if asbool(config.get_settings().get("cgs.testing", False)):
        # Test-only hook: reveals the current captcha code. Never enabled in production.ini.
        from .captcha import captcha_code_for_tests

        config.add_view(
            captcha_code_for_tests,
            name="test-captcha-code",
            context="cgs_portal.resources.PortalRoot",
            renderer="json",
            permission="site.view",
        )
