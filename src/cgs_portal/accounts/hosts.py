"""Redirects never take a forged ``Host`` header as their base.

Pyramid builds redirect locations from the request (``request.resource_url``, or WebOb
making a relative ``Location`` absolute), i.e. from the ``Host`` header the client sent.
Behind a proxy that passes any Host through, ``Host: evil.example`` on the login or logout
POST would answer with a redirect to evil.example (and a shared cache could keep it).

This tween rebases every redirect of a request whose host is not the portal's own —
``cgs.public_url``'s host, the hosts in ``cgs.allowed_hosts``, and outside production the
loopback names a developer or a test server uses — onto ``cgs.public_url``. Mailed links
never look at the request at all (``mail.portal_link``). It lives with the accounts because
the redirects it protects are authentication's (login, logout, the forbidden page's
「請先登入」), and it is authentication that e-mails links.
"""
from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from pyramid.settings import asbool, aslist

from ..mail import public_url

LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def allowed_hosts(settings) -> set[str]:
    hosts = {urlsplit(public_url(settings)).hostname}
    hosts |= {h.lower() for h in aslist(settings.get("cgs.allowed_hosts", ""))}
    if not asbool(settings.get("cgs.production", False)):
        hosts |= LOOPBACK
    return hosts


def rebase(location: str, request_host: str, base: str) -> str:
    """``location`` on ``base`` when it is relative or points at the request's own host."""
    parts = urlsplit(location)
    if parts.netloc and parts.netloc.lower() != request_host.lower():
        return location  # somewhere else on purpose (never built from the Host header)
    target = urlsplit(base)
    return urlunsplit((target.scheme, target.netloc, parts.path or "/", parts.query, parts.fragment))


def public_redirects_tween_factory(handler, registry):
    settings = registry.settings
    hosts = allowed_hosts(settings)
    base = public_url(settings)

    def public_redirects_tween(request):
        response = handler(request)
        location = response.headers.get("Location")
        if location and (urlsplit("//" + request.host).hostname or "") not in hosts:
            response.headers["Location"] = rebase(location, request.host, base)
        return response

    return public_redirects_tween
