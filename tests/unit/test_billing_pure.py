"""The order state machine table and webhook verification, without a stack (pure, milliseconds)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from common.billing import orders
from common.billing.stripe_gateway import WEBHOOK_TOLERANCE_S, BadSignature, StripeGateway
from common.errors import InvalidRequest

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SECRET = "whsec_unit_0123456789"


def sign(payload: bytes, at: datetime, secret: str = SECRET) -> str:
    t = int(at.timestamp())
    return f"t={t},v1=" + hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()


@pytest.mark.parametrize(("status", "move", "ok"), [
    ("PENDING", "pay", True), ("PAID", "pay", False), ("CANCELED", "pay", False),
    ("PENDING", "stripe_paid", True), ("CANCELED", "stripe_paid", True), ("REFUNDED", "stripe_paid", False),
    ("PENDING", "cancel", True), ("PAID", "cancel", False),
    ("PAID", "refund", True), ("PENDING", "refund", False), ("REFUNDED", "refund", False),
])
def test_each_move_is_allowed_only_from_its_sources(status: str, move: str, ok: bool) -> None:
    assert orders.allowed(status, move) is ok


def test_a_move_becomes_one_compare_and_set_filter() -> None:
    assert orders.cas_filter("o1", "pay") == {"_id": "o1", "status": "PENDING"}
    assert orders.cas_filter("o1", "stripe_paid") == {"_id": "o1", "status": {"$in": ["PENDING", "CANCELED"]}}
    assert orders.target("refund") == "REFUNDED"
    with pytest.raises(KeyError):
        orders.cas_filter("o1", "teleport")


def test_webhook_signature_is_checked_by_the_sdk_and_the_window_by_the_clock() -> None:
    payload = json.dumps({"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {}}}).encode()
    event = StripeGateway.verify_event(payload=payload, signature_header=sign(payload, NOW), secret=SECRET, now=NOW)
    assert event["id"] == "evt_1"
    edge = NOW - timedelta(seconds=WEBHOOK_TOLERANCE_S)
    assert StripeGateway.verify_event(payload=payload, signature_header=sign(payload, edge), secret=SECRET, now=NOW)
    for header in (sign(payload, NOW - timedelta(seconds=WEBHOOK_TOLERANCE_S + 1)),
                   sign(payload, NOW + timedelta(seconds=WEBHOOK_TOLERANCE_S + 1)),
                   sign(payload, NOW, secret="whsec_other"), "t=1,v1=abc", "", "garbage"):
        with pytest.raises(BadSignature):
            StripeGateway.verify_event(payload=payload, signature_header=header, secret=SECRET, now=NOW)
    with pytest.raises(BadSignature):  # the body changed after signing
        StripeGateway.verify_event(payload=payload + b" ", signature_header=sign(payload, NOW), secret=SECRET, now=NOW)
    with pytest.raises(InvalidRequest):
        StripeGateway.verify_event(payload=b"not json", signature_header=sign(b"not json", NOW), secret=SECRET, now=NOW)


def test_the_frozen_clock_moves_only_when_told() -> None:
    from common.clock import FrozenClock

    clock = FrozenClock(NOW)
    assert clock.now() == NOW == clock.now()
    assert clock.advance(301) == NOW + timedelta(seconds=301) == clock.now()
    clock.set(datetime(2026, 6, 1, 12, 0))  # naive is taken as UTC
    assert clock.now() == NOW
