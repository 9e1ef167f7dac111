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

ROUTES: list[tuple[str, str, str | None, str | None, int, str]] = [
    ("get", "/api/billing/packages", None, "PackageList", 200, "Credit packages on sale (public)"),
    ("post", "/api/billing/checkout", "CheckoutRequest", "CheckoutResponse", 201,
     "Create a PENDING order and a checkout (Stripe Checkout, or the local sandbox without a Stripe key)"),
    ("post", "/api/billing/webhook", None, "WebhookAck", 200,
     "Stripe events (Stripe-Signature checked); fulfils each order once"),
    ("get", "/api/billing/orders", None, "OrderPage", 200, "Own orders, newest first"),
    ("get", "/api/billing/sandbox/{id}", None, None, 200, "Local sandbox checkout page (HTML; signed link)"),
    ("post", "/api/billing/sandbox/{id}/pay", None, None, 303, "Sandbox: pay the order, then back to /account"),
    ("post", "/api/billing/sandbox/{id}/cancel", None, None, 303, "Sandbox: cancel the order, then back to /account"),
]
