"""`BillingService` (common/billing/service.py) on the in-memory order and ledger fakes, a frozen clock and an
in-memory payment gateway: checkout, the sandbox, the Stripe webhook, refunds — money exactly once, no HTTP.

Webhooks are signed with the `stripe` SDK's own scheme (`stripe.WebhookSignature.generate_signature_header`)
and verified by the real `StripeGateway.verify_event` (pure: `stripe.Webhook.construct_event`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import stripe

from common.accounting import Accounting
from common.billing import BadSignature, BillingConfig, BillingService, StripeGateway
from common.clock import FrozenClock
from common.errors import Conflict, Forbidden, InvalidRequest, NotFound, ServiceUnavailable
from tests.concurrency import race
from tests.fakes.memory.money import MemoryLedgerStore, MemoryOrderStore

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
WEBHOOK_SECRET = "whsec_unit_0123456789abcdef"
STRIPE_KEY = "sk_test_unit_123"
RACERS = 8


class FakeGateway:
    """The gateway calls billing makes, in memory: sessions and refunds recorded; signatures checked by the SDK."""

    def __init__(self) -> None:
        self.sessions: list[dict[str, Any]] = []
        self.refunds: list[dict[str, str]] = []
        self.refuse = False

    def create_checkout_session(self, *, key: str, order: dict[str, Any], email: str, base_url: str) -> tuple[str, str]:
        if self.refuse:
            raise ServiceUnavailable("The payment provider refused the request. Please try again later.")
        self.sessions.append({"key": key, "order": dict(order), "email": email, "base_url": base_url})
        return f"cs_test_{order['_id']}", f"https://checkout.stripe.test/c/pay/cs_test_{order['_id']}"

    def refund(self, *, key: str, payment_intent: str, order_id: str) -> None:
        self.refunds.append({"key": key, "payment_intent": payment_intent, "order_id": order_id})

    def verify_event(self, *, payload: bytes, signature_header: str, secret: str, now: datetime) -> dict[str, Any]:
        return StripeGateway.verify_event(payload=payload, signature_header=signature_header, secret=secret, now=now)


class World:
    """A BillingService on the fakes, one user, and the knobs a test turns (Stripe key, production)."""

    def __init__(self, *, stripe_key: str | None = None, production: bool = False) -> None:
        self.clock = FrozenClock(NOW)
        self.ledger, self.orders, self.gateway = MemoryLedgerStore(), MemoryOrderStore(), FakeGateway()
        self.accounting = Accounting(store=self.ledger, clock=self.clock)
        self.stripe_key = stripe_key
        self.billing = BillingService(
            orders=self.orders, accounting=self.accounting, stripe_key=lambda: self.stripe_key,
            webhook_secret=lambda: WEBHOOK_SECRET, packages=lambda: None, sandbox_key=lambda: "sandbox-key",
            config=BillingConfig(production=production, public_base_url="https://studio.example"),
            clock=self.clock, gateway=self.gateway,
        )
        self.user = {"_id": self.ledger.add_user(credits=0), "email": "buyer@example.com"}

    def credits(self) -> int:
        value = self.accounting.balance(self.user["_id"])
        assert value is not None
        return value

    def ledger_keys(self) -> list[str]:
        items, _ = self.accounting.ledger_page(user_id=self.user["_id"], limit=100, cursor=None)
        return [e.key for e in reversed(items)]

    def checkout(self, package_id: str = "starter") -> tuple[str, str]:
        answer = self.billing.checkout(user=self.user, package_id=package_id, origin=None)
        return answer.order.id, answer.checkout_url

    def status(self, order_id: str) -> str:
        doc = self.orders.get(order_id)
        assert doc is not None
        return str(doc["status"])

    def webhook(self, kind: str, order_id: str, *, at: datetime = NOW, secret: str = WEBHOOK_SECRET, **session: Any) -> str:
        order = self.orders.get(order_id)
        assert order is not None
        obj = {"id": f"cs_test_{order_id}", "object": "checkout.session", "client_reference_id": order_id,
               "metadata": {"order_id": order_id}, "payment_status": "paid", "amount_total": order["price_cents"],
               "currency": order["currency"], "payment_intent": f"pi_{order_id}", **session}
        payload = json.dumps({"id": f"evt_{kind}", "type": kind, "data": {"object": obj}})
        header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=int(at.timestamp()))
        return self.billing.handle_webhook(payload=payload.encode(), signature_header=header)


def sig_of(checkout_url: str) -> str:
    return checkout_url.split("sig=", 1)[1]




# ---- checkout ------------------------------------------------------------------------------


def test_sandbox_checkout_stores_a_pending_order_with_the_servers_amounts_and_a_signed_link() -> None:
    w = World()
    order_id, url = w.checkout("creator")
    doc = w.orders.get(order_id)
    assert doc is not None and (doc["status"], doc["provider"], doc["credits"], doc["price_cents"]) == ("PENDING", "sandbox", 500, 1999)
    assert url.startswith(f"/api/billing/sandbox/{order_id}?sig=") and w.gateway.sessions == []
    assert w.billing.sandbox_order(order_id, sig_of(url))["_id"] == order_id


def test_unknown_package_and_production_without_stripe_write_no_order() -> None:
    w = World()
    with pytest.raises(InvalidRequest):
        w.checkout("platinum")
    prod = World(production=True)
    with pytest.raises(ServiceUnavailable):
        prod.checkout()
    assert w.orders.documents() == [] and prod.orders.documents() == []


def test_stripe_checkout_opens_a_session_for_the_stored_order() -> None:
    w = World(stripe_key=STRIPE_KEY)
    order_id, url = w.checkout()
    assert url == f"https://checkout.stripe.test/c/pay/cs_test_{order_id}"
    (session,) = w.gateway.sessions
    assert (session["key"], session["order"]["_id"], session["order"]["price_cents"], session["base_url"]) == (
        STRIPE_KEY, order_id, 499, "https://studio.example")
    doc = w.orders.get(order_id)
    assert doc is not None and (doc["provider"], doc["stripe_session_id"]) == ("stripe", f"cs_test_{order_id}")


def test_a_stripe_refusal_cancels_the_order_and_answers_503() -> None:
    w = World(stripe_key=STRIPE_KEY)
    w.gateway.refuse = True
    with pytest.raises(ServiceUnavailable):
        w.checkout()
    (doc,) = w.orders.documents()
    assert doc["status"] == "CANCELED" and w.credits() == 0


# ---- the sandbox ---------------------------------------------------------------------------


def test_sandbox_pay_credits_once_and_a_second_pay_is_a_conflict() -> None:
    w = World()
    order_id, url = w.checkout()
    paid = w.billing.sandbox_pay(order_id, sig_of(url))
    assert paid["status"] == "PAID" and paid["fulfilled"] is True and paid["paid_at"] == NOW
    with pytest.raises(Conflict):
        w.billing.sandbox_pay(order_id, sig_of(url))
    assert w.credits() == 100 and w.ledger_keys() == [f"order:{order_id}"]


def test_sandbox_signatures_are_checked_and_a_bad_one_changes_nothing() -> None:
    w = World()
    order_id, url = w.checkout()
    other = w.billing.sandbox_url(order_id, "someone-else")
    for sig in ("", "0" * 64, sig_of(other)):
        with pytest.raises(Forbidden):
            w.billing.sandbox_pay(order_id, sig)
        with pytest.raises(Forbidden):
            w.billing.sandbox_cancel(order_id, sig)
    with pytest.raises(Forbidden):
        w.billing.sandbox_pay("not-an-id", sig_of(url))
    assert w.status(order_id) == "PENDING" and w.credits() == 0


def test_the_sandbox_is_not_found_in_production() -> None:
    w = World(stripe_key=STRIPE_KEY, production=True)
    with pytest.raises(NotFound):
        w.billing.sandbox_order("0" * 24, "x")


def test_eight_concurrent_sandbox_pays_credit_once() -> None:
    w = World()
    order_id, url = w.checkout()
    results = race(RACERS, lambda _: w.billing.sandbox_pay(order_id, sig_of(url)))
    assert sum(isinstance(r, dict) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == RACERS - 1
    assert w.credits() == 100 and w.ledger_keys() == [f"order:{order_id}"]


def test_a_canceled_sandbox_order_cannot_be_paid_and_cancel_is_once() -> None:
    w = World()
    order_id, url = w.checkout()
    assert w.billing.sandbox_cancel(order_id, sig_of(url))["status"] == "CANCELED"
    with pytest.raises(Conflict):
        w.billing.sandbox_cancel(order_id, sig_of(url))
    with pytest.raises(Conflict):
        w.billing.sandbox_pay(order_id, sig_of(url))
    assert w.credits() == 0


# ---- the Stripe webhook --------------------------------------------------------------------


def test_a_paid_webhook_credits_once_across_duplicate_deliveries() -> None:
    w = World(stripe_key=STRIPE_KEY)
    order_id, _ = w.checkout()
    assert w.webhook("checkout.session.completed", order_id) == "fulfilled"
    assert w.webhook("checkout.session.completed", order_id) == "duplicate"
    assert w.webhook("checkout.session.async_payment_succeeded", order_id) == "duplicate"
    doc = w.orders.get(order_id)
    assert doc is not None and (doc["status"], doc["stripe_payment_intent"]) == ("PAID", f"pi_{order_id}")
    assert w.credits() == 100 and w.ledger_keys() == [f"order:{order_id}"]


def test_eight_concurrent_webhook_deliveries_credit_once() -> None:
    w = World(stripe_key=STRIPE_KEY)
    order_id, _ = w.checkout()
    results = race(RACERS, lambda _: w.webhook("checkout.session.completed", order_id))
    assert results.count("fulfilled") >= 1 and set(results) <= {"fulfilled", "duplicate"}
    assert w.credits() == 100 and w.ledger_keys() == [f"order:{order_id}"]


def test_a_payment_confirmed_after_the_session_expired_still_credits_once() -> None:
    w = World(stripe_key=STRIPE_KEY)
    order_id, _ = w.checkout()
    assert w.webhook("checkout.session.expired", order_id) == "canceled"
    assert w.webhook("checkout.session.expired", order_id) == "unchanged"
    assert w.status(order_id) == "CANCELED"
    assert w.webhook("checkout.session.completed", order_id) == "fulfilled"
    assert w.status(order_id) == "PAID" and w.credits() == 100


def test_an_unpaid_completion_waits_and_a_wrong_amount_credits_nothing() -> None:
    w = World(stripe_key=STRIPE_KEY)
    order_id, _ = w.checkout()
    assert w.webhook("checkout.session.completed", order_id, payment_status="unpaid") == "awaiting_payment"
    assert w.webhook("checkout.session.completed", order_id, amount_total=1) == "amount_mismatch"
    assert w.webhook("checkout.session.completed", order_id, currency="eur") == "amount_mismatch"
    assert w.status(order_id) == "PENDING" and w.credits() == 0


def test_a_bad_or_stale_signature_is_refused_and_changes_nothing() -> None:
    w = World(stripe_key=STRIPE_KEY)
    order_id, _ = w.checkout()
    with pytest.raises(BadSignature):
        w.webhook("checkout.session.completed", order_id, secret="whsec_someone_else")
    w.clock.advance(301)  # a delivery signed more than 5 minutes ago (by the service's clock)
    with pytest.raises(BadSignature):
        w.webhook("checkout.session.completed", order_id)
    assert w.status(order_id) == "PENDING" and w.credits() == 0


def test_a_sandbox_order_or_a_foreign_session_is_ignored() -> None:
    w = World()
    sandbox_id, _ = w.checkout()
    assert w.webhook("checkout.session.completed", sandbox_id) == "ignored"
    w.stripe_key = STRIPE_KEY
    order_id, _ = w.checkout()
    assert w.webhook("checkout.session.completed", order_id, id="cs_test_other") == "ignored"
    assert w.credits() == 0


# ---- fulfilment a crash interrupted, refunds ------------------------------------------------


def test_finish_unfulfilled_completes_an_interrupted_credit_once() -> None:
    w = World()
    order_id, _ = w.checkout()
    w.orders.move(order_id, "pay", fields={"fulfilled": False, "paid_at": NOW})  # crashed before the credit
    assert w.credits() == 0
    assert w.billing.finish_unfulfilled(user_id=w.user["_id"]) == 1
    assert w.billing.finish_unfulfilled(user_id=w.user["_id"]) == 0
    docs, _ = w.billing.own_orders(user_id=w.user["_id"], limit=10, cursor=None)
    assert [d["fulfilled"] for d in docs] == [True] and w.credits() == 100


def test_listing_own_orders_finishes_a_credit_a_crash_interrupted() -> None:
    w = World()
    order_id, _ = w.checkout()
    w.orders.move(order_id, "pay", fields={"fulfilled": False, "paid_at": NOW})
    docs, cursor = w.billing.own_orders(user_id=w.user["_id"], limit=10, cursor=None)
    assert [d["_id"] for d in docs] == [order_id] and cursor is None and w.credits() == 100


def test_an_admin_refund_takes_the_credits_back_once() -> None:
    w = World()
    order_id, url = w.checkout()
    w.billing.sandbox_pay(order_id, sig_of(url))
    done = w.billing.refund_order(order_id=order_id, actor_id="admin-1")
    assert (done["status"], done["refund"]) == ("REFUNDED", {"state": "done", "actor_id": "admin-1"})
    with pytest.raises(Conflict):
        w.billing.refund_order(order_id=order_id, actor_id="admin-1")
    assert w.credits() == 0 and w.ledger_keys() == [f"order:{order_id}", f"order-refund:{order_id}"]


def test_concurrent_admin_refunds_take_back_once() -> None:
    w = World()
    order_id, url = w.checkout()
    w.billing.sandbox_pay(order_id, sig_of(url))
    w.accounting.apply_credits(user_id=w.user["_id"], delta=50, key="admin:bonus", reason="test")
    results = race(RACERS, lambda _: w.billing.refund_order(order_id=order_id, actor_id="admin-1"))
    assert sum(isinstance(r, dict) for r in results) == 1 and all(isinstance(r, (dict, Conflict)) for r in results)
    assert w.credits() == 50


def test_a_refund_after_the_credits_were_spent_takes_what_is_there() -> None:
    w = World()
    order_id, url = w.checkout()
    w.billing.sandbox_pay(order_id, sig_of(url))
    w.accounting.apply_credits(user_id=w.user["_id"], delta=-70, key="charge:t1", reason="spent")
    w.billing.refund_order(order_id=order_id, actor_id="admin-1")
    items, _ = w.accounting.ledger_page(user_id=w.user["_id"], limit=1, cursor=None)
    assert w.credits() == 0 and items[0].delta == -30 and items[0].meta == {
        "order_id": order_id, "credits": 100, "taken": 30, "shortfall": 70}


def test_a_stripe_refund_goes_to_stripe_first_with_the_payment_intent() -> None:
    w = World(stripe_key=STRIPE_KEY)
    order_id, _ = w.checkout()
    w.webhook("checkout.session.completed", order_id)
    w.billing.refund_order(order_id=order_id, actor_id="admin-1")
    assert w.gateway.refunds == [{"key": STRIPE_KEY, "payment_intent": f"pi_{order_id}", "order_id": order_id}]
    assert w.status(order_id) == "REFUNDED" and w.credits() == 0


def test_only_paid_orders_can_be_refunded() -> None:
    w = World()
    order_id, _ = w.checkout()
    with pytest.raises(Conflict):
        w.billing.refund_order(order_id=order_id, actor_id="admin-1")
    with pytest.raises(NotFound):
        w.billing.refund_order(order_id="0" * 24, actor_id="admin-1")


def test_a_redelivered_webhook_finishes_a_credit_a_crash_interrupted() -> None:
    w = World(stripe_key=STRIPE_KEY)
    order_id, _ = w.checkout()
    w.orders.move(order_id, "stripe_paid", fields={"fulfilled": False, "paid_at": NOW})  # crashed before the credit
    assert w.webhook("checkout.session.completed", order_id) == "fulfilled"
    assert w.webhook("checkout.session.completed", order_id) == "duplicate"
    assert w.credits() == 100 and w.ledger_keys() == [f"order:{order_id}"]
