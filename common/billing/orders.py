"""The order state machine as a table; the repository turns each move into one compare-and-set.

    PENDING ──pay──► PAID ──refund──► REFUNDED
       └──cancel/expire──► CANCELED ──late Stripe payment──► PAID

A move is applied by one `find_one_and_update` whose filter holds the allowed
source statuses, so two racing moves cannot both win.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from common.models.billing import OrderStatus

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
