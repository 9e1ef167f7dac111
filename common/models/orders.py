"""The stored order (collection `orders`): what `common/billing` writes, field by field.

Not an API shape (that is `common.models.billing.Order`); the contract suite
`tests/contract/test_order_store.py` validates every order a store writes against it.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from common.models.billing import OrderStatus
from common.models.documents import StrictDocument


class RefundState(StrictDocument):
    """An admin refund of a PAID order: `pending` from the PAID → REFUNDED move until the credits are taken back, then `done`."""

    state: Literal["pending", "done"]
    actor_id: str


class OrderDocument(StrictDocument):
    """One purchase of a credit package (`_id` a 24-hex ObjectId string, time-ordered).

    Amounts are copied from the server's package at checkout: `credits` granted, `price_cents` in the
    currency's minor unit, `currency` ISO 4217 lower-case. `status` moves only along
    `common.billing.orders.TRANSITIONS`; `fulfilled` is True once the credits of a PAID order were applied.
    Stripe orders carry the Checkout Session id, and after payment the PaymentIntent and event ids.
    """

    id: str = Field(alias="_id")
    user_id: str
    package_id: str
    package_name: str
    credits: int = Field(ge=0)
    price_cents: int = Field(ge=0)
    currency: str
    status: OrderStatus
    provider: Literal["stripe", "sandbox"]
    fulfilled: bool
    created_at: datetime
    updated_at: datetime
    paid_at: datetime | None = None
    stripe_session_id: str | None = None
    stripe_payment_intent: str | None = None
    stripe_event_id: str | None = None
    canceled_at: datetime | None = None
    cancel_reason: str | None = None
    refunded_at: datetime | None = None
    refund: RefundState | None = None

    absent_when_none: ClassVar[tuple[str, ...]] = (
        "stripe_session_id", "stripe_payment_intent", "stripe_event_id", "canceled_at", "cancel_reason", "refunded_at", "refund",
    )
