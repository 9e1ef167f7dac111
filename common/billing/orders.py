"""The order state machine as a table; the repository turns each move into one compare-and-set.

    PENDING ──pay──► PAID ──refund──► REFUNDED
       └──cancel/expire──► CANCELED ──late Stripe payment──► PAID

A move is applied by one `find_one_and_update` whose filter holds the allowed
source statuses, so two racing moves cannot both win. `OrderStore` is the port
the billing service writes through (MongoDB: `order_store.py`; in memory:
`tests/fakes/memory/money.py`); both take their filters from this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from common.models.billing import OrderStatus
from common.models.orders import OrderDocument

P, PAID, C, R = OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.CANCELED, OrderStatus.REFUNDED


@dataclass(frozen=True)
class Transition:
    """A move from any of `sources` to `target`."""

    sources: tuple[OrderStatus, ...]
    target: OrderStatus


TRANSITIONS: dict[str, Transition] = {
    "pay": Transition((P,), PAID),  # sandbox payment
    "stripe_paid": Transition((P, C), PAID),  # Stripe may confirm a payment after the session expired here
    "cancel": Transition((P,), C),
    "refund": Transition((PAID,), R),
}


def cas_filter(order_id: str, move: str) -> dict[str, Any]:
    """The MongoDB filter that matches `order_id` only while `move` is allowed. Raises KeyError for an unknown move."""
    sources = [s.value for s in TRANSITIONS[move].sources]
    return {"_id": order_id, "status": sources[0] if len(sources) == 1 else {"$in": sources}}


def target(move: str) -> str:
    """The status `move` leads to."""
    return TRANSITIONS[move].target.value


def allowed(status: str, move: str) -> bool:
    """Whether an order in `status` may make `move` (pure; for checks and tests)."""
    return status in {s.value for s in TRANSITIONS[move].sources}


class OrderStore(Protocol):
    """Where orders live. Each method is atomic on its own; a status change is only ever `move`, a compare-and-set
    whose allowed sources come from `TRANSITIONS`, so two racing moves cannot both win. Orders come back as stored
    documents (`common.models.orders.OrderDocument` shape, as dicts).

    Implementations: `common.billing.order_store.MongoOrderStore`, `tests.fakes.memory.money.MemoryOrderStore`.
    """

    def insert(self, order: OrderDocument) -> None:
        """Store a new order (its id is new)."""
        ...

    def get(self, order_id: str) -> dict[str, Any] | None:
        """The order, or None."""
        ...

    def move(self, order_id: str, move: str, *, fields: dict[str, Any]) -> dict[str, Any] | None:
        """Apply `move` (a key of TRANSITIONS) if the order's status is one of its sources: status := the move's target,
        plus the top-level `fields`. The order after the move, or None when it is not allowed (or no such order).
        Raises KeyError for an unknown move."""
        ...

    def attach_session(self, order_id: str, session_id: str) -> None:
        """Record the Stripe Checkout Session id of the order."""
        ...

    def mark_fulfilled(self, order_id: str) -> dict[str, Any] | None:
        """Set `fulfilled` (the order's credits were applied); the order after, or None."""
        ...

    def finish_refund(self, order_id: str) -> dict[str, Any] | None:
        """Set the refund's state to `done` (its credits were taken back); the order after, or None."""
        ...

    def unfulfilled(self, *, user_id: str | None, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` PAID or REFUNDED orders whose credits were not applied (a crash between the move and the
        credit), of `user_id` or of everyone."""
        ...

    def page(self, *, user_id: str | None, status: str | None, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """Orders (of `user_id`, in `status`, when given) newest first, `limit` per page, and the next page's cursor
        (None on the last). Raises InvalidRequest for a cursor that is not one."""
        ...
