"""In-memory fakes of the money ports: `MemoryLedgerStore` (LedgerStore) and `MemoryOrderStore` (OrderStore).

One lock per fake makes every method atomic, as one MongoDB operation is; idempotency is by
the same keys (recent credit keys, unique ledger key, task ids on the quota day). Both pass
the contract suites (`tests/contract/test_ledger_store.py`, `test_order_store.py`) beside the
MongoDB adapters. Every document a fake writes is validated against its pydantic model.
"""

from __future__ import annotations

import copy
import itertools
import threading
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from common.accounting import CreditState
from common.billing import orders
from common.db import decode_cursor, encode_cursor
from common.models.core import Role
from common.models.orders import OrderDocument
from common.models.users import RECENT_KEYS, LedgerEntry, QuotaUsage, UserDocument

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class MemoryLedgerStore:
    """`LedgerStore` in dictionaries: users (credits and recent keys), the ledger (unique key), quota days."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.users: dict[str, dict[str, Any]] = {}
        self.ledger: list[tuple[int, dict[str, Any]]] = []  # (sequence, entry document), oldest first
        self.quota: dict[str, dict[str, Any]] = {}
        self._seq = itertools.count(1)

    # ---- set-up (what auth does in production) --------------------------------------

    def add_user(self, user_id: str | None = None, *, credits: int = 0, **fields: Any) -> str:
        """Create a user document (as `AuthService.register` would) with `credits`; returns its id."""
        uid = user_id or str(ObjectId())
        doc = UserDocument.model_validate({
            "_id": uid, "email": f"{uid}@example.com", "name": uid[:8], "password_hash": "x", "role": Role.USER,
            "credits": credits, "credit_keys": [], "created_at": EPOCH, "updated_at": EPOCH, **fields,
        }).to_mongo()
        with self._lock:
            self.users[uid] = doc
        return uid

    # ---- credits -------------------------------------------------------------------

    def change_credits(self, *, user_id: str, delta: int, key: str) -> int | None:
        """See `LedgerStore.change_credits`."""
        with self._lock:
            user = self.users.get(user_id)
            if user is None or key in user["credit_keys"] or (delta < 0 and user["credits"] < -delta):
                return None
            user["credits"] += delta
            user["credit_keys"] = [*user["credit_keys"], key][-RECENT_KEYS:]
            UserDocument.model_validate(user)
            return int(user["credits"])

    def credit_state(self, user_id: str) -> CreditState | None:
        """See `LedgerStore.credit_state`."""
        with self._lock:
            user = self.users.get(user_id)
            return None if user is None else CreditState(credits=int(user["credits"]), recent_keys=tuple(user["credit_keys"]))

    def has_entry(self, key: str) -> bool:
        """See `LedgerStore.has_entry`."""
        with self._lock:
            return any(doc["key"] == key for _, doc in self.ledger)

    def add_entry(self, entry: LedgerEntry) -> bool:
        """See `LedgerStore.add_entry`."""
        doc = LedgerEntry.model_validate(entry.to_mongo()).to_mongo()
        with self._lock:
            if any(d["key"] == entry.key for _, d in self.ledger):
                return False
            self.ledger.append((next(self._seq), doc))
            return True

    def fill_balance(self, *, key: str, balance_after: int) -> bool:
        """See `LedgerStore.fill_balance`."""
        with self._lock:
            for _, doc in self.ledger:
                if doc["key"] == key and doc["balance_after"] is None:
                    doc["balance_after"] = balance_after
                    return True
            return False

    def entries(self, *, user_id: str, limit: int, cursor: str | None) -> tuple[list[LedgerEntry], str | None]:
        """See `LedgerStore.entries` (the cursor names an entry's sequence number, as an ObjectId-shaped id)."""
        before = int(decode_cursor(cursor), 16) if cursor else None
        with self._lock:
            mine = [(seq, doc) for seq, doc in reversed(self.ledger)
                    if doc["user_id"] == user_id and (before is None or seq < before)]
        page = mine[:limit]
        more = len(mine) > limit
        return ([LedgerEntry.model_validate(copy.deepcopy(doc)) for _, doc in page],
                encode_cursor(f"{page[-1][0]:024x}") if more and page else None)

    # ---- quota ---------------------------------------------------------------------

    def quota_used(self, *, user_id: str, kind: str, day: str) -> int:
        """See `LedgerStore.quota_used`."""
        with self._lock:
            doc = self.quota.get(f"{user_id}:{kind}:{day}")
            return int(doc["used"]) if doc else 0

    def take_quota(self, *, user_id: str, kind: str, day: str, task_id: str, limit: int) -> bool:
        """See `LedgerStore.take_quota`."""
        qid = f"{user_id}:{kind}:{day}"
        with self._lock:
            doc = self.quota.setdefault(qid, {"_id": qid, "user_id": user_id, "used": 0, "tasks": []})
            if task_id in doc["tasks"]:
                return True
            if doc["used"] >= limit:
                if not doc["tasks"]:
                    del self.quota[qid]  # a refused first take writes nothing (as the guarded upsert)
                return False
            doc["used"] += 1
            doc["tasks"].append(task_id)
            QuotaUsage.model_validate(doc)
            return True

    def give_back_quota(self, *, user_id: str, kind: str, task_id: str) -> bool:
        """See `LedgerStore.give_back_quota`."""
        prefix = f"{user_id}:{kind}:"
        with self._lock:
            for qid, doc in self.quota.items():
                if qid.startswith(prefix) and doc["user_id"] == user_id and task_id in doc["tasks"]:
                    doc["used"] -= 1
                    doc["tasks"].remove(task_id)
                    QuotaUsage.model_validate(doc)
                    return True
            return False

    # ---- inspection (tests) ----------------------------------------------------------

    def documents(self) -> dict[str, list[dict[str, Any]]]:
        """Copies of everything stored: {"users": [...], "ledger": [...], "quota_usage": [...]}."""
        with self._lock:
            return {"users": copy.deepcopy(list(self.users.values())),
                    "ledger": copy.deepcopy([d for _, d in self.ledger]),
                    "quota_usage": copy.deepcopy(list(self.quota.values()))}


class MemoryOrderStore:
    """`OrderStore` in a dictionary; a move checks the status against `orders.TRANSITIONS` under the lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.orders: dict[str, dict[str, Any]] = {}

    def _save(self, doc: dict[str, Any]) -> dict[str, Any]:
        OrderDocument.model_validate(doc)  # every write keeps the stored shape
        self.orders[doc["_id"]] = doc
        return copy.deepcopy(doc)

    def insert(self, order: OrderDocument) -> None:
        """See `OrderStore.insert` (a second order with the same id is refused, as the unique `_id`)."""
        with self._lock:
            if order.id in self.orders:
                raise DuplicateKeyError(f"order {order.id} exists")
            self._save(order.to_mongo())

    def get(self, order_id: str) -> dict[str, Any] | None:
        """See `OrderStore.get`."""
        with self._lock:
            doc = self.orders.get(order_id)
            return copy.deepcopy(doc) if doc else None

    def move(self, order_id: str, move: str, *, fields: dict[str, Any]) -> dict[str, Any] | None:
        """See `OrderStore.move`."""
        target = orders.target(move)
        with self._lock:
            doc = self.orders.get(order_id)
            if doc is None or not orders.allowed(doc["status"], move):
                return None
            return self._save({**copy.deepcopy(doc), **copy.deepcopy(fields), "status": target})

    def attach_session(self, order_id: str, session_id: str) -> None:
        """See `OrderStore.attach_session`."""
        with self._lock:
            if order_id in self.orders:
                self._save({**self.orders[order_id], "stripe_session_id": session_id})

    def mark_fulfilled(self, order_id: str) -> dict[str, Any] | None:
        """See `OrderStore.mark_fulfilled`."""
        with self._lock:
            doc = self.orders.get(order_id)
            return None if doc is None else self._save({**doc, "fulfilled": True})

    def finish_refund(self, order_id: str) -> dict[str, Any] | None:
        """See `OrderStore.finish_refund`."""
        with self._lock:
            doc = self.orders.get(order_id)
            if doc is None or not doc.get("refund"):
                return None
            return self._save({**doc, "refund": {**doc["refund"], "state": "done"}})

    def unfulfilled(self, *, user_id: str | None, limit: int) -> list[dict[str, Any]]:
        """See `OrderStore.unfulfilled`."""
        with self._lock:
            found = [d for d in self.orders.values() if d["status"] in ("PAID", "REFUNDED") and not d["fulfilled"]
                     and (not user_id or d["user_id"] == user_id)]
            return copy.deepcopy(found[:limit])

    def page(self, *, user_id: str | None, status: str | None, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """See `OrderStore.page`."""
        before = decode_cursor(cursor) if cursor else None
        with self._lock:
            found = sorted((d for d in self.orders.values()
                            if (user_id is None or d["user_id"] == user_id) and (status is None or d["status"] == status)
                            and (before is None or d["_id"] < before)), key=lambda d: d["_id"], reverse=True)
            page = copy.deepcopy(found[:limit])
        return page, (encode_cursor(page[-1]["_id"]) if len(found) > limit and page else None)

    def documents(self) -> list[dict[str, Any]]:
        """Copies of every stored order (tests)."""
        with self._lock:
            return copy.deepcopy(list(self.orders.values()))
