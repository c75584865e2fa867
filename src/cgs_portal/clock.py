"""The one clock: every date decision in the portal asks it.

Production reads the system clock in Asia/Taipei. Tests and the demo can pin or
shift it through the ``cgs.clock.now`` setting (an ISO timestamp) or at run
time through :func:`set_now` on the registry's clock.
"""
from __future__ import annotations

import datetime as dt
import time

# Taiwan keeps UTC+8 all year (no DST). A fixed-offset tzinfo, unlike ZoneInfo,
# pickles cleanly into the ZODB.
TAIPEI = dt.timezone(dt.timedelta(hours=8), "Asia/Taipei")


class Clock:
    """Answers ``now()`` (aware, Asia/Taipei) and ``today()``."""

    def __init__(self, fixed: dt.datetime | None = None):
        self._fixed = fixed
        self._offset = dt.timedelta(0)

    def now(self) -> dt.datetime:
        if self._fixed is not None:
            return self._fixed + self._offset
        return dt.datetime.now(TAIPEI) + self._offset

    def today(self) -> dt.date:
        return self.now().date()

    def set_now(self, when: dt.datetime | dt.date | str | None) -> None:
        """Pin the clock (tests, demo); ``None`` returns to real time."""
        self._fixed = parse_when(when) if when is not None else None
        self._offset = dt.timedelta(0)

    def advance(self, delta: dt.timedelta) -> None:
        self._offset += delta


class RunningClock(Clock):
    """A clock that starts at a given instant and then runs (the peak bench and the storage
    restart tests: a pinned clock gives every request the same instant, so the audit log's
    time-ordered keys collide far more often than on a real day)."""

    def __init__(self, start: dt.datetime):
        super().__init__(start)
        self._started = time.monotonic()

    def now(self) -> dt.datetime:
        return super().now() + dt.timedelta(seconds=time.monotonic() - self._started)


def wall_seconds() -> float:
    """Seconds since the epoch on the real clock, never pinned or shifted.

    For security timers that run on elapsed time rather than on the portal's date — the
    session's absolute lifetime, like Pyramid's idle timeout — so that pinning or moving the
    clock (tests, the demo) neither ends sessions nor keeps them alive forever.
    """
    return time.time()


def parse_when(value) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.strip())
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(9, 0))
    if value.tzinfo is None:
        value = value.replace(tzinfo=TAIPEI)
    return value.astimezone(TAIPEI)


def clock_from_settings(settings) -> Clock:
    fixed = (settings or {}).get("cgs.clock.now") or None
    return Clock(parse_when(fixed) if fixed else None)


def get_clock(registry_or_request) -> Clock:
    """The clock of a registry (or of a request's registry)."""
    registry = getattr(registry_or_request, "registry", registry_or_request)
    clock = getattr(registry, "cgs_clock", None)
    if clock is None:
        clock = clock_from_settings(getattr(registry, "settings", None))
        registry.cgs_clock = clock
    return clock


def includeme(config):
    config.registry.cgs_clock = clock_from_settings(config.get_settings())
    config.add_request_method(lambda request: get_clock(request), "clock", reify=True)
