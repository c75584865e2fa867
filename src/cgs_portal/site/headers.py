"""Security headers on every response: a strict CSP and friends, HSTS and no-store.

Every page but the static assets is ``Cache-Control: no-store``: anonymous pages echo
personal data too (a registration form with name, phone and e-mail, the confirm page),
so no browser or proxy cache keeps any of them. ``/static`` and ``/deform_static`` keep
their ``max-age``. HSTS is sent when ``cgs.secure_cookies`` is true, i.e. when the
portal is served over HTTPS (production.ini).
"""
from __future__ import annotations

from pyramid.settings import asbool

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"


def security_headers(*, hsts: bool) -> list[tuple[str, str]]:
    """The headers every response carries (the body-limit middleware's pages too)."""
    headers = [
        ("Content-Security-Policy", CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ]
    if hsts:
        headers.append(("Strict-Transport-Security", HSTS))
    return headers


def hsts_enabled(settings) -> bool:
    return asbool(settings.get("cgs.secure_cookies", False))


def is_static_asset(request) -> bool:
    route = request.matched_route
    return route is not None and route.name.startswith("__")  # add_static_view's routes


def security_headers_tween_factory(handler, registry):
    items = security_headers(hsts=hsts_enabled(registry.settings))

    def tween(request):
        response = handler(request)
        headers = response.headers
        for name, value in items:
            headers.setdefault(name, value)
        if not is_static_asset(request):
            headers.setdefault("Cache-Control", "no-store")
        return response

    return tween
