"""Stripe through its official SDK: Checkout Sessions, Refunds, webhook signatures.

`StripeGateway` is the only module that talks to Stripe. The API base is a
setting (`STRIPE_API_BASE`), so tests point the SDK at a local fake that speaks
Stripe's wire format (form-encoded requests, JSON answers, Bearer key).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any, Protocol

import stripe

from common.errors import InvalidRequest, ServiceUnavailable

log = logging.getLogger(__name__)

STRIPE_API_BASE = "https://api.stripe.com"
WEBHOOK_TOLERANCE_S = 300  # Stripe's default: a signature older or newer than 5 minutes is refused


class BadSignature(InvalidRequest):
    """A webhook whose Stripe-Signature does not verify: 400, nothing changes."""


class PaymentGateway(Protocol):
    """What the billing service asks of Stripe (`StripeGateway`; tests inject an in-memory one)."""

    def create_checkout_session(self, *, key: str, order: dict[str, Any], email: str, base_url: str) -> tuple[str, str]:
        """A Checkout Session for `order`: `(session id, checkout url)`. Raises ServiceUnavailable."""
        ...

    def refund(self, *, key: str, payment_intent: str, order_id: str) -> None:
        """Refund the whole payment, once per order. Raises ServiceUnavailable."""
        ...

    def verify_event(self, *, payload: bytes, signature_header: str, secret: str, now: datetime) -> dict[str, Any]:
        """The event of a signed webhook. Raises BadSignature / InvalidRequest."""
        ...


class StripeGateway:
    """Creates Checkout Sessions and Refunds with an API key, verifies webhook signatures."""

    def __init__(self, *, api_base: str = STRIPE_API_BASE, timeout_s: float = 20.0) -> None:
        """`api_base` is Stripe's API origin (a fake's in tests); `timeout_s` bounds each call (seconds)."""
        self._api_base = api_base.rstrip("/")
        self._timeout_s = timeout_s
        self._clients: dict[str, stripe.StripeClient] = {}
        self._lock = threading.Lock()

    def _client(self, key: str) -> stripe.StripeClient:
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = stripe.StripeClient(
                    key, base_addresses={"api": self._api_base}, max_network_retries=0,
                    http_client=stripe.RequestsClient(timeout=self._timeout_s),
                )
                self._clients = {key: client}  # one key at a time: a rotated key replaces the old client
            return client

    def create_checkout_session(self, *, key: str, order: dict[str, Any], email: str, base_url: str) -> tuple[str, str]:
        """A Checkout Session for `order` (price and credits from the server's order document): `(id, url)`.

        Idempotent per order (`Idempotency-Key: checkout:<order id>`). Raises ServiceUnavailable when Stripe
        is unreachable, refuses, or answers without an id and URL."""
        oid = order["_id"]
        params: dict[str, Any] = {
            "mode": "payment",
            "client_reference_id": oid,
            "customer_email": email,
            "success_url": f"{base_url}/account?order={oid}",
            "cancel_url": f"{base_url}/account?order={oid}&canceled=1",
            "metadata": {"order_id": oid, "user_id": order["user_id"]},
            "payment_intent_data": {"metadata": {"order_id": oid}},
            "line_items": [{
                "quantity": 1,
                "price_data": {
                    "currency": order["currency"], "unit_amount": int(order["price_cents"]),
                    "product_data": {"name": f"{order['credits']} credits ({order['package_name']})"},
                },
            }],
        }
        session = self._call("checkout session", lambda c: c.v1.checkout.sessions.create(
            params=params, options={"idempotency_key": f"checkout:{oid}"}), key).to_dict()  # type: ignore[arg-type]
        if not session.get("id") or not session.get("url"):
            raise ServiceUnavailable("The payment provider gave an unexpected answer. Please try again.")
        return str(session["id"]), str(session["url"])

    def refund(self, *, key: str, payment_intent: str, order_id: str) -> None:
        """Refund the whole payment. Idempotent per order (`order-refund:<id>`). Raises ServiceUnavailable."""
        self._call("refund", lambda c: c.v1.refunds.create(
            params={"payment_intent": payment_intent, "metadata": {"order_id": order_id}},
            options={"idempotency_key": f"order-refund:{order_id}"}), key)

    def _call(self, what: str, call: Any, key: str) -> Any:
        try:
            return call(self._client(key))
        except stripe.APIConnectionError as exc:
            log.warning("stripe unreachable (%s): %s", what, type(exc).__name__)
            raise ServiceUnavailable("The payment provider is unreachable. Please try again.") from None
        except stripe.StripeError as exc:
            log.warning("stripe refused the %s: %s %s", what, exc.http_status, str(exc.user_message or "")[:300])
            raise ServiceUnavailable("The payment provider refused the request. Please try again later.") from None

    @staticmethod
    def verify_event(*, payload: bytes, signature_header: str, secret: str, now: datetime) -> dict[str, Any]:
        """The event of a signed webhook, as a dict.

        The signature is checked by `stripe.Webhook.construct_event`; the timestamp against `now` (the service's
        clock, both directions, `WEBHOOK_TOLERANCE_S`) here, so tests decide the time. Raises BadSignature
        (400) for a missing, malformed, wrong or stale signature, InvalidRequest for a body that is not an event."""
        field = {"field": "Stripe-Signature"}
        try:
            event = stripe.Webhook.construct_event(payload, signature_header, secret, tolerance=None)  # type: ignore[arg-type]
        except stripe.SignatureVerificationError:
            raise BadSignature("The webhook signature does not match.", details=field) from None
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the JSON parser takes
            raise InvalidRequest("The webhook body is not JSON.") from None
        stamps = [p.split("=", 1)[1] for p in signature_header.split(",") if p.strip().startswith("t=")]
        try:
            timestamp = int(stamps[0])
        except (IndexError, ValueError):
            raise BadSignature("The Stripe-Signature header is missing or malformed.", details=field) from None
        if abs(now.timestamp() - timestamp) > WEBHOOK_TOLERANCE_S:
            raise BadSignature("The webhook signature is too old.", details=field)
        data = event.to_dict() if hasattr(event, "to_dict") else dict(event)
        if not isinstance(data, dict):
            raise InvalidRequest("The webhook body is not an event.")
        return data
