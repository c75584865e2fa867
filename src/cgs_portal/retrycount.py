"""How often this process retried a request, and why: the ``conflicts_retried`` of bench/peak.py.

pyramid_retry announces every retry with a ``BeforeRetry`` event carrying the exception.
The subscriber here counts them by kind (``conflict`` for any ``ConflictError``, including
read conflicts; ``disconnected`` for a storage server that cannot be reached; otherwise
the exception's class name) in ``registry.cgs_retries``, logs each one, and before
retrying waits a little: a disconnect 0.5 s, 1.5 s, then 3 s (a restarting ZEO server or
PostgreSQL needs a moment to come back); a ConflictError a random 0–50 ms times the attempt,
so that requests that collided on the same bucket do not collide again at once (measured by
bench/peak.py: with immediate retries, at 4 processes a few logins and uploads used up their
attempts on the same hot bucket and got the 503 page).

Objects that every filing writes are its unit's own or conflict-resolving (its ledger entry
is in the unit's bucket, ``reporting.ledger``; ``County.filing_generation`` is a
``BTrees.Length``; the login throttle is a BTree of distinct keys; the audit log gives each
connection of a process a tree of its own, so a bucket split conflicts with nothing,
``accounts.audit``; the captcha store merges concurrent uses), so on the filing-day peak the
conflict count stays near zero: bench/peak.py reads it from every process through the
testing-only ``/test-retry-count`` view (``cgs.testing = true``).
"""
from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections import Counter

from pyramid_retry import IBeforeRetry
from ZODB.POSException import ConflictError

log = logging.getLogger("cgs_portal.retry")

DISCONNECT_PAUSES = (0.5, 1.5, 3.0)  # seconds before the 1st, 2nd, 3rd (and later) retry of a disconnect
# Attempts of a request in all (pyramid_retry's ``retry.attempts`` unless the ini sets it):
# a conflict on a hot bucket rarely survives four jittered retries; a disconnect is ridden out
# for ~10 s of pauses plus the storage client's own waits.
RETRY_ATTEMPTS = 5
CONFLICT_JITTER = 0.05  # at most this many seconds times the attempt before retrying a conflict


class RetryCounter:
    """Thread-safe counts of retries by kind, for this process."""

    def __init__(self):
        self._lock = threading.Lock()
        self.counts: Counter = Counter()

    def add(self, kind: str) -> None:
        with self._lock:
            self.counts[kind] += 1

    def snapshot(self) -> dict:
        with self._lock:
            return dict(self.counts)


def kind_of(exc) -> str:
    from .site.errors import disconnect_errors

    if isinstance(exc, ConflictError):
        return "conflict"
    if isinstance(exc, disconnect_errors()):
        return "disconnected"
    return type(exc).__name__


def before_retry(event) -> None:
    request = event.request
    kind = kind_of(event.exception)
    request.registry.cgs_retries.add(kind)
    attempt = request.environ.get("retry.attempt", 0)
    log.info("retrying %s %s after %s (attempt %d): %s", request.method, request.path[:200], kind,
             attempt + 1, str(event.exception)[:200])
    time.sleep(pause_before_retry(kind, attempt))


def pause_before_retry(kind: str, attempt: int) -> float:
    """Seconds to wait before retry number ``attempt + 1`` of a request that failed with ``kind``."""
    if kind == "disconnected":
        return DISCONNECT_PAUSES[min(attempt, len(DISCONNECT_PAUSES) - 1)]
    if kind == "conflict":
        return random.uniform(0.0, CONFLICT_JITTER * (attempt + 1))
    return 0.0


def retry_count_for_tests(request):
    """Test-only (``cgs.testing``): this process's retry counts."""
    return {"pid": os.getpid(), "retries": request.registry.cgs_retries.snapshot()}


def includeme(config):
    from pyramid.settings import asbool

    from .resources import PortalRoot
    from .security import Perm

    config.registry.cgs_retries = RetryCounter()
    config.add_subscriber(before_retry, IBeforeRetry)
    if asbool(config.get_settings().get("cgs.testing", False)):
        config.add_view(retry_count_for_tests, context=PortalRoot, name="test-retry-count",
                        renderer="json", permission=Perm.SITE_VIEW, http_cache=0)
