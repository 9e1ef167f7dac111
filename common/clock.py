"""Time in one place, so tests and day boundaries agree (stored times are UTC).

Quota days may follow an IANA time zone (the admin setting `quota_timezone`):
`day_key` and `next_midnight` take it, and `next_midnight` answers in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=(datetime.now(UTC).microsecond // 1000) * 1000)


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
