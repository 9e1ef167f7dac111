"""Billing over HTTP: packages, sandbox checkout, Stripe Checkout against a fake, the signed webhook, refunds.

Money must arrive exactly once: replays, concurrent duplicates and a crash between
"mark PAID" and "credit" never double-credit and never lose the credit.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import parse_qs

import pytest

from common.clock import FrozenClock
from common.secrets import STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET
from tests.conftest import Stack
from tests.fakes.server import FakeServer, RecordedRequest, Reply

WEBHOOK_SECRET = "whsec_test_0123456789abcdef"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # the billing service's (frozen) clock; signatures are made at it


@pytest.fixture
def clock() -> FrozenClock:
    """Billing reads this clock; webhooks are signed at NOW unless a test says otherwise."""
    return FrozenClock(NOW)


class FakeStripe(FakeServer):
    """The two Stripe REST calls billing makes: create a Checkout Session, create a Refund (form-encoded)."""

    def __init__(self, *, key: str = "sk_test_fake_123456") -> None:
        super().__init__()
        self.key = key

    def route(self, method: str, path: str) -> str | None:
        return {("POST", "/v1/checkout/sessions"): "session", ("POST", "/v1/refunds"): "refund"}.get((method, path))

    def authorize(self, request: RecordedRequest) -> Reply | None:
        if request.headers.get("authorization") != f"Bearer {self.key}":  # how the stripe SDK sends the key
            return Reply.json({"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}}, status=401)
        return None

    def default(self, request: RecordedRequest) -> Reply:
        form = form_of(request)
        if request.endpoint == "session":
            sid = f"cs_test_{form['client_reference_id']}"
            return Reply.json({"id": sid, "object": "checkout.session", "url": f"https://checkout.stripe.test/c/pay/{sid}"})
        return Reply.json({"id": "re_test_1", "object": "refund", "status": "succeeded"})


def form_of(request: RecordedRequest) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.body.decode()).items()}


# ---- helpers ----------------------------------------------------------------------------


def me(stack: Stack, token: str) -> dict[str, Any]:
    return dict(stack.api("GET", "/api/auth/me", token=token).json())


def checkout(stack: Stack, token: str, package_id: str = "starter") -> dict[str, Any]:
    r = stack.api("POST", "/api/billing/checkout", token=token, json={"package_id": package_id})
    assert r.status_code == 201, r.text
    return dict(r.json())


def sandbox_post(stack: Stack, checkout_url: str, action: str, **kwargs: Any) -> Any:
    path, _, query = checkout_url.partition("?")
    return stack.api("POST", f"{path}/{action}?{query}", allow_redirects=False, **kwargs)


def sign(payload: bytes, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    t = int(NOW.timestamp()) if at is None else at
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event(kind: str, order: dict[str, Any], **session: Any) -> bytes:
    obj = {"id": f"cs_test_{order['id']}", "object": "checkout.session", "client_reference_id": order["id"],
           "metadata": {"order_id": order["id"]}, "payment_status": "paid", "amount_total": order["price_cents"],
           "currency": order["currency"], "payment_intent": f"pi_{order['id']}", **session}
    return json.dumps({"id": f"evt_{time.time_ns()}", "type": kind, "data": {"object": obj}}).encode()


def send_webhook(stack: Stack, payload: bytes, signature: str | None = None) -> Any:
    return stack.api("POST", "/api/billing/webhook", data=payload,
                     headers={"Stripe-Signature": signature if signature is not None else sign(payload),
                              "Content-Type": "application/json"})


@pytest.fixture
def stripe(stack: Stack) -> Any:
    with FakeStripe() as started:
        fake = cast(FakeStripe, started)
        stack.svc.secrets.put(STRIPE_SECRET_KEY, fake.key)
        stack.svc.secrets.put(STRIPE_WEBHOOK_SECRET, WEBHOOK_SECRET)
        stack.svc.billing.config = type(stack.svc.billing.config)(
            production=False, public_base_url="https://studio.example", stripe_api_base=fake.origin)
        yield fake


def ledger(stack: Stack, key: str) -> list[dict[str, Any]]:
    return list(stack.svc.db.ledger.find({"key": key}))


# ---- packages ----------------------------------------------------------------------------


def test_packages_are_public_with_defaults_and_follow_the_settings_document(stack: Stack) -> None:
    items = stack.api("GET", "/api/billing/packages").json()["items"]
    assert [(p["id"], p["credits"], p["price_cents"], p["currency"]) for p in items] == [
        ("starter", 100, 499, "usd"), ("creator", 500, 1999, "usd"), ("studio", 2000, 5999, "usd")]
    stack.svc.db.settings.update_one({"_id": "packages"}, {"$set": {"items": [
        {"id": "mega", "name": "Mega", "credits": 9000, "price_cents": 19900, "currency": "eur"}]}}, upsert=True)
    assert stack.api("GET", "/api/billing/packages").json()["items"] == [
        {"id": "mega", "name": "Mega", "credits": 9000, "price_cents": 19900, "currency": "eur"}]


# ---- sandbox -----------------------------------------------------------------------------


def test_sandbox_checkout_end_to_end_credits_once(stack: Stack) -> None:
    token = stack.register()
    before = me(stack, token)["credits"]
    res = checkout(stack, token, "creator")
    order = res["order"]
    assert order["status"] == "PENDING" and order["provider"] == "sandbox"
    assert (order["credits"], order["price_cents"], order["currency"], order["paid_at"]) == (500, 1999, "usd", None)
    assert res["checkout_url"].startswith(f"/api/billing/sandbox/{order['id']}?sig=")

    page = stack.api("GET", res["checkout_url"])  # the browser opens it without a token
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "19.99 USD" in page.text and f"/api/billing/sandbox/{order['id']}/pay?sig=" in page.text
    assert me(stack, token)["credits"] == before  # opening the page pays nothing

    paid = sandbox_post(stack, res["checkout_url"], "pay")
    assert paid.status_code == 303
    assert paid.headers["Location"] == f"/account?order={order['id']}"
    assert me(stack, token)["credits"] == before + 500

    again = sandbox_post(stack, res["checkout_url"], "pay")
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert me(stack, token)["credits"] == before + 500
    listed = stack.api("GET", "/api/billing/orders", token=token).json()
    assert [(o["id"], o["status"]) for o in listed["items"]] == [(order["id"], "PAID")]
    assert listed["items"][0]["paid_at"] is not None
    assert len(ledger(stack, f"order:{order['id']}")) == 1


def test_sandbox_concurrent_pays_credit_once(stack: Stack) -> None:
    """One payment wins (303); each concurrent duplicate is a 409 conflict, on any server's timing."""
    token = stack.register()
    res = checkout(stack, token)
    barrier = threading.Barrier(5)
    codes: list[int] = []

    def pay() -> None:
        barrier.wait()
        codes.append(sandbox_post(stack, res["checkout_url"], "pay").status_code)

    threads = [threading.Thread(target=pay) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [303, 409, 409, 409, 409]
    assert me(stack, token)["credits"] == 100


def test_sandbox_pay_that_loses_the_race_still_finishes_an_interrupted_credit(stack: Stack) -> None:
    """The state a concurrent loser (or a retry after a crash) meets: PAID, credit not yet applied."""
    token = stack.register()
    res = checkout(stack, token)
    order_id = res["order"]["id"]
    stack.svc.db.orders.update_one({"_id": order_id}, {"$set": {"status": "PAID", "fulfilled": False}})
    r = sandbox_post(stack, res["checkout_url"], "pay")
    assert r.status_code == 409 and r.json()["error"]["details"]["status"] == "PAID"
    assert me(stack, token)["credits"] == 100
    assert stack.svc.db.orders.find_one({"_id": order_id})["fulfilled"] is True
    assert sandbox_post(stack, res["checkout_url"], "pay").status_code == 409
    assert me(stack, token)["credits"] == 100 and len(ledger(stack, f"order:{order_id}")) == 1


def test_concurrent_first_requests_of_the_day_each_take_a_quota_unit(stack: Stack) -> None:
    """The day's quota document is created by whichever request comes first; none of the others is refused."""
    token = stack.register()
    limit = me(stack, token)["quota"]["image"]["limit"]
    barrier = threading.Barrier(limit)
    codes: list[int] = []

    def post() -> None:
        barrier.wait()
        codes.append(stack.api("POST", "/api/ai/image", token=token, json={"prompt": "p"}).status_code)

    threads = [threading.Thread(target=post) for _ in range(limit)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [202] * limit
    assert me(stack, token)["quota"]["image"]["used"] == limit and me(stack, token)["credits"] == 0


def test_sandbox_canceled_order_cannot_be_paid(stack: Stack) -> None:
    token = stack.register()
    res = checkout(stack, token)
    canceled = sandbox_post(stack, res["checkout_url"], "cancel")
    assert canceled.status_code == 303 and canceled.headers["Location"].endswith("&canceled=1")
    r = sandbox_post(stack, res["checkout_url"], "pay")
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    assert me(stack, token)["credits"] == 0
    assert stack.api("GET", "/api/billing/orders", token=token).json()["items"][0]["status"] == "CANCELED"
    # A browser form post gets a readable page with the same status.
    html = sandbox_post(stack, res["checkout_url"], "pay", headers={"Accept": "text/html"})
    assert html.status_code == 409 and "canceled" in html.text


def test_someone_elses_sandbox_order_cannot_be_paid(stack: Stack) -> None:
    alice, mallory = stack.register(), stack.register()
    alice_order = checkout(stack, alice)
    mallory_order = checkout(stack, mallory)
    oid = alice_order["order"]["id"]
    mallory_sig = mallory_order["checkout_url"].split("sig=")[1]
    for url in (f"/api/billing/sandbox/{oid}/pay?sig={mallory_sig}", f"/api/billing/sandbox/{oid}/pay",
                f"/api/billing/sandbox/{oid}/pay?sig={'0' * 64}"):
        r = stack.api("POST", url, allow_redirects=False)
        assert r.status_code == 403, url
        assert r.json()["error"]["code"] == "bad_signature"
    assert stack.api("GET", f"/api/billing/sandbox/{oid}?sig={mallory_sig}").status_code == 403
    assert me(stack, alice)["credits"] == 0 and me(stack, mallory)["credits"] == 0
    assert stack.svc.db.orders.find_one({"_id": oid})["status"] == "PENDING"


def test_unknown_package_and_bad_bodies_are_400(stack: Stack) -> None:
    token = stack.register()
    r = stack.api("POST", "/api/billing/checkout", token=token, json={"package_id": "platinum"})
    assert r.status_code == 400 and r.json()["error"]["details"]["field"] == "package_id"
    r = stack.api("POST", "/api/billing/checkout", token=token, json={"package_id": "starter", "price_cents": 1})
    assert r.status_code == 400  # the client never names an amount
    assert stack.api("POST", "/api/billing/checkout", json={"package_id": "starter"}).status_code == 401
    assert stack.svc.db.orders.count_documents({}) == 0


def test_orders_are_own_newest_first_and_paginate(stack: Stack) -> None:
    alice, bob = stack.register(), stack.register()
    ids = [checkout(stack, alice, p)["order"]["id"] for p in ("starter", "creator", "studio")]
    checkout(stack, bob)
    first = stack.api("GET", "/api/billing/orders?limit=2", token=alice).json()
    assert [o["id"] for o in first["items"]] == ids[::-1][:2]
    rest = stack.api("GET", f"/api/billing/orders?limit=2&cursor={first['next_cursor']}", token=alice).json()
    assert [o["id"] for o in rest["items"]] == ids[:1] and rest["next_cursor"] is None


# ---- Stripe --------------------------------------------------------------------------------


def test_stripe_checkout_session_is_created_with_server_side_amounts(stack: Stack, stripe: FakeStripe) -> None:
    token = stack.register()
    res = checkout(stack, token, "studio")
    order = res["order"]
    assert order["provider"] == "stripe" and order["status"] == "PENDING"
    assert res["checkout_url"] == f"https://checkout.stripe.test/c/pay/cs_test_{order['id']}"
    (sent,) = stripe.requests_to("session")
    form = form_of(sent)
    assert form["mode"] == "payment"
    assert form["client_reference_id"] == order["id"] and form["metadata[order_id]"] == order["id"]
    assert form["line_items[0][price_data][unit_amount]"] == "5999"
    assert form["line_items[0][price_data][currency]"] == "usd"
    assert form["line_items[0][quantity]"] == "1"
    assert form["success_url"] == f"https://studio.example/account?order={order['id']}"
    assert form["cancel_url"].startswith("https://studio.example/account?order=")
    assert sent.headers["idempotency-key"] == f"checkout:{order['id']}"


def test_stripe_refusal_is_503_and_the_order_is_canceled(stack: Stack, stripe: FakeStripe) -> None:
    token = stack.register()
    stripe.script("session", Reply.json({"error": {"message": "boom"}}, status=500))
    r = stack.api("POST", "/api/billing/checkout", token=token, json={"package_id": "starter"})
    assert r.status_code == 503
    assert [o["status"] for o in stack.api("GET", "/api/billing/orders", token=token).json()["items"]] == ["CANCELED"]


def test_webhook_fulfils_once_when_sent_five_times(stack: Stack, stripe: FakeStripe) -> None:
    token = stack.register()
    order = checkout(stack, token)["order"]
    payload = event("checkout.session.completed", order)
    outcomes = [send_webhook(stack, payload).json()["outcome"] for _ in range(5)]
    assert outcomes == ["fulfilled", "duplicate", "duplicate", "duplicate", "duplicate"]
    assert me(stack, token)["credits"] == 100
    assert len(ledger(stack, f"order:{order['id']}")) == 1
    assert stack.api("GET", "/api/billing/orders", token=token).json()["items"][0]["status"] == "PAID"


def test_webhook_fulfils_once_under_five_concurrent_deliveries(stack: Stack, stripe: FakeStripe) -> None:
    token = stack.register()
    order = checkout(stack, token, "creator")["order"]
    payload = event("checkout.session.completed", order)
    barrier = threading.Barrier(5)
    codes: list[int] = []

    def deliver() -> None:
        barrier.wait()
        codes.append(send_webhook(stack, payload).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200] * 5
    assert me(stack, token)["credits"] == 500
    assert len(ledger(stack, f"order:{order['id']}")) == 1


def test_crash_between_paid_and_credit_is_finished_by_the_replay(stack: Stack, stripe: FakeStripe) -> None:
    token = stack.register()
    order = checkout(stack, token)["order"]
    billing = stack.svc.billing
    real_apply = billing._accounting.apply_credits
    crashed: list[bool] = []

    def crash_once(**kwargs: Any) -> bool:
        if not crashed:
            crashed.append(True)
            raise RuntimeError("process killed")
        return real_apply(**kwargs)

    billing._accounting.apply_credits = crash_once  # type: ignore[method-assign]
    payload = event("checkout.session.completed", order)
    try:
        assert send_webhook(stack, payload).status_code == 500  # Stripe will redeliver
        doc = stack.svc.db.orders.find_one({"_id": order["id"]})
        assert (doc["status"], doc["fulfilled"]) == ("PAID", False)
        assert me(stack, token)["credits"] == 0
        assert send_webhook(stack, payload).json()["outcome"] == "fulfilled"
        assert send_webhook(stack, payload).json()["outcome"] == "duplicate"
    finally:
        billing._accounting.apply_credits = real_apply  # type: ignore[method-assign]
    assert me(stack, token)["credits"] == 100
    assert stack.svc.db.orders.find_one({"_id": order["id"]})["fulfilled"] is True


def test_bad_or_expired_signature_is_400_and_changes_nothing(stack: Stack, stripe: FakeStripe, clock: FrozenClock) -> None:
    token = stack.register()
    order = checkout(stack, token)["order"]
    payload = event("checkout.session.completed", order)
    tampered = payload.replace(b'"paid"', b'"paid" ')
    for signature, body in [
        ("", payload),
        ("t=1,v1=abc", payload),
        (sign(payload, secret="whsec_wrong_secret_000"), payload),
        (sign(payload), tampered),
        (sign(payload, at=int(NOW.timestamp()) - 301), payload),
        (sign(payload, at=int(NOW.timestamp()) + 301), payload),
    ]:
        r = send_webhook(stack, body, signature)
        assert r.status_code == 400, signature
        assert r.json()["error"]["code"] == "invalid_request"
    assert me(stack, token)["credits"] == 0
    assert stack.svc.db.orders.find_one({"_id": order["id"]})["status"] == "PENDING"
    clock.advance(301)  # a signature made "now" is too old once the clock moved past the tolerance
    assert send_webhook(stack, payload, sign(payload)).status_code == 400
    clock.set(NOW)
    ok = sign(payload, at=int(NOW.timestamp()) - 300)  # the edge of the 5-minute tolerance still passes
    assert send_webhook(stack, payload, ok).json()["outcome"] == "fulfilled"


def test_unknown_order_is_200_ignored_and_expired_session_cancels(stack: Stack, stripe: FakeStripe) -> None:
    token = stack.register()
    ghost = {"id": "0" * 24, "price_cents": 499, "currency": "usd"}
    r = send_webhook(stack, event("checkout.session.completed", ghost))
    assert r.status_code == 200 and r.json()["outcome"] == "ignored"
    order = checkout(stack, token)["order"]
    assert send_webhook(stack, event("checkout.session.expired", order, payment_status="unpaid")).json()["outcome"] == "canceled"
    assert stack.api("GET", "/api/billing/orders", token=token).json()["items"][0]["status"] == "CANCELED"
    assert me(stack, token)["credits"] == 0


def test_webhook_with_a_different_amount_does_not_fulfil(stack: Stack, stripe: FakeStripe) -> None:
    token = stack.register()
    order = checkout(stack, token)["order"]
    r = send_webhook(stack, event("checkout.session.completed", order, amount_total=1))
    assert r.json()["outcome"] == "amount_mismatch"
    assert me(stack, token)["credits"] == 0


# ---- refunds -----------------------------------------------------------------------------


def _paid_sandbox_order(stack: Stack, token: str, package_id: str = "starter") -> dict[str, Any]:
    res = checkout(stack, token, package_id)
    assert sandbox_post(stack, res["checkout_url"], "pay").status_code == 303
    return dict(res["order"])


def test_refund_takes_credits_back_once(stack: Stack) -> None:
    token = stack.register()
    order = _paid_sandbox_order(stack, token)
    user_id = me(stack, token)["id"]
    done = stack.svc.billing.refund_order(order_id=order["id"], actor_id="admin")
    assert done["status"] == "REFUNDED"
    assert me(stack, token)["credits"] == 0
    from common.errors import Conflict

    with pytest.raises(Conflict):
        stack.svc.billing.refund_order(order_id=order["id"], actor_id="admin")
    (entry,) = ledger(stack, f"order-refund:{order['id']}")
    assert (entry["user_id"], entry["delta"], entry["meta"]["shortfall"]) == (user_id, -100, 0)


def test_refund_after_credits_were_spent_takes_what_is_there_and_records_the_shortfall(stack: Stack) -> None:
    token = stack.register()
    order = _paid_sandbox_order(stack, token)
    user_id = me(stack, token)["id"]
    stack.svc.accounting.apply_credits(user_id=user_id, delta=-70, key="spent-test", reason="test spend")
    stack.svc.billing.refund_order(order_id=order["id"], actor_id="admin")
    assert me(stack, token)["credits"] == 0  # never negative
    (entry,) = ledger(stack, f"order-refund:{order['id']}")
    assert (entry["delta"], entry["meta"]["taken"], entry["meta"]["shortfall"]) == (-30, 30, 70)


def test_stripe_order_refund_goes_to_stripe_with_an_idempotency_key(stack: Stack, stripe: FakeStripe) -> None:
    token = stack.register()
    order = checkout(stack, token)["order"]
    send_webhook(stack, event("checkout.session.completed", order))
    stack.svc.billing.refund_order(order_id=order["id"], actor_id="admin")
    (sent,) = stripe.requests_to("refund")
    assert form_of(sent)["payment_intent"] == f"pi_{order['id']}"
    assert sent.headers["idempotency-key"] == f"order-refund:{order['id']}"
    assert me(stack, token)["credits"] == 0
