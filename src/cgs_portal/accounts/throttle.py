"""Rate limits: N failures per key within a window lock the key for a while.

Failures are kept in the ZODB (one small persistent record per key), so every
app process sees the same counts. Keys are strings such as ``login:010300_a001``
or ``ip:203.0.113.5``; a key that names no real account is counted the same way,
so the answers never tell which accounts exist.
"""
from __future__ import annotations

import datetime as dt
import hashlib

from persistent import Persistent
from persistent.list import PersistentList

WINDOW = dt.timedelta(minutes=15)
LOCK_FOR = dt.timedelta(minutes=15)
MAX_FAILURES = 5
LOCK_MINUTES = int(LOCK_FOR.total_seconds() // 60)


class Attempts(Persistent):
    def __init__(self):
        self.failures = PersistentList()
        self.locked_until = None


def locked_until(root, keys, now: dt.datetime) -> dt.datetime | None:
    """The latest lock end among ``keys`` still in force, or None."""
    store = getattr(root, "throttle", None)
    if store is None:
        return None
    latest = None
    for key in keys:
        record = store.get(key)
        if record is not None and record.locked_until and record.locked_until > now:
            latest = max(latest, record.locked_until) if latest else record.locked_until
    return latest


def record_failure(
    root, keys, now: dt.datetime, *, limit: int = MAX_FAILURES, window=WINDOW, lock_for=LOCK_FOR
) -> bool:
    """Count a failure against every key; True when this failure locked one of them."""
    store = root.throttle  # created by the accounts evolve step
    locked = False
    for key in keys:
        record = store.get(key)
        if record is None:
            record = store[key] = Attempts()
        recent = [t for t in record.failures if now - t < window]
        recent.append(now)
        record.failures = PersistentList(recent[-limit:])
        if len(recent) >= limit:
            record.locked_until = now + lock_for
            record.failures = PersistentList()
            locked = True
    return locked


def clear(root, keys) -> None:
    store = getattr(root, "throttle", None)
    if store is None:
        return
    for key in keys:
        if key in store:
            del store[key]


def client_address(request) -> str:
    """The client's address; behind trusted proxies, the hop the outermost trusted proxy added.

    With ``cgs.trust_forwarded_for`` each of the ``cgs.trusted_proxies`` proxies (default 1)
    appends the address it saw to X-Forwarded-For, so the client is the N-th entry from the
    right; everything left of it was written by the client and is ignored.
    """
    settings = request.registry.settings
    if settings.get("cgs.trust_forwarded_for") in ("true", "1", True):
        hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
        proxies = max(1, int(settings.get("cgs.trusted_proxies") or 1))
        if hops:
            return hops[-proxies] if len(hops) >= proxies else hops[0]
    return request.client_addr or "unknown"


# The password lockout (login and 變更信箱 share it): 5 failures in 15 minutes, per login and
# per address, lock both for 15 minutes.
KEY_MAX = 64  # longer names are stored as a digest: a key never grows with what a client sent


def bounded_key(prefix: str, name: str) -> str:
    """``prefix:name`` (normalised), or ``prefix#<sha256>`` when the name is long."""
    name = name.strip().lower()
    if len(name) <= KEY_MAX:
        return f"{prefix}:{name}"
    return f"{prefix}#{hashlib.sha256(name.encode('utf-8', 'replace')).hexdigest()[:40]}"


def password_keys(request, login: str) -> list[str]:
    return [bounded_key("login", login), bounded_key("ip", client_address(request))]


def password_locked_until(request, root, login: str) -> dt.datetime | None:
    """When the lockout of ``login`` (or of this address) ends, or None if not locked."""
    return locked_until(root, password_keys(request, login), request.clock.now())


def password_failed(request, root, login: str) -> bool:
    """Count a wrong password; True when this failure started a lockout."""
    return record_failure(root, password_keys(request, login), request.clock.now())


def address_failed(request, root) -> bool:
    """Count a wrong captcha against this address only: anyone may type a login, so a failure
    that proves nothing about the password must not lock its account. True when it locked."""
    return record_failure(root, password_keys(request, "")[1:], request.clock.now())


def password_succeeded(root, login: str) -> None:
    """A proven password ends the login's count (the address keeps its own)."""
    clear(root, [bounded_key("login", login)])
