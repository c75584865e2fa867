"""cgs-portal: 高級中等以下學校輔導工作成果填報系統.

``main()`` builds the standalone WSGI app; ``includeme()`` lets another Pyramid
site mount the portal with ``config.include('cgs_portal')``.
"""
from __future__ import annotations

import math
import os
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from pyramid.config import Configurator
from pyramid.session import SignedCookieSessionFactory
from pyramid.settings import asbool

from .retrycount import RETRY_ATTEMPTS

PROJECT_DIR = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = PROJECT_DIR / "templates"

# Environment variables that override ini settings (production secrets stay out of files).
ENVIRONMENT_SETTINGS = {
    "CGS_SESSION_SECRET": "cgs.session_secret",
    "CGS_ZODB_URI": "zodbconn.uri",
    "CGS_SMTP_HOST": "mail.host",
    "CGS_SMTP_PORT": "mail.port",
    "CGS_SMTP_USERNAME": "mail.username",
    "CGS_SMTP_PASSWORD": "mail.password",
    "CGS_SMTP_TLS": "mail.tls",
    "CGS_MAIL_SENDER": "mail.default_sender",
    "CGS_MAIL_QUEUE": "mail.queue_path",
    "CGS_PUBLIC_URL": "cgs.public_url",
}


def settings_with_environment(settings: dict, environ=os.environ) -> dict:
    settings = dict(settings)
    for env_name, key in ENVIRONMENT_SETTINGS.items():
        if environ.get(env_name):
            settings[key] = environ[env_name]
    return settings


# A production secret must carry at least this much (estimated) entropy: 32 random bytes
# as hex (secrets.token_hex(32)) or base64 (secrets.token_urlsafe(32)) give ~200 bits.
MIN_SECRET_BITS = 128
MIN_SECRET_DISTINCT = 12
GENERATE_SECRET = 'python3 -c "import secrets; print(secrets.token_urlsafe(32))"'


def estimated_secret_bits(secret: str) -> float:
    """Shannon entropy of the secret's characters times its length (an upper estimate)."""
    counts = Counter(secret)
    return -sum(n * math.log2(n / len(secret)) for n in counts.values())


def check_session_secret(secret, *, production: bool) -> None:
    """Raise ValueError for a missing, short or (in production) guessable secret."""
    if not secret or not secret.strip():
        raise ValueError("cgs.session_secret is required (set CGS_SESSION_SECRET in production)")
    if len(secret) < 32:
        raise ValueError("cgs.session_secret must be at least 32 characters long")
    if not production:
        return
    if "change-me" in secret.lower() or "changeme" in secret.lower():
        raise ValueError("cgs.session_secret is a placeholder: generate one with " + GENERATE_SECRET)
    if (len(set(secret)) < MIN_SECRET_DISTINCT
            or estimated_secret_bits(secret) < MIN_SECRET_BITS):
        raise ValueError(
            "cgs.session_secret is too guessable for production (too few distinct characters): "
            "generate one with " + GENERATE_SECRET)


def check_public_url(url) -> None:
    """Production builds every mailed link on cgs.public_url, never on the Host header."""
    if not url:
        raise ValueError("cgs.public_url is required in production (set CGS_PUBLIC_URL, "
                         "e.g. https://cgs.example.edu.tw): mailed links must not follow the Host header")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"cgs.public_url must be an absolute http(s) base URL, not {url!r}")


# The storages a deployment may name (memory:// would lose every filing at a restart).
PRODUCTION_STORAGES = ("zeo", "zconfig", "file")


def check_zodb_uri(uri) -> None:
    """Production names its storage in CGS_ZODB_URI: production.ini has no fallback."""
    if not uri or not uri.strip():
        raise ValueError("zodbconn.uri is required in production (set CGS_ZODB_URI, e.g. "
                         "zconfig:///etc/cgs/relstorage-1.conf or zeo://…; see docs/deploy.md)")
    scheme = urlsplit(uri.strip()).scheme
    if scheme not in PRODUCTION_STORAGES:
        raise ValueError("zodbconn.uri must name a persistent storage in production "
                         f"({', '.join(s + '://' for s in PRODUCTION_STORAGES)}), not {scheme or uri!r}")


# A queue of flash messages keeps at most this many (the newest): a page that flashes and
# redirects, requested again and again without following, must not overflow the 4 KB cookie.
MAX_FLASHES = 5


def portal_session_factory(secret, **options):
    """Pyramid's signed cookie session whose flash queues drop duplicates and stay short."""
    base = SignedCookieSessionFactory(secret, **options)

    class PortalSession(base):
        def flash(self, msg, queue="", allow_duplicate=False):
            super().flash(msg, queue, allow_duplicate=False)
            key = "_f_" + queue
            if len(self[key]) > MAX_FLASHES:
                self[key] = self[key][-MAX_FLASHES:]

    return PortalSession


