"""Billing types: credit packages, orders, checkout (API.md, Billing)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from common.models.core import Out, Strict

PACKAGE_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"


class OrderStatus(str, enum.Enum):
    """Order lifecycle: PENDING (checkout open) -> PAID (credits granted once) -> REFUNDED (credits taken back), or
    PENDING -> CANCELED.
    """
    PENDING = "PENDING"
    PAID = "PAID"
    CANCELED = "CANCELED"
    REFUNDED = "REFUNDED"


class Package(Out):
    """A credit package on sale: credits granted and price in the currency's minor unit (cents), ISO 4217 currency."""
    id: str
    name: str
    credits: int
    price_cents: int
    currency: str


class PackageList(Out):
    """GET /api/billing/packages: the packages on sale."""
    items: list[Package]


class CheckoutRequest(Strict):
    """Body of POST /api/billing/checkout: the package to buy."""
    package_id: str = Field(min_length=1, max_length=40)


class Order(Out):
    """A purchase of one package: amounts, status, payment `provider` (Stripe or the local sandbox), timestamps."""
    id: str
    user_id: str
    package_id: str
    credits: int
    price_cents: int
    currency: str
    status: OrderStatus
    provider: Literal["stripe", "sandbox"]
    created_at: datetime
    paid_at: datetime | None = None


class OrderPage(Out):
    """One page of orders, newest first; `next_cursor` is null on the last page."""
    items: list[Order]
    next_cursor: str | None = None


class CheckoutResponse(Out):
    """The created PENDING order and the checkout page to send the buyer to (Stripe Checkout or the sandbox)."""
    order: Order
    checkout_url: str


class WebhookAck(Out):
    """What the webhook answers Stripe: 200 with what happened (`fulfilled`, `duplicate`, `ignored`, ...)."""

    received: bool = True
    outcome: str


SCHEMA_MODELS: list[type[BaseModel]] = [
    Package,
    PackageList,
    CheckoutRequest,
    Order,
    OrderPage,
    CheckoutResponse,
    WebhookAck,
]
