"""Login throttling: per (account, client IP) and per client IP, a growing delay instead of a lockout.

OWASP's Authentication Cheat Sheet: throttle rather than lock, so that a
stranger cannot lock the owner out. Each key holds `n`, the attempts counted
in the current window (including ones still being verified), and `last_at`.
The first `free` attempts pass at once; attempt n > free must wait
`base · 2^(n-free-1)` seconds (capped) after the previous one, else 429
`rate_limited` with `Retry-After`. A window is forgotten `window_s` after the
last attempt.

The attempt is counted BEFORE the password is checked, by one compare-and-set
on `(n, last_at)`: of N parallel guesses exactly `free` get through to the
password check, the rest are refused; a right password arriving after them is
refused too. A success clears the (account, IP) key and gives back its
reservation on the IP key (a shared NAT of honest users is not punished).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from common import clock
from common.db import Database
from common.errors import TooManyRequests


@dataclass(frozen=True)
class ThrottlePolicy:
    """Exponential sign-in delay (OWASP Authentication Cheat Sheet: throttling): `free` attempts per window, then
    `base_delay_s` seconds doubling per attempt up to `max_delay_s`; a key is forgotten `window_s` seconds after its last attempt.
    """
    free: int  # attempts without delay per window
    base_delay_s: int  # delay before attempt free+1; doubles after each further attempt
    max_delay_s: int
    window_s: int  # a key is forgotten this long after its last attempt

    def delay_s(self, attempt: int) -> float:
        """Seconds that must pass after the previous attempt before attempt number `attempt` (1-based)."""
        if attempt <= self.free:
            return 0.0
        return float(min(self.max_delay_s, self.base_delay_s * 2 ** min(30, attempt - self.free - 1)))


@dataclass(frozen=True)
class Reservation:
    """The throttle keys one sign-in attempt was counted on (account+IP and IP), to clear them after a success."""
    keys: tuple[str, ...]


class LoginThrottle:
    """Counts sign-in attempts in the `login_attempts` collection: `{_id, n, last_at, expire_at}`."""

    def __init__(self, db: Database, *, account_ip: ThrottlePolicy, ip: ThrottlePolicy) -> None:
        self._db = db
        self._account_ip = account_ip
        self._ip = ip

    def reserve(self, *, email: str, ip: str) -> Reservation:
        """Count one attempt on both keys, or raise TooManyRequests (nothing counted) if one must wait."""
        account_key = f"acct:{email}|ip:{ip}"
        ip_key = f"ip:{ip}"
        self._take(account_key, self._account_ip)
        try:
            self._take(ip_key, self._ip)
        except TooManyRequests:
            self._give_back(account_key)
            raise
        return Reservation(keys=(account_key, ip_key))

    def succeeded(self, reservation: Reservation) -> None:
        """The password was right: forget the (account, IP) failures; the IP key keeps only its failures."""
        account_key, ip_key = reservation.keys
        self._db.login_attempts.delete_one({"_id": account_key})
        self._give_back(ip_key)

    def _give_back(self, key: str) -> None:
        self._db.login_attempts.update_one({"_id": key, "n": {"$gt": 0}}, {"$inc": {"n": -1}})

    def _take(self, key: str, policy: ThrottlePolicy) -> None:
        coll = self._db.login_attempts
        for _ in range(50):
            now = clock.now()
            doc = coll.find_one({"_id": key})
            live = doc is not None and doc.get("expire_at") is not None and clock.as_utc(doc["expire_at"]) > now
            n = int(doc.get("n", 0)) if live and doc else 0
            if n and doc is not None:
                wait = policy.delay_s(n + 1) - (now - clock.as_utc(doc["last_at"])).total_seconds()
                if wait > 0:
                    retry = max(1, math.ceil(wait))
                    raise TooManyRequests(
                        "Too many sign-in attempts. Wait a little and try again.",
                        details={"retry_after_s": retry}, headers={"Retry-After": str(retry)},
                    )
            fields: dict[str, Any] = {"n": n + 1, "last_at": now, "expire_at": now + timedelta(seconds=policy.window_s)}
            if doc is None:
                try:
                    coll.insert_one({"_id": key, **fields})
                    return
                except DuplicateKeyError:
                    continue
            if coll.update_one(self._as_read(key, doc), {"$set": fields}).matched_count == 1:
                return
        raise TooManyRequests("Too many sign-in attempts at once. Wait a little and try again.",
                              details={"retry_after_s": 1}, headers={"Retry-After": "1"})

    @staticmethod
    def _as_read(key: str, doc: dict[str, Any]) -> dict[str, Any]:
        """The compare part of the compare-and-set: the document is still exactly as read."""
        last_at: datetime | None = doc.get("last_at")
        return {"_id": key, "n": doc.get("n"), "last_at": last_at}
