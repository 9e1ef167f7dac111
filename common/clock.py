"""Time in one place, so tests and day boundaries agree (all UTC).

Services that decide by time (webhook tolerance, order expiry) take a `Clock` by
keyword; production passes `SYSTEM_CLOCK`, tests pass a `FrozenClock` they move
by hand, so no assertion depends on how fast the machine runs.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


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


def day_key(at: datetime | None = None) -> str:
    """`YYYY-MM-DD` of `at` (default: now), the key of a daily quota document."""
    return (at or now()).strftime("%Y-%m-%d")


def next_midnight(at: datetime | None = None) -> datetime:
    """The next 00:00 UTC after `at` (default: now): when daily quotas reset."""
    t = at or now()
    return (t + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def as_utc(value: datetime) -> datetime:
    """MongoDB returns naive UTC datetimes unless tz_aware; normalise either way."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
