"""Billing types: credit packages, orders, checkout (API.md, Billing)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from common.models.core import Out, Strict

PACKAGE_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"


class OrderStatus(str, enum.Enum):
    PENDING = "PENDING"
    PAID = "PAID"
    CANCELED = "CANCELED"
    REFUNDED = "REFUNDED"


class Package(Out):
    id: str
    name: str
    credits: int
    price_cents: int
    currency: str


class PackageList(Out):
    items: list[Package]


class CheckoutRequest(Strict):
    package_id: str = Field(min_length=1, max_length=40)


class Order(Out):
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
    items: list[Order]
    next_cursor: str | None = None


class CheckoutResponse(Out):
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
