"""Rate-limit policies counted per instance (the media proxy) never touch the database."""

from __future__ import annotations

import mongomock
import pytest

from common.errors import TooManyRequests
from common.ratelimit import DatabaseStorage, RateLimits


def test_per_instance_policy_limits_in_memory_and_writes_nothing_to_the_database() -> None:
    collection = mongomock.MongoClient().db.rate_limits
    limits = RateLimits(DatabaseStorage(lambda: collection), lambda: {"proxy": "2/minute", "ip": "2/minute"},
                        per_instance=frozenset({"proxy"}))
    limits.hit("proxy", "203.0.113.9")
    limits.hit("proxy", "203.0.113.9")
    with pytest.raises(TooManyRequests) as raised:
        limits.hit("proxy", "203.0.113.9")
    assert 1 <= int(raised.value.headers["Retry-After"]) <= 60
    limits.hit("proxy", "198.51.100.1")  # another client has its own count
    assert collection.count_documents({}) == 0
    limits.hit("ip", "203.0.113.9")  # a shared policy still counts in the database
    assert collection.count_documents({}) == 1
