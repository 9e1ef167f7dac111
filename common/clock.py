"""Time in one place, so tests and day boundaries agree (stored times are UTC).

Services that decide by time (webhook tolerance, order expiry) take a `Clock` by
keyword; production passes `SYSTEM_CLOCK`, tests pass a `FrozenClock` they move
by hand, so no assertion depends on how fast the machine runs.

Quota days may follow an IANA time zone (the admin setting `quota_timezone`):
`day_key` and `next_midnight` take it, and `next_midnight` answers in UTC.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def now() -> datetime:
    """The current UTC time, truncated to milliseconds (what MongoDB stores)."""
    t = datetime.now(UTC)
    return t.replace(microsecond=(t.microsecond // 1000) * 1000)


class Clock(Protocol):
    """A source of the current time: `now()` is an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real time (`common.clock.now`)."""

    def now(self) -> datetime:
        """The current UTC time, millisecond precision."""
        return now()


class FrozenClock:
    """A clock that moves only when told to (tests): `now()` returns the same instant until `advance`/`set`."""

    def __init__(self, at: datetime | None = None) -> None:
        self._at = as_utc(at) if at is not None else now()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The frozen instant."""
        with self._lock:
            return self._at

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward by `seconds` (may be negative); returns the new instant."""
        with self._lock:
            self._at = self._at + timedelta(seconds=seconds)
            return self._at

    def set(self, at: datetime) -> None:
        """Jump to `at` (made aware UTC)."""
        with self._lock:
            self._at = as_utc(at)


SYSTEM_CLOCK = SystemClock()


def zone(name: str | None) -> ZoneInfo:
    """The IANA zone `name` (e.g. "Asia/Shanghai"); UTC for None, "" or an unknown name."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def is_time_zone(name: str) -> bool:
    """True when `name` is an IANA time zone name this machine's tz database knows."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def day_key(at: datetime | None = None, tz: str | None = None) -> str:
    """The calendar day (YYYY-MM-DD) of `at` (default now) in zone `tz` (default UTC)."""
    return as_utc(at or now()).astimezone(zone(tz)).strftime("%Y-%m-%d")


def next_midnight(at: datetime | None = None, tz: str | None = None) -> datetime:
    """The next local midnight after `at` in zone `tz`, as a UTC datetime (DST-safe)."""
    local = as_utc(at or now()).astimezone(zone(tz))
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=local.tzinfo)
    return midnight.astimezone(UTC)


def as_utc(value: datetime) -> datetime:
    """MongoDB returns naive UTC datetimes unless tz_aware; normalise either way."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
