"""Daily quotas and the credits ledger, exactly-once under retries and races.

Every charge and refund carries a key (`charge:<task>`, `refund:<task>`,
`order:<id>` ...). A credit change is ONE conditional update of the user
document that also records the key in a short list of recent keys, so a
duplicate or concurrent call with the same key cannot apply twice; the ledger
entry (unique key) is the durable audit trail and the check for late repeats.
Quota use is a per user/type/day document holding the ids of the tasks that
used it, so taking and giving back a unit is idempotent per task too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from common import clock
from common.db import Database
from common.errors import NotFound, PaymentRequired

log = logging.getLogger(__name__)

RECENT_KEYS = 500

DEFAULT_QUOTAS = {"video": 3, "image": 10, "chat": 50}
DEFAULT_COSTS = {"video": 10, "image": 2, "chat": 1}


@dataclass(frozen=True)
class Charge:
    """How one task was paid: `credits` taken from the balance (0 when a daily quota unit paid), `from_quota` True when it was a quota unit.

    Stored on the task as `cost` so a refund gives back exactly what was taken.
    """
    credits: int
    from_quota: bool


@dataclass(frozen=True)
class Pricing:
    """The admin's current prices: `quotas` free units per kind per day ({"video"|"image"|"chat": int}), `costs` credits per output
    once the quota is spent, `timezone` the IANA zone whose midnight resets the quotas.
    """
    quotas: dict[str, int]
    costs: dict[str, int]
    timezone: str = "UTC"  # IANA name: daily quotas reset at midnight there


class Accounting:
    """Quotas, credits and the ledger on MongoDB: every charge and refund is one atomic, idempotent update keyed by
    the task or order id, so an at-least-once delivery (Cloud Tasks) never charges or refunds twice.
    """
    def __init__(self, db: Database, *, pricing: Callable[[], Pricing] | None = None) -> None:
        self._db = db
        self._pricing = pricing or (lambda: Pricing(dict(DEFAULT_QUOTAS), dict(DEFAULT_COSTS)))

    @property
    def pricing(self) -> Pricing:
        """Current quotas and costs (the admin panel may change them at any time)."""
        return self._pricing()

    # ---- quota ------------------------------------------------------------------

    def quota_state(self, user_id: str, at: datetime | None = None) -> dict[str, dict[str, Any]]:
        """Today's quota of `user_id` as of `at` (now when None), in the admin's quota timezone:
        {kind: {"limit": int, "used": int (capped at limit), "resets_at": aware datetime of the next local midnight, "cost": credits per output}}.
        """
        pricing = self.pricing
        day = clock.day_key(at, pricing.timezone)
        resets = clock.next_midnight(at, pricing.timezone)
        out: dict[str, dict[str, Any]] = {}
        for kind, limit in pricing.quotas.items():
            doc = self._db.quota_usage.find_one({"_id": f"{user_id}:{kind}:{day}"})
            out[kind] = {"limit": limit, "used": min(limit, int(doc["used"])) if doc else 0, "resets_at": resets,
                         "cost": int(pricing.costs.get(kind, 0))}
        return out

    def _take_quota(self, *, user_id: str, kind: str, task_id: str) -> bool:
        pricing = self.pricing
        limit = pricing.quotas.get(kind, 0)
        if limit <= 0:
            return False
        qid = f"{user_id}:{kind}:{clock.day_key(tz=pricing.timezone)}"
        query = {"_id": qid, "used": {"$lt": limit}, "tasks": {"$ne": task_id}}
        update = {"$inc": {"used": 1}, "$push": {"tasks": task_id}, "$set": {"user_id": user_id}}
        try:
            if self._db.quota_usage.find_one_and_update(query, update, upsert=True, return_document=ReturnDocument.AFTER):
                return True
        except DuplicateKeyError:
            # The day's document exists: a concurrent first take created it after our filter
            # missed (MongoDB retries such an upsert itself, SecantusDB does not: 2 of 10
            # concurrent first takes were refused), or the quota is used up, or this task
            # already holds a unit (a retry). One more try on the existing document decides.
            if self._db.quota_usage.find_one_and_update(query, update, return_document=ReturnDocument.AFTER):
                return True
        # No document came back. The unit may still be ours: SecantusDB answers `value: null` when a
        # concurrent insert turned its upsert into an update of the new document. Task ids are unique.
        return self._db.quota_usage.find_one({"_id": qid, "tasks": task_id}) is not None

    def _give_back_quota(self, *, user_id: str, kind: str, task_id: str) -> None:
        self._db.quota_usage.update_one({"user_id": user_id, "tasks": task_id, "_id": {"$regex": f"^{user_id}:{kind}:"}},
                                        {"$inc": {"used": -1}, "$pull": {"tasks": task_id}})

    # ---- credits ----------------------------------------------------------------

    def apply_credits(self, *, user_id: str, delta: int, key: str, reason: str, meta: dict[str, Any] | None = None) -> bool:
        """Add (or, negative, take) credits once per `key`. False if it had been applied already.

        Raises PaymentRequired when taking more than the balance.
        """
        if self._db.ledger.find_one({"key": key}):
            return False
        guard: dict[str, Any] = {"_id": user_id, "credit_keys": {"$ne": key}}
        if delta < 0:
            guard["credits"] = {"$gte": -delta}
        updated = self._db.users.find_one_and_update(
            guard,
            {"$inc": {"credits": delta}, "$push": {"credit_keys": {"$each": [key], "$slice": -RECENT_KEYS}}},
            return_document=ReturnDocument.AFTER,
        )
        if updated is None:
            user = self._db.users.find_one({"_id": user_id}, {"credits": 1, "credit_keys": 1})
            if user is None:
                raise NotFound("User not found.")
            if key in (user.get("credit_keys") or []):
                self._record(user_id=user_id, delta=delta, key=key, reason=reason, meta=meta, balance=None)
                return False
            raise PaymentRequired(details={"credits": int(user.get("credits", 0)), "needed": -delta})
        self._record(user_id=user_id, delta=delta, key=key, reason=reason, meta=meta, balance=int(updated["credits"]))
        return True

    def _record(self, *, user_id: str, delta: int, key: str, reason: str, meta: dict[str, Any] | None, balance: int | None) -> None:
        try:
            self._db.ledger.insert_one(
                {"key": key, "user_id": user_id, "delta": delta, "reason": reason, "meta": meta or {},
                 "balance_after": balance, "created_at": clock.now()}
            )
        except DuplicateKeyError:
            pass

    # ---- generation charges -----------------------------------------------------

    def charge_for_task(self, *, user_id: str, kind: str, task_id: str) -> Charge:
        """Use a unit of today's quota, else credits. Idempotent per task."""
        if self._take_quota(user_id=user_id, kind=kind, task_id=task_id):
            return Charge(credits=0, from_quota=True)
        cost = self.pricing.costs.get(kind, 0)
        try:
            self.apply_credits(user_id=user_id, delta=-cost, key=f"charge:{task_id}", reason=f"{kind} generation",
                               meta={"task_id": task_id})
        except PaymentRequired as exc:
            quota = self.quota_state(user_id)[kind] if kind in self.pricing.quotas else None
            raise PaymentRequired(
                f"Today's free {kind} quota is used up and this needs {cost} credits "
                f"(you have {exc.details.get('credits', 0)}). Buy credits or wait for the daily reset.",
                details={**exc.details, "quota": quota and {**quota, "resets_at": quota["resets_at"].isoformat()}},
            ) from None
        return Charge(credits=cost, from_quota=False)

    def refund_task(self, *, user_id: str, kind: str, task_id: str, charge: Charge, created_at: datetime) -> None:
        """Give back what `charge_for_task` took. Idempotent per task."""
        if charge.from_quota:
            # The day document that holds this task's unit (whatever the quota time zone was then).
            self._give_back_quota(user_id=user_id, kind=kind, task_id=task_id)
        elif charge.credits:
            self.apply_credits(user_id=user_id, delta=charge.credits, key=f"refund:{task_id}",
                               reason=f"{kind} generation refund", meta={"task_id": task_id})
