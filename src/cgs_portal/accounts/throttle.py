"""Rate limits: N failures per key within a window lock the key for a while.

Failures are kept in the ZODB, so every app process sees the same counts. Keys are
strings such as ``login:010300_a001`` or ``ip:203.0.113.5``; a key that names no real
account is counted the same way, so the answers never tell which accounts exist.

The storage is one flat ``OOBTree`` (``root.throttle``) of events, never a record per key
that every failure rewrites: a failure is the entry ``(key, "failure", when, token)`` and
a lockout ``(key, "lock", locked_at, token) -> until``, with a random ``token``. Parallel
failures for one key therefore insert *different* keys, which the BTree's conflict
resolution merges, where one shared record per key made thirty parallel wrong passwords
end in ConflictErrors and 500s once retries ran out (issue 10, item 14). A key's entries
are one range of the tree (``key_range``). Failures before a key's latest lock no longer
count (the lock used up the count); a failure keeps its rule (limit, window, lock length),
so ``locked_until`` also sees a limit reached by parallel failures that each recorded no
lockout. Each new failure prunes the key's entries older than a day.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from BTrees.OOBTree import OOBTree

WINDOW = dt.timedelta(minutes=15)
LOCK_FOR = dt.timedelta(minutes=15)
MAX_FAILURES = 5
LOCK_MINUTES = int(LOCK_FOR.total_seconds() // 60)
FAILURE, LOCK = "failure", "lock"


def key_range(store, key: str):
    """The ``(entry, value)`` pairs of ``key``: no other key's string falls between these bounds."""
    return store.items(min=(key,), max=(key + "\x00",), excludemax=True)


def locks_of(store, key: str) -> list[tuple[dt.datetime, dt.datetime]]:
    """``(locked_at, until)`` of the key's lockouts, oldest first."""
    return [(entry[2], until) for entry, until in key_range(store, key) if entry[1] == LOCK]


def counted_failures(store, key: str, now: dt.datetime) -> list[tuple[dt.datetime, tuple]]:
    """``(when, (limit, window s, lock s))`` of the failures that count: inside their window
    and after the key's latest lockout (a lockout uses up the count), oldest first."""
    restart = max((at for at, _until in locks_of(store, key)), default=None)
    return [(entry[2], rule) for entry, rule in key_range(store, key)
            if entry[1] == FAILURE and (restart is None or entry[2] > restart)
            and now - entry[2] < dt.timedelta(seconds=rule[1])]


def key_locked_until(store, key: str, now: dt.datetime) -> dt.datetime | None:
    """When the key's lockout ends, or None.

    Besides the recorded lockouts, enough counted failures lock the key by themselves:
    parallel requests each see fewer than the limit and record no lockout, yet together
    they reach it, and the key is then locked from the failure that reached the limit."""
    ends = [until for _at, until in locks_of(store, key) if until > now]
    failures = counted_failures(store, key, now)
    if failures:
        limit, _window, lock_seconds = failures[-1][1]
        if len(failures) >= limit:
            ends.append(failures[limit - 1][0] + dt.timedelta(seconds=lock_seconds))
    return max((end for end in ends if end > now), default=None)


def locked_until(root, keys, now: dt.datetime) -> dt.datetime | None:
    """The latest lock end among ``keys`` still in force, or None."""
    store = getattr(root, "throttle", None)
    if store is None:
        return None
    return max(filter(None, (key_locked_until(store, key, now) for key in keys)), default=None)


def record_failure(
    root, keys, now: dt.datetime, *, limit: int = MAX_FAILURES, window=WINDOW, lock_for=LOCK_FOR
) -> bool:
    """Count a failure against every key; True when this failure locked one of them."""
    store = root.throttle  # created by the accounts evolve step
    rule = (limit, int(window.total_seconds()), int(lock_for.total_seconds()))
    locked = False
    for key in keys:
        prune(store, key, now)
        recent = len(counted_failures(store, key, now))
        store[(key, FAILURE, now, secrets.token_hex(8))] = rule
        if recent + 1 >= limit:
            store[(key, LOCK, now, secrets.token_hex(8))] = now + lock_for
            locked = True
    return locked


def prune(store, key: str, now: dt.datetime) -> None:
    """Drop the key's entries older than a day once they no longer matter: failures past their
    window, lockouts that have ended (a day is longer than any window or lockout in use)."""
    horizon = now - dt.timedelta(days=1)
    stale = [entry for entry, value in key_range(store, key)
             if entry[2] <= horizon and (entry[1] == FAILURE or value <= now)]
    for entry in stale:
        del store[entry]


def clear(root, keys) -> None:
    store = getattr(root, "throttle", None)
    if store is None:
        return
    for key in keys:
        for entry in list(store.keys(min=(key,), max=(key + "\x00",), excludemax=True)):
            del store[entry]


def step_1_flat_events(root, registry):
    """Replace the per-key records of older databases by the flat event tree (counts restart)."""
    store = getattr(root, "throttle", None)
    if store is None or any(isinstance(k, str) for k in store.keys()):
        root.throttle = OOBTree()


def includeme(config):
    config.add_evolution_step("throttle", 1, "login throttle as a flat tree of events",
                              step_1_flat_events)


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
