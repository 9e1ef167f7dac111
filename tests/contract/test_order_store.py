"""The OrderStore contract: the in-memory fake and the MongoDB adapter move orders only along the table.

Parametrised over `memory` (tests/fakes/memory/money.py) and `mongo` (common/billing/order_store.py
on the `mongo_db` fixture). Every order a store holds at the end of a test must match `OrderDocument`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bson import ObjectId

from common.billing import orders
from common.billing.order_store import MongoOrderStore
from common.billing.orders import OrderStore
from common.errors import InvalidRequest
from common.models.billing import OrderStatus
from common.models.orders import OrderDocument
from tests.concurrency import race
from tests.contract.conftest import assert_stored
from tests.fakes.memory.money import MemoryOrderStore

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
RACERS = 8
STATUSES = [s.value for s in OrderStatus]


@dataclass
class Orders:
    """A store under test and a way to read back every order it holds."""

    store: OrderStore
    documents: Callable[[], list[dict[str, Any]]]


@pytest.fixture(params=["memory", "mongo"])
def store(request: pytest.FixtureRequest) -> Iterator[Orders]:
    """The store under test; afterwards every order it holds must validate as an OrderDocument."""
    if request.param == "memory":
        fake = MemoryOrderStore()
        harness = Orders(fake, fake.documents)
    else:
        db = request.getfixturevalue("mongo_db")
        harness = Orders(MongoOrderStore(db), lambda: list(db.orders.find({})))
    yield harness
    for doc in harness.documents():
        assert_stored(OrderDocument, doc)


def new_order(store: OrderStore, *, user_id: str = "u1", status: str = "PENDING", provider: str = "sandbox") -> str:
    oid = str(ObjectId())
    store.insert(OrderDocument.model_validate({
        "_id": oid, "user_id": user_id, "package_id": "starter", "package_name": "Starter", "credits": 100,
        "price_cents": 499, "currency": "usd", "status": status, "provider": provider, "fulfilled": False,
        "created_at": NOW, "updated_at": NOW, "paid_at": None}))
    return oid




def test_an_order_is_stored_as_written(store: Orders) -> None:
    oid = new_order(store.store)
    doc = store.store.get(oid)
    assert doc is not None and (doc["status"], doc["credits"], doc["fulfilled"], doc["paid_at"]) == ("PENDING", 100, False, None)
    assert "stripe_session_id" not in doc and store.store.get(str(ObjectId())) is None


@pytest.mark.parametrize("move", sorted(orders.TRANSITIONS))
@pytest.mark.parametrize("status", STATUSES)
def test_a_move_applies_only_from_its_sources(store: Orders, status: str, move: str) -> None:
    oid = new_order(store.store, status=status)
    after = store.store.move(oid, move, fields={"updated_at": NOW + timedelta(seconds=1)})
    current = store.store.get(oid)
    assert current is not None
    if orders.allowed(status, move):
        assert after is not None and after["status"] == current["status"] == orders.target(move)
        assert current["updated_at"] == NOW + timedelta(seconds=1)
    else:
        assert after is None and current["status"] == status and current["updated_at"] == NOW


def test_a_move_sets_its_fields_but_never_the_status_itself(store: Orders) -> None:
    oid = new_order(store.store)
    after = store.store.move(oid, "pay", fields={"paid_at": NOW, "status": "REFUNDED", "stripe_event_id": "evt_1"})
    assert after is not None and (after["status"], after["paid_at"], after["stripe_event_id"]) == ("PAID", NOW, "evt_1")
    assert store.store.move(str(ObjectId()), "pay", fields={}) is None
    with pytest.raises(KeyError):
        store.store.move(oid, "teleport", fields={})


def test_eight_concurrent_payments_have_one_winner(store: Orders) -> None:
    oid = new_order(store.store)
    results = race(RACERS, lambda _: store.store.move(oid, "pay", fields={"paid_at": NOW}))
    assert sum(r is not None for r in results) == 1


def test_pay_racing_cancel_has_one_winner(store: Orders) -> None:
    oid = new_order(store.store)
    results = race(RACERS, lambda i: store.store.move(oid, "pay" if i % 2 else "cancel", fields={}))
    winners = [r["status"] for r in results if r is not None]
    assert len(winners) == 1
    assert store.store.get(oid)["status"] == winners[0]  # type: ignore[index]


def test_a_late_stripe_payment_revives_a_canceled_order_once(store: Orders) -> None:
    oid = new_order(store.store, status="CANCELED", provider="stripe")
    results = race(RACERS, lambda _: store.store.move(oid, "stripe_paid", fields={"stripe_payment_intent": "pi_1"}))
    assert sum(r is not None for r in results) == 1


def test_fulfilment_refund_and_session_updates(store: Orders) -> None:
    oid = new_order(store.store, provider="stripe")
    store.store.attach_session(oid, "cs_1")
    assert store.store.finish_refund(oid) is None  # no refund under way
    store.store.move(oid, "stripe_paid", fields={"paid_at": NOW})
    assert store.store.mark_fulfilled(oid)["fulfilled"] is True  # type: ignore[index]
    store.store.move(oid, "refund", fields={"refunded_at": NOW, "refund": {"state": "pending", "actor_id": "admin"}})
    done = store.store.finish_refund(oid)
    assert done is not None and done["refund"] == {"state": "done", "actor_id": "admin"} and done["stripe_session_id"] == "cs_1"
    assert store.store.mark_fulfilled(str(ObjectId())) is None


def test_unfulfilled_lists_paid_or_refunded_orders_without_their_credit(store: Orders) -> None:
    pending = new_order(store.store)
    paid = new_order(store.store, status="PAID")
    refunded = new_order(store.store, status="REFUNDED")
    done = new_order(store.store, status="PAID")
    other = new_order(store.store, status="PAID", user_id="u2")
    store.store.mark_fulfilled(done)
    assert {d["_id"] for d in store.store.unfulfilled(user_id="u1", limit=10)} == {paid, refunded}
    assert {d["_id"] for d in store.store.unfulfilled(user_id=None, limit=10)} == {paid, refunded, other}
    assert len(store.store.unfulfilled(user_id=None, limit=2)) == 2
    assert pending not in {d["_id"] for d in store.store.unfulfilled(user_id=None, limit=10)}


def test_pages_are_newest_first_by_user_and_status(store: Orders) -> None:
    mine = [new_order(store.store) for _ in range(5)]
    theirs = new_order(store.store, user_id="u2", status="PAID")
    seen: list[str] = []
    cursor: str | None = None
    while True:
        docs, cursor = store.store.page(user_id="u1", status=None, limit=2, cursor=cursor)
        seen += [d["_id"] for d in docs]
        if cursor is None:
            break
    assert seen == list(reversed(mine))
    assert [d["_id"] for d in store.store.page(user_id=None, status="PAID", limit=10, cursor=None)[0]] == [theirs]
    assert [d["_id"] for d in store.store.page(user_id=None, status=None, limit=1, cursor=None)[0]] == [theirs]
    with pytest.raises(InvalidRequest):
        store.store.page(user_id=None, status=None, limit=2, cursor="%%%")
