"""Request rate limits on the `limits` library, with counters in our MongoDB (shared by every instance).

`limits` ships a MongoDB storage, but it cannot serve here: it builds its own
`MongoClient` from a URI (the embedded store has none), its fixed-window
`incr` is an aggregation-pipeline update that mongomock does not evaluate
(it raises `TypeError`), its moving window answers wrongly on mongomock
(one hit of three allowed), and it reads the wall clock, which tests cannot
move. `DatabaseStorage` is the small `limits.storage.Storage` backend on our
`Database`: one atomic conditional update per hit, the injected clock, and
a TTL index that lets MongoDB drop expired counters.

The client IP comes from `client_ip`: `X-Forwarded-For` is believed only for
hops that are trusted proxies (RFC 7239 §7.4's advice: trust only what your
own proxies added), walking from the socket peer leftwards.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage
from limits.strategies import FixedWindowRateLimiter
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError, PyMongoError

from common import clock
from common.errors import TooManyRequests

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class DatabaseStorage(Storage):
    """Fixed-window counters in the `rate_limits` collection: `{_id: key, count, expire_at}`."""

    STORAGE_SCHEME = ["sora-db"]

    def __init__(self, collection: Callable[[], Any], now: Callable[[], datetime] | None = None) -> None:
        super().__init__(uri=None)
        self._collection = collection
        self._now = now or (lambda: clock.now())

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        """The storage's failure exceptions for `limits` (pymongo's PyMongoError)."""
        return PyMongoError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add `amount` to the live counter, or start a new window of `expiry` seconds. Atomic."""
        coll = self._collection()
        for _ in range(5):
            now = self._now()
            live = coll.find_one_and_update(
                {"_id": key, "expire_at": {"$gt": now}}, {"$inc": {"count": amount}},
                return_document=ReturnDocument.AFTER,
            )
            if live is not None:
                return int(live["count"])
            try:  # no live window: restart it (an expired document is replaced, a missing one inserted)
                # (update_one, not find_one_and_update: the count is `amount` by construction, and
                # mongomock re-reads an updated document through the filter, which it no longer matches)
                coll.update_one(
                    {"_id": key, "$or": [{"expire_at": {"$lte": now}}, {"expire_at": None}]},
                    {"$set": {"count": amount, "expire_at": now + timedelta(seconds=expiry)}},
                    upsert=True,
                )
                return amount
            except DuplicateKeyError:
                continue  # another instance started the window first: count in it
        raise TooManyRequests("Too many requests at once. Please slow down.")

    def get(self, key: str) -> int:
        """The count of the live window `key`, 0 when none."""
        doc = self._collection().find_one({"_id": key, "expire_at": {"$gt": self._now()}})
        return int(doc["count"]) if doc else 0

    def get_expiry(self, key: str) -> float:
        """When window `key` expires, as POSIX seconds (now when there is no window)."""
        doc = self._collection().find_one({"_id": key})
        at = clock.as_utc(doc["expire_at"]) if doc and doc.get("expire_at") else self._now()
        return at.timestamp()

    def check(self) -> bool:
        """Always True: the database's health is reported by /api/health, not by the limiter."""
        return True

    def reset(self) -> int | None:
        """Delete every window; the number deleted."""
        return int(self._collection().delete_many({}).deleted_count)

    def clear(self, key: str) -> None:
        self._collection().delete_one({"_id": key})


class RateLimits:
    """Named policies (`"login"`, `"upload"`, …) of `limits` strings, checked per identity."""

    def __init__(self, storage: DatabaseStorage, policies: Callable[[], dict[str, str]], *, enabled: bool = True,
                 now: Callable[[], datetime] | None = None, per_instance: frozenset[str] = frozenset()) -> None:
        """`per_instance` names policies counted in this process's memory (`limits`' MemoryStorage)
        instead of the shared database: for hot routes where a database write per request costs more
        than an instance-local bound is worth (the media proxy: every seek is a request, and its
        links are already signed capabilities)."""
        self._limiter = FixedWindowRateLimiter(storage)
        self._storage = storage
        self._local_storage = MemoryStorage()
        self._local_limiter = FixedWindowRateLimiter(self._local_storage)
        self._per_instance = per_instance
        self._policies = policies
        self._enabled = enabled
        self._now = now or (lambda: clock.now())
        self._parsed: dict[str, list[RateLimitItem]] = {}

    def items(self, policy: str) -> list[RateLimitItem]:
        """The parsed `limits` items of policy `policy` (e.g. "5/minute;100/day"); empty when the policy is unset."""
        spec = self._policies().get(policy, "")
        cache_key = f"{policy}={spec}"
        if cache_key not in self._parsed:
            self._parsed[cache_key] = parse_many(spec) if spec.strip() else []
        return self._parsed[cache_key]

    def hit(self, policy: str, identity: str) -> None:
        """Count one request of `identity` against `policy`; TooManyRequests (429 `rate_limited`) over it.

        Raises with `Retry-After` (RFC 9110 §10.2.3) = seconds until the exhausted window resets.
        """
        if not self._enabled:
            return
        local = policy in self._per_instance
        limiter = self._local_limiter if local else self._limiter
        storage: Any = self._local_storage if local else self._storage
        for item in self.items(policy):
            if not limiter.hit(item, policy, identity):
                reset = storage.get_expiry(item.key_for(policy, identity))
                now = time.time() if local else self._now().timestamp()  # MemoryStorage keeps its own clock
                retry = max(1, math.ceil(reset - now))
                raise TooManyRequests(
                    "Too many requests. Please wait a moment and try again.",
                    details={"retry_after_s": retry, "limit": str(item)},
                    headers={"Retry-After": str(retry)},
                )


def parse_networks(specs: list[str]) -> list[Network]:
    """CIDRs (or single addresses) of trusted proxies; a malformed entry is a configuration error."""
    return [ipaddress.ip_network(s, strict=False) for s in specs]


def client_ip(remote_addr: str | None, forwarded_for: str | None, trusted: list[Network],
              real_ip: str | None = None) -> str:
    """The address of whoever sent the request to the first proxy we trust.

    Walk from the socket peer leftwards through `X-Forwarded-For` while the
    current hop is a trusted proxy; the first untrusted hop is the client. A
    client cannot spoof its way past this: entries it wrote itself sit left of
    the hop our proxy appended, and are reached only through trusted hops.

    `real_ip` is the `X-Real-IP` header. Cloud Run does not append to
    `X-Forwarded-For`, it replaces it with the address that connected to
    Google's front end (for traffic through the VPS Nginx: the VPS itself), so
    the walk ends on our own proxy with no hop left. Only then, with the last
    hop trusted, is `X-Real-IP` (which our Nginx sets to `$remote_addr`,
    overwriting the client's own) taken as the client. A direct client's
    `X-Real-IP` is never reached: its own address is not trusted.
    """
    current = (remote_addr or "").strip() or "unknown"
    hops = [h.strip() for h in (forwarded_for or "").split(",") if h.strip()] if trusted else []
    while hops and _is_trusted(current, trusted):
        candidate = hops.pop()
        try:
            current = str(ipaddress.ip_address(candidate))
        except ValueError:
            return current  # garbage in the header: stop at the last hop we could verify
    if real_ip and _is_trusted(current, trusted):
        try:
            return str(ipaddress.ip_address(real_ip.strip()))
        except ValueError:
            pass
    return current


def _is_trusted(address: str, trusted: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in trusted)
