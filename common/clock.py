"""Time in one place, so tests and day boundaries agree (all UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=(datetime.now(UTC).microsecond // 1000) * 1000)


def day_key(at: datetime | None = None) -> str:
    return (at or now()).strftime("%Y-%m-%d")


def next_midnight(at: datetime | None = None) -> datetime:
    t = at or now()
    return (t + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def as_utc(value: datetime) -> datetime:
    """MongoDB returns naive UTC datetimes unless tz_aware; normalise either way."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
