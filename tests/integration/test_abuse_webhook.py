"""Issue 10: a signed webhook whose fields have the wrong types is 400, never a 500 or half-processed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.abuse_helpers import error_of
from tests.conftest import Stack
from tests.integration.test_billing import FakeStripe, checkout, clock, event, me, send_webhook, stripe

__all__ = ["clock", "stripe"]  # fixtures: billing's frozen clock and the fake Stripe


@pytest.mark.parametrize(("field", "value"), [
    ("amount_total", "abc"),  # the example
    ("metadata", "not-an-object"),  # second member: another field, another wrong type
    ("amount_total", [1, 2]),
    ("currency", {"a": 1}),
])
def test_signed_webhook_with_wrong_types_is_400(stack: Stack, stripe: FakeStripe, field: str, value: Any) -> None:
    token = stack.register()
    order = checkout(stack, token)["order"]
    r = send_webhook(stack, event("checkout.session.completed", order, **{field: value}))
    assert r.status_code == 400, r.text
    assert error_of(r)["code"] == "invalid_request" and field in error_of(r)["details"]["field"]
    assert me(stack, token)["credits"] == 0
    ok = send_webhook(stack, event("checkout.session.completed", order))
    assert ok.status_code == 200 and ok.json()["outcome"] == "fulfilled"  # the right event still works


def test_signed_webhook_nested_too_deeply_is_400(stack: Stack, stripe: FakeStripe) -> None:
    payload = ("[" * 5000 + "]" * 5000).encode()
    r = send_webhook(stack, payload)
    assert r.status_code == 400 and error_of(r)["code"] == "invalid_request"
