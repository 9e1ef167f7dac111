"""The MongoDB adapter of `LedgerStore` (common/accounting.py): balances on `users`, the ledger, `quota_usage`.

Each method is one server-side atomic operation (or a read): the credit change is one
`find_one_and_update` whose filter holds the guards (`credit_keys ≠ key`, `credits ≥ cost`)
and whose update records the key; the ledger's `key` has a unique index; a quota unit is
a `$push` of the task id guarded by `used < limit` and `tasks ≠ task`. The same code runs
on MongoDB, SecantusDB and the embedded mongomock store (whose calls `common/db.py` locks).
"""

from __future__ import annotations

import re
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from common.accounting import CreditState
from common.db import Database, decode_cursor, encode_cursor
from common.models.users import RECENT_KEYS, LedgerEntry


class MongoLedgerStore:
    """`LedgerStore` on the collections `users` (credits, credit_keys), `ledger` and `quota_usage`."""

    def __init__(self, db: Database) -> None:
        """`db` is the platform's database (indexes ensured: the ledger's unique `key`)."""
        self._db = db

    # ---- credits ------------------------------------------------------------------

    def change_credits(self, *, user_id: str, delta: int, key: str) -> int | None:
        """See `LedgerStore.change_credits`: one `find_one_and_update` with the guards in its filter."""
        guard: dict[str, Any] = {"_id": user_id, "credit_keys": {"$ne": key}}
        if delta < 0:
            guard["credits"] = {"$gte": -delta}
        updated = self._db.users.find_one_and_update(
            guard,
            {"$inc": {"credits": delta}, "$push": {"credit_keys": {"$each": [key], "$slice": -RECENT_KEYS}}},
            return_document=ReturnDocument.AFTER,
        )
        return None if updated is None else int(updated["credits"])

    def credit_state(self, user_id: str) -> CreditState | None:
        """See `LedgerStore.credit_state`."""
        user = self._db.users.find_one({"_id": user_id}, {"credits": 1, "credit_keys": 1})
        if user is None:
            return None
        return CreditState(credits=int(user.get("credits", 0)), recent_keys=tuple(user.get("credit_keys") or ()))

    def has_entry(self, key: str) -> bool:
        """See `LedgerStore.has_entry`."""
        return self._db.ledger.find_one({"key": key}, {"_id": 1}) is not None

    def add_entry(self, entry: LedgerEntry) -> bool:
        """See `LedgerStore.add_entry`: the unique index on `key` refuses a second entry."""
        try:
            self._db.ledger.insert_one(entry.to_mongo())
        except DuplicateKeyError:
            return False
        return True

    def fill_balance(self, *, key: str, balance_after: int) -> bool:
        """See `LedgerStore.fill_balance`: one update guarded by `balance_after: null`."""
        return self._db.ledger.update_one({"key": key, "balance_after": None},
                                          {"$set": {"balance_after": balance_after}}).modified_count == 1

    def entries(self, *, user_id: str, limit: int, cursor: str | None) -> tuple[list[LedgerEntry], str | None]:
        """See `LedgerStore.entries`: keyset pagination on the entries' ObjectId `_id` (time-ordered)."""
        query: dict[str, Any] = {"user_id": user_id}
        if cursor:
            query["_id"] = {"$lt": ObjectId(decode_cursor(cursor))}
        docs = list(self._db.ledger.find(query, sort=[("_id", -1)], limit=limit + 1))
        more = len(docs) > limit
        docs = docs[:limit]
        return [LedgerEntry.from_stored(d) for d in docs], (encode_cursor(str(docs[-1]["_id"])) if more and docs else None)

    # ---- quota --------------------------------------------------------------------

    def quota_used(self, *, user_id: str, kind: str, day: str) -> int:
        """See `LedgerStore.quota_used`."""
        doc = self._db.quota_usage.find_one({"_id": f"{user_id}:{kind}:{day}"}, {"used": 1})
        return int(doc["used"]) if doc else 0

    def take_quota(self, *, user_id: str, kind: str, day: str, task_id: str, limit: int) -> bool:
        """See `LedgerStore.take_quota`: an upsert guarded by `used < limit` and `tasks ≠ task_id`."""
        qid = f"{user_id}:{kind}:{day}"
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
        return self._db.quota_usage.find_one({"_id": qid, "tasks": task_id}, {"_id": 1}) is not None

    def give_back_quota(self, *, user_id: str, kind: str, task_id: str) -> bool:
        """See `LedgerStore.give_back_quota`: the day document holding the task, whatever day it is."""
        result = self._db.quota_usage.update_one(
            {"user_id": user_id, "tasks": task_id, "_id": {"$regex": f"^{re.escape(user_id)}:{re.escape(kind)}:"}},
            {"$inc": {"used": -1}, "$pull": {"tasks": task_id}},
        )
        return result.modified_count == 1