def main(global_config, **settings):
    """The standalone portal (pserve, waitress, gunicorn …), behind the request body cap."""
    from .site.errors import LastResort
    from .site.headers import hsts_enabled
    from .site.limits import DEFAULT_MAX_BODY_BYTES, BodyLimit

    settings = settings_with_environment(settings)
    with Configurator(settings=settings) as config:
        config.include("cgs_portal")
        from .resources.root import root_factory

        config.set_root_factory(root_factory)
    settings = config.registry.settings
    max_bytes = int(settings.get("cgs.max_body_bytes") or DEFAULT_MAX_BODY_BYTES)
    # Outermost: pyramid_retry copies the body before any tween could refuse it. Under it the
    # safety net for an exception that escaped the exception views (logged, zh-Hant page).
    hsts = hsts_enabled(settings)
    return BodyLimit(LastResort(config.make_wsgi_app(), hsts=hsts), max_bytes, hsts=hsts)


def sync_with_zeo_servers(registry) -> None:
    """Make every ZEO client ask its server at the start of each transaction (``server_sync``).

    Without it a new transaction of one process may begin before the invalidations of
    another process's commit have arrived, and a statistics answer right after a filing is
    stale (measured over ZEO: 4 of 30; with it 0 of 30, at one round trip per transaction).
    zodburi's ``zeo://`` URI cannot set the option, and a ``zconfig://`` file may forget it:
    the portal turns it on for every ClientStorage it opens (docs/statistics.md)."""
    try:
        from ZEO.ClientStorage import ClientStorage
    except ImportError:  # pragma: no cover - ZEO is a dependency
        return
    for db in getattr(registry, "_zodb_databases", {}).values():
        if isinstance(db.storage, ClientStorage):
            db.storage.server_sync = True


def includeme(config):
    """Include every concern first; each concern scans itself."""
    settings = config.get_settings()
    settings.setdefault("tm.manager_hook", "pyramid_tm.explicit_manager")
    settings.setdefault("retry.attempts", str(RETRY_ATTEMPTS))
    # Not pyramid_tm's default: annotating the transaction with the user reads the account
    # in pyramid_tm's tween, above the exception views, where a database that is gone
    # escapes to the server as a bare 500 (site/errors.py). The audit logs record who did it.
    settings["tm.annotate_user"] = "false"
    settings.setdefault("pyramid.default_locale_name", "zh_Hant")
    # Pyramid's locale negotiator reads the unprefixed key, which the Configurator derives
    # from the ini only when it is created, not from a default set here.
    settings.setdefault("default_locale_name", settings["pyramid.default_locale_name"])
    secret = settings.get("cgs.session_secret")
    # `cgs.production = true` (production.ini) marks a deployment for real users: it then
    # refuses a guessable secret and starts only with cgs.public_url and zodbconn.uri set.
    production = asbool(settings.get("cgs.production", False))
    check_session_secret(secret, production=production)
    if production:
        check_public_url(settings.get("cgs.public_url"))
        check_zodb_uri(settings.get("zodbconn.uri"))

    config.include("pyramid_chameleon")
    config.include(".site.compile_lock")  # CPython 3.11 cannot compile templates in parallel threads
    config.include("pyramid_tm")
    config.include("pyramid_retry")
    config.include("pyramid_zodbconn")
    sync_with_zeo_servers(config.registry)

    templates_dir = settings.get("cgs.templates_dir") or str(TEMPLATES_DIR)
    config.override_asset(to_override="cgs_portal:templates/", override_with=templates_dir + "/")

    config.set_session_factory(
        portal_session_factory(
            secret,
            cookie_name="cgs_session",
            timeout=int(settings.get("cgs.session_idle_seconds", 1800)),
            reissue_time=int(settings.get("cgs.session_reissue_seconds", 60)),
            httponly=True,
            samesite="Lax",
            secure=asbool(settings.get("cgs.secure_cookies", False)),
        )
    )
    config.set_default_csrf_options(require_csrf=True)

    config.include(".clock")
    config.include(".retrycount")  # counts pyramid_retry's retries (bench/peak.py's conflicts_retried)
    config.include(".evolve")  # first: the other concerns add their evolution steps
    config.include(".mail")
    config.include(".forms")
    config.include(".site")
    config.include(".accounts")
    config.include(".accounts.throttle")  # its own evolve concern (the flat event tree)
    config.include(".reporting")
    config.include(".helper")
    config.include(".statistics")
    config.include(".reminders")
    config.include(".content")
    config.include(".directory_admin")
    config.include("cgs_portal.statistics.views.history")
    config.include(".statistics.views.query")
    config.include(".statistics.views.records")
    config.include(".admin")
    config.add_static_view("static", "cgs_portal:static", cache_max_age=3600)
    config.add_static_view("deform_static", "deform:static", cache_max_age=3600)
    config.add_tween("cgs_portal.site.headers.security_headers_tween_factory")
