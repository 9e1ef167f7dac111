"""Billing: credit packages, orders, Stripe Checkout (or a local sandbox), webhook fulfilment, refunds.

An order moves   PENDING ──pay──► PAID ──refund──► REFUNDED
                    └──cancel/expire──► CANCELED
and every move is ONE compare-and-set of the `OrderStore` (common/billing/orders.py)
with the move's allowed sources in the filter. Credits move only through `Accounting.apply_credits` with a key per
order (`order:<id>`, `order-refund:<id>`), which applies at most once per key.

Exactly-once fulfilment: the CAS PENDING→PAID stores `fulfilled: False`; the
credit (keyed `order:<id>`) follows, then `fulfilled: True`. Whoever finds a
PAID order with `fulfilled: False` — a replayed webhook, a retried sandbox
payment, the owner listing their orders — finishes the credit; the key makes
doing so twice harmless. So a crash between the two steps never loses the
credit, and no replay or concurrent duplicate can credit twice.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from pydantic import BaseModel, ConfigDict, StrictInt, ValidationError

from common import clock
from common.accounting import Accounting
from common.billing.orders import OrderStore
from common.billing.stripe_gateway import STRIPE_API_BASE, BadSignature, PaymentGateway, StripeGateway
from common.clock import SYSTEM_CLOCK, Clock
from common.errors import AppError, Conflict, Forbidden, InvalidRequest, NotFound, PaymentRequired, ServiceUnavailable
from common.ids import plausible_id
from common.models.billing import CheckoutResponse, Order, OrderStatus, Package
from common.models.orders import OrderDocument

log = logging.getLogger(__name__)

DEFAULT_PACKAGES: tuple[dict[str, Any], ...] = (
    {"id": "starter", "name": "Starter", "credits": 100, "price_cents": 499, "currency": "usd"},
    {"id": "creator", "name": "Creator", "credits": 500, "price_cents": 1999, "currency": "usd"},
    {"id": "studio", "name": "Studio", "credits": 2000, "price_cents": 5999, "currency": "usd"},
)
REFUND_ATTEMPTS = 20


@dataclass(frozen=True)
class BillingConfig:
    """`production` refuses the sandbox; `public_base_url` prefixes links back to the app; `stripe_api_base`
    is Stripe's API origin (a fake's in tests)."""

    production: bool
    public_base_url: str
    stripe_api_base: str = STRIPE_API_BASE


class BillingService:
    """Packages, checkout, the sandbox, the Stripe webhook, refunds; see the module docstring for the money rules."""

    def __init__(
        self,
        *,
        orders: OrderStore,
        accounting: Accounting,
        stripe_key: Callable[[], str | None],
        webhook_secret: Callable[[], str | None],
        packages: Callable[[], list[dict[str, Any]] | None],
        sandbox_key: Callable[[], str],
        config: BillingConfig,
        clock: Clock = SYSTEM_CLOCK,
        gateway: PaymentGateway | None = None,
    ) -> None:
        """`orders` keeps the orders; users' credits move only through `accounting`. Secrets are read through the
        callables on every use, so a key the admin rotates applies at once; `packages()` is the admin's package list
        (None: the defaults). `gateway` replaces the Stripe SDK gateway (tests); by default one is built for
        `config.stripe_api_base`."""
        self._orders = orders
        self._accounting = accounting
        self._stripe_key = stripe_key
        self._webhook_secret = webhook_secret
        self._packages = packages
        self._sandbox_key = sandbox_key
        self.config = config
        self._clock = clock
        self._gateway = gateway
        self._gateways: dict[str, StripeGateway] = {}

    @property
    def stripe(self) -> PaymentGateway:
        """The Stripe gateway: the injected one, else the SDK's for the configured API base."""
        if self._gateway is not None:
            return self._gateway
        base = self.config.stripe_api_base
        gateway = self._gateways.get(base)
        if gateway is None:
            gateway = self._gateways[base] = StripeGateway(api_base=base)
        return gateway

    # ---- packages -------------------------------------------------------------------

    def packages(self) -> list[Package]:
        """Defaults, replaced as a whole by the `packages` settings document (admin panel)."""
        items = self._packages()
        source = DEFAULT_PACKAGES if items is None else items
        out = []
        for p in source:
            try:
                out.append(Package(id=str(p["id"]), name=str(p["name"]), credits=int(p["credits"]),
                                   price_cents=int(p["price_cents"]), currency=str(p["currency"]).lower()))
            except (KeyError, TypeError, ValueError):
                log.warning("skipping a malformed package in settings", extra={"package": str(p)[:200]})
        return out

    def _package(self, package_id: str) -> Package:
        for p in self.packages():
            if p.id == package_id:
                return p
        raise InvalidRequest("There is no such package. Pick one on the pricing page.", details={"field": "package_id"})

    # ---- checkout ---------------------------------------------------------------------

    def checkout(self, *, user: dict[str, Any], package_id: str, origin: str | None) -> CheckoutResponse:
        """Store the order PENDING first, then open a checkout for it. Amounts come from the server only."""
        package = self._package(package_id)
        stripe_key = self._stripe_key()
        if not stripe_key and self.config.production:
            raise ServiceUnavailable("Payments are not configured on this server yet.", code="provider_unavailable")
        now = self._clock.now()
        order_id = str(ObjectId())
        document = OrderDocument(
            id=order_id, user_id=str(user["_id"]), package_id=package.id, package_name=package.name,
            credits=package.credits, price_cents=package.price_cents, currency=package.currency,
            status=OrderStatus.PENDING, provider="stripe" if stripe_key else "sandbox",
            fulfilled=False, created_at=now, updated_at=now, paid_at=None,
        )
        self._orders.insert(document)
        order = document.to_mongo()
        log.info("order created", extra={"order_id": order["_id"], "user_id": order["user_id"], "provider": order["provider"]})
        if not stripe_key:
            return CheckoutResponse(order=self.to_api(order), checkout_url=self.sandbox_url(order_id, str(user["_id"])))
        try:
            session = self._create_stripe_session(order=order, user=user, key=stripe_key, origin=origin)
        except AppError:
            self._cancel(order_id, reason="checkout could not be created")
            raise
        self._orders.attach_session(order_id, session["id"])
        order["stripe_session_id"] = session["id"]
        return CheckoutResponse(order=self.to_api(order), checkout_url=str(session["url"]))

    def _base_url(self, origin: str | None) -> str:
        if self.config.public_base_url:
            return self.config.public_base_url
        if origin and origin.startswith(("https://", "http://")) and "/" not in origin.split("://", 1)[1]:
            return origin.rstrip("/")
        return ""

    def _create_stripe_session(self, *, order: dict[str, Any], user: dict[str, Any], key: str, origin: str | None) -> dict[str, Any]:
        base = self._base_url(origin) or "http://127.0.0.1"
        session_id, url = self.stripe.create_checkout_session(key=key, order=order, email=str(user.get("email", "")),
                                                              base_url=base)
        return {"id": session_id, "url": url}

    # ---- the local sandbox -------------------------------------------------------------

    def _sandbox_sig(self, order_id: str, user_id: str) -> str:
        return hmac.new(self._sandbox_key().encode(), f"{order_id}:{user_id}".encode(), hashlib.sha256).hexdigest()

    def sandbox_url(self, order_id: str, user_id: str) -> str:
        """The signed link of a sandbox order's checkout page (relative to the billing function)."""
        return f"/api/billing/sandbox/{order_id}?sig={self._sandbox_sig(order_id, user_id)}"

    def sandbox_order(self, order_id: str, sig: str) -> dict[str, Any]:
        """The sandbox order behind a signed link. Unknown, unsigned or someone else's: 403."""
        if self.config.production:
            raise NotFound("The sandbox checkout is not available on this server.", code="not_enabled")
        order = self.get(order_id)
        if order is None or order.get("provider") != "sandbox" or not hmac.compare_digest(
            self._sandbox_sig(order["_id"], order["user_id"]), sig or ""
        ):
            raise Forbidden("This checkout link is not valid.", code="bad_signature")
        return order

    def sandbox_pay(self, order_id: str, sig: str) -> dict[str, Any]:
        """Pay a PENDING sandbox order: exactly one caller wins, every other gets 409 `conflict`.

        Only the caller whose PENDING→PAID compare-and-set matched gets the
        order back (the HTTP layer answers 303). Any other caller — a double
        click, a concurrent duplicate, a replay — gets Conflict with the
        current status, whatever the timing and on any MongoDB server. If the
        order is PAID but its credit not yet applied (the winner is still
        running, or crashed half-way), the loser first finishes the credit
        (idempotent per order key), so a 409 never leaves a paid order uncredited.
        """
        order = self.sandbox_order(order_id, sig)
        paid = self._mark_paid(order["_id"], move="pay", extra={})
        if paid is not None:
            return self._fulfil(paid)
        current = self._orders.get(order["_id"]) or order
        if current["status"] == OrderStatus.PAID.value and not current.get("fulfilled"):
            self._fulfil(current)  # a payment interrupted half-way (or still running): the credit lands once
        raise Conflict(f"This order is {current['status'].lower()}; it cannot be paid.", details={"status": current["status"]})

    def sandbox_cancel(self, order_id: str, sig: str) -> dict[str, Any]:
        """Cancel a PENDING sandbox order of a signed link. Raises Forbidden (bad link) or Conflict (not PENDING)."""
        order = self.sandbox_order(order_id, sig)
        canceled = self._cancel(order["_id"], reason="canceled in the sandbox")
        if canceled is None:
            current = self._orders.get(order["_id"]) or order
            raise Conflict(f"This order is {current['status'].lower()}; it cannot be canceled.", details={"status": current["status"]})
        return canceled

    # ---- fulfilment -------------------------------------------------------------------

    def _mark_paid(self, order_id: str, *, move: str, extra: dict[str, Any]) -> dict[str, Any] | None:
        now = self._clock.now()
        return self._orders.move(order_id, move, fields={"fulfilled": False, "paid_at": now, "updated_at": now, **extra})

    def _fulfil(self, order: dict[str, Any]) -> dict[str, Any]:
        """Credit a PAID order (idempotent per order), then mark it fulfilled."""
        self._accounting.apply_credits(
            user_id=order["user_id"], delta=int(order["credits"]), key=f"order:{order['_id']}",
            reason="credits purchase", meta={"order_id": order["_id"], "package_id": order["package_id"]},
        )
        done = self._orders.mark_fulfilled(order["_id"])
        log.info("order fulfilled", extra={"order_id": order["_id"], "user_id": order["user_id"], "credits": order["credits"]})
        return done or order

    def finish_unfulfilled(self, *, user_id: str | None = None, limit: int = 100) -> int:
        """Complete credits a crash interrupted (PAID, not fulfilled). Safe to run any time."""
        docs = self._orders.unfulfilled(user_id=user_id, limit=limit)
        for doc in docs:
            self._fulfil(doc)
        return len(docs)

    def _cancel(self, order_id: str, *, reason: str) -> dict[str, Any] | None:
        now = self._clock.now()
        return self._orders.move(order_id, "cancel", fields={"canceled_at": now, "updated_at": now, "cancel_reason": reason})

    # ---- the Stripe webhook -------------------------------------------------------------

    def verify_webhook(self, *, payload: bytes, signature_header: str) -> dict[str, Any]:
        """The verified event (Stripe's SDK checks the signature; the service's clock the 5-minute window).
        Raises BadSignature (400) when no webhook secret is set or the signature fails."""
        secret = self._webhook_secret()
        if not secret:
            log.warning("webhook received but no stripe-webhook-secret is set")
            raise BadSignature("Webhooks are not configured on this server.", details={"field": "Stripe-Signature"})
        return self.stripe.verify_event(payload=payload, signature_header=signature_header or "", secret=secret,
                                        now=self._clock.now())

    def handle_webhook(self, *, payload: bytes, signature_header: str) -> str:
        """Verify, then act on the event. Returns what happened (for the 200 answer and the log)."""
        event = self.verify_webhook(payload=payload, signature_header=signature_header)
        kind = str(event.get("type", ""))
        data = event.get("data") or {}
        session = data.get("object") if isinstance(data, dict) else None
        if not isinstance(session, dict):
            return "ignored"
        if kind.startswith("checkout.session."):
            session = _checked_session(session)
        if kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
            if session.get("payment_status") not in (None, "paid", "no_payment_required"):
                return "awaiting_payment"  # async methods: `async_payment_succeeded` follows
            return self._stripe_paid(session, event_id=str(event.get("id", "")))
        if kind in ("checkout.session.expired", "checkout.session.async_payment_failed"):
            order = self._order_for_session(session)
            if order is None:
                return "ignored"
            return "canceled" if self._cancel(order["_id"], reason=kind) is not None else "unchanged"
        return "ignored"

    def _order_for_session(self, session: dict[str, Any]) -> dict[str, Any] | None:
        order_id = str((session.get("metadata") or {}).get("order_id") or session.get("client_reference_id") or "")
        order = self.get(order_id)
        if order is None or order.get("provider") != "stripe":
            log.warning("webhook for an unknown order", extra={"order_id": order_id[:64], "session_id": str(session.get("id"))[:100]})
            return None
        if order.get("stripe_session_id") and order["stripe_session_id"] != session.get("id"):
            log.warning("webhook session does not match the order", extra={"order_id": order_id})
            return None
        return order

    def _stripe_paid(self, session: dict[str, Any], *, event_id: str) -> str:
        order = self._order_for_session(session)
        if order is None:
            return "ignored"
        amount, currency = session.get("amount_total"), session.get("currency")
        if (amount is not None and int(amount) != int(order["price_cents"])) or (currency and str(currency).lower() != order["currency"]):
            log.error("webhook amount does not match the order; not fulfilled",
                      extra={"order_id": order["_id"], "amount": amount, "currency": currency})
            return "amount_mismatch"
        # Money Stripe confirms wins over our own cancel (e.g. a checkout we gave up on but the user completed).
        extra = {"stripe_payment_intent": session.get("payment_intent"), "stripe_event_id": event_id}
        paid = self._mark_paid(order["_id"], move="stripe_paid", extra=extra)
        if paid is not None:
            self._fulfil(paid)
            return "fulfilled"
        current = self._orders.get(order["_id"]) or order
        if current["status"] in (OrderStatus.PAID.value, OrderStatus.REFUNDED.value) and not current.get("fulfilled"):
            self._fulfil(current)
            return "fulfilled"
        return "duplicate"

    # ---- refunds ------------------------------------------------------------------------

    def refund_order(self, *, order_id: str, actor_id: str) -> dict[str, Any]:
        """PAID → REFUNDED once; credits taken back (key `order-refund:<id>`), never below zero.

        What the user already spent cannot be taken: the ledger entry records the shortfall.
        A Stripe order is refunded at Stripe first (idempotency key per order), so the money
        goes back before our books say so; a crash after that is finished by the next call.
        """
        order = self.get(order_id)
        if order is None:
            raise NotFound("Order not found.")
        if order["status"] == OrderStatus.REFUNDED.value and order.get("refund", {}).get("state") == "pending":
            return self._take_back(order)  # a refund a crash interrupted
        if order["status"] != OrderStatus.PAID.value:
            raise Conflict(f"Only paid orders can be refunded; this one is {order['status'].lower()}.",
                           details={"status": order["status"]})
        if not order.get("fulfilled"):
            order = self._fulfil(order)  # credit first, so the take-back below has something to undo
        if order["provider"] == "stripe":
            self._refund_at_stripe(order)
        now = self._clock.now()
        refunded = self._orders.move(order_id, "refund", fields={
            "refunded_at": now, "updated_at": now, "refund": {"state": "pending", "actor_id": actor_id}})
        if refunded is None:
            raise Conflict("This order was refunded meanwhile.")
        return self._take_back(refunded)

    def _refund_at_stripe(self, order: dict[str, Any]) -> None:
        intent = order.get("stripe_payment_intent")
        key = self._stripe_key()
        if not intent or not key:
            raise ServiceUnavailable("This Stripe order cannot be refunded from here (no payment or no Stripe key); "
                                     "refund it in the Stripe dashboard.")
        self.stripe.refund(key=key, payment_intent=str(intent), order_id=order["_id"])

    def _take_back(self, order: dict[str, Any]) -> dict[str, Any]:
        key = f"order-refund:{order['_id']}"
        credits = int(order["credits"])
        for _ in range(REFUND_ATTEMPTS):
            balance = max(0, self._accounting.balance(order["user_id"]) or 0)
            take = min(credits, balance)
            try:
                self._accounting.apply_credits(
                    user_id=order["user_id"], delta=-take, key=key, reason="order refund",
                    meta={"order_id": order["_id"], "credits": credits, "taken": take, "shortfall": credits - take},
                )
                break
            except PaymentRequired:
                continue  # the user spent credits meanwhile: read the balance again
            except NotFound:
                break  # the account is gone; nothing to take back
        else:
            raise Conflict("The balance kept changing; try the refund again.")
        done = self._orders.finish_refund(order["_id"])
        log.info("order refunded", extra={"order_id": order["_id"], "user_id": order["user_id"]})
        return done or order

    # ---- reads ---------------------------------------------------------------------------

    def page(self, *, filters: dict[str, Any], limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """Orders matching `filters` ({"user_id"?: str, "status"?: str}), newest first (`limit` per page) and the next
        cursor. Raises InvalidRequest for a bad cursor, ValueError for another filter key (a programming error)."""
        unknown = set(filters) - {"user_id", "status"}
        if unknown:
            raise ValueError(f"orders cannot be filtered by {sorted(unknown)}")
        return self._orders.page(user_id=filters.get("user_id"), status=filters.get("status"), limit=limit, cursor=cursor)

    def own_orders(self, *, user_id: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """The user's orders, newest first; finishes any credit a crash interrupted first (idempotent)."""
        self.finish_unfulfilled(user_id=user_id, limit=10)
        return self.page(filters={"user_id": user_id}, limit=limit, cursor=cursor)

    def get(self, order_id: str) -> dict[str, Any] | None:
        """The order document, or None (also for an implausible id)."""
        return self._orders.get(order_id) if plausible_id(order_id) else None

    @staticmethod
    def to_api(doc: dict[str, Any]) -> Order:
        """The API shape of a stored order (API.md `Order`)."""
        return Order(
            id=doc["_id"], user_id=doc["user_id"], package_id=doc["package_id"], credits=int(doc["credits"]),
            price_cents=int(doc["price_cents"]), currency=doc["currency"], status=doc["status"], provider=doc["provider"],
            created_at=clock.as_utc(doc["created_at"]), paid_at=clock.as_utc(doc["paid_at"]) if doc.get("paid_at") else None,
        )


class _CheckoutSession(BaseModel):
    """The fields of a Stripe Checkout Session this service reads, with their documented types
    (https://docs.stripe.com/api/checkout/sessions/object). A signed event whose fields have other
    types is refused (400), never half-processed."""

    model_config = ConfigDict(extra="allow")

    id: str | None = None
    amount_total: StrictInt | None = None
    currency: str | None = None
    payment_status: str | None = None
    payment_intent: str | None = None
    client_reference_id: str | None = None
    metadata: dict[str, str | None] | None = None


def _checked_session(session: dict[str, Any]) -> dict[str, Any]:
    try:
        return _CheckoutSession.model_validate(session).model_dump()
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        field = ".".join(str(p) for p in first["loc"])
        raise InvalidRequest(f"The webhook event's field '{field}' has the wrong type.",
                             details={"field": f"data.object.{field}"}) from None
