"""The MongoDB adapter of `OrderStore` (common/billing/orders.py), on the collection `orders`.

Every status change is one `find_one_and_update` whose filter is `orders.cas_filter` (the
move's allowed sources from the table), so the server decides which of two racing moves wins.
"""

from __future__ import annotations

from typing import Any

from pymongo import ReturnDocument

from common.billing import orders
from common.db import Database, newest_first
from common.models.billing import OrderStatus
from common.models.orders import OrderDocument


class MongoOrderStore:
    """`OrderStore` on MongoDB (or the embedded store)."""

    def __init__(self, db: Database) -> None:
        """`db` is the platform's database (indexes `user_newest`, `status_newest` on `orders`)."""
        self._db = db

    def insert(self, order: OrderDocument) -> None:
        """See `OrderStore.insert`."""
        self._db.orders.insert_one(order.to_mongo())

    def get(self, order_id: str) -> dict[str, Any] | None:
        """See `OrderStore.get`."""
        doc: dict[str, Any] | None = self._db.orders.find_one({"_id": order_id})
        return doc

    def move(self, order_id: str, move: str, *, fields: dict[str, Any]) -> dict[str, Any] | None:
        """See `OrderStore.move`: one compare-and-set with the table's filter."""
        query = orders.cas_filter(order_id, move)
        doc: dict[str, Any] | None = self._db.orders.find_one_and_update(
            query, {"$set": {**fields, "status": orders.target(move)}}, return_document=ReturnDocument.AFTER)
        return doc

    def attach_session(self, order_id: str, session_id: str) -> None:
        """See `OrderStore.attach_session`."""
        self._db.orders.update_one({"_id": order_id}, {"$set": {"stripe_session_id": session_id}})

    def mark_fulfilled(self, order_id: str) -> dict[str, Any] | None:
        """See `OrderStore.mark_fulfilled`."""
        doc: dict[str, Any] | None = self._db.orders.find_one_and_update(
            {"_id": order_id}, {"$set": {"fulfilled": True}}, return_document=ReturnDocument.AFTER)
        return doc

    def finish_refund(self, order_id: str) -> dict[str, Any] | None:
        """See `OrderStore.finish_refund`."""
        doc: dict[str, Any] | None = self._db.orders.find_one_and_update(
            {"_id": order_id, "refund": {"$ne": None}}, {"$set": {"refund.state": "done"}}, return_document=ReturnDocument.AFTER)
        return doc

    def unfulfilled(self, *, user_id: str | None, limit: int) -> list[dict[str, Any]]:
        """See `OrderStore.unfulfilled`."""
        query: dict[str, Any] = {"status": {"$in": [OrderStatus.PAID.value, OrderStatus.REFUNDED.value]}, "fulfilled": False}
        if user_id:
            query["user_id"] = user_id
        return list(self._db.orders.find(query, limit=limit))

    def page(self, *, user_id: str | None, status: str | None, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """See `OrderStore.page`: keyset pagination on the time-ordered `_id`."""
        query: dict[str, Any] = {}
        if user_id is not None:
            query["user_id"] = user_id
        if status is not None:
            query["status"] = status
        return newest_first(self._db.orders, query, limit=limit, cursor=cursor)
