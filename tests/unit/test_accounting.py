"""`Accounting` (common/accounting.py) on the in-memory ledger fake with a frozen clock: the money rules, in milliseconds.

The fake passes the same contract suite as the MongoDB adapter (tests/contract/test_ledger_store.py),
so these rules hold in production too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from common.accounting import Accounting, Charge, Pricing
from common.clock import FrozenClock
from common.errors import NotFound, PaymentRequired
from tests.fakes.memory.money import MemoryLedgerStore

NOON = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
QUOTAS = {"image": 2, "video": 1, "chat": 5}
COSTS = {"image": 2, "video": 10, "chat": 1}


class World:
    """An Accounting on the fake, its clock, and one user."""

    def __init__(self, *, credits: int = 0, timezone: str = "UTC", quotas: dict[str, int] | None = None) -> None:
        self.store = MemoryLedgerStore()
        self.clock = FrozenClock(NOON)
        self.pricing = Pricing(quotas=dict(QUOTAS if quotas is None else quotas), costs=dict(COSTS), timezone=timezone)
        self.accounting = Accounting(store=self.store, pricing=lambda: self.pricing, clock=self.clock)
        self.user = self.store.add_user(credits=credits)

    def balance(self) -> int:
        value = self.accounting.balance(self.user)
        assert value is not None
        return value

    def entries(self) -> list[tuple[str, int, int | None]]:
        items, _ = self.accounting.ledger_page(user_id=self.user, limit=100, cursor=None)
        return [(e.key, e.delta, e.balance_after) for e in reversed(items)]

    def used(self, kind: str, day: str) -> int:
        return self.store.quota_used(user_id=self.user, kind=kind, day=day)

    def charge(self, task: str, kind: str = "video") -> Charge:
        return self.accounting.charge_for_task(user_id=self.user, kind=kind, task_id=task)

    def refund(self, task: str, charge: Charge, kind: str = "video") -> None:
        self.accounting.refund_task(user_id=self.user, kind=kind, task_id=task, charge=charge, created_at=self.clock.now())


def race(n: int, fn: Callable[[], Any]) -> None:
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def run() -> None:
        barrier.wait(timeout=10)
        try:
            fn()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
        assert not t.is_alive(), "a racing thread did not finish within 30 s"
    assert not errors, errors


def test_the_daily_quota_pays_first_and_writes_no_ledger_entry() -> None:
    w = World(credits=50)
    assert w.charge("t1") == Charge(credits=0, from_quota=True)
    assert w.balance() == 50 and w.entries() == [] and w.used("video", "2026-06-01") == 1


def test_credits_pay_once_the_quota_is_spent_at_the_admins_cost() -> None:
    w = World(credits=50)
    w.charge("t1")
    assert w.charge("t2") == Charge(credits=10, from_quota=False)
    w.pricing = Pricing(quotas=dict(QUOTAS), costs={**COSTS, "video": 7})  # the admin changes the price
    assert w.charge("t3") == Charge(credits=7, from_quota=False)
    assert w.balance() == 33
    assert w.entries() == [("charge:t2", -10, 40), ("charge:t3", -7, 33)]


def test_charging_the_same_task_again_takes_nothing_more() -> None:
    w = World(credits=50)
    assert w.charge("t1") == w.charge("t1") == Charge(0, True)
    assert w.used("video", "2026-06-01") == 1
    assert w.charge("t2") == Charge(10, False)
    w.charge("t2")  # a redelivered request: the key is recent, nothing is taken
    assert w.balance() == 40 and [k for k, _, _ in w.entries()] == ["charge:t2"]


def test_not_enough_credits_is_402_with_the_quota_and_nothing_is_written() -> None:
    w = World(credits=9)
    w.charge("t1")
    before = w.store.documents()
    with pytest.raises(PaymentRequired) as caught:
        w.charge("t2")
    assert caught.value.details["credits"] == 9 and caught.value.details["needed"] == 10
    assert caught.value.details["quota"]["used"] == 1 and caught.value.details["quota"]["resets_at"] == "2026-06-02T00:00:00+00:00"
    assert w.store.documents() == before
    w.accounting.apply_credits(user_id=w.user, delta=1, key="admin:top-up", reason="test")
    assert w.charge("t2") == Charge(10, False) and w.balance() == 0  # the refused key was not burnt


def test_a_refund_gives_back_exactly_the_credits_once() -> None:
    w = World(credits=20, quotas={"video": 0})
    charge = w.charge("t1")
    w.refund("t1", charge)
    w.refund("t1", charge)  # a redelivered failure
    assert w.balance() == 20
    assert w.entries() == [("charge:t1", -10, 10), ("refund:t1", 10, 20)]


def test_eight_concurrent_refunds_of_one_task_give_back_once() -> None:
    w = World(credits=20, quotas={"video": 0})
    charge = w.charge("t1")
    race(8, lambda: w.refund("t1", charge))
    assert w.balance() == 20 and [k for k, _, _ in w.entries()] == ["charge:t1", "refund:t1"]


def test_refund_uses_the_charge_not_todays_price() -> None:
    w = World(credits=20, quotas={"video": 0})
    charge = w.charge("t1")
    w.pricing = Pricing(quotas={"video": 0}, costs={**COSTS, "video": 3})
    w.refund("t1", charge)
    assert w.balance() == 20


def test_a_quota_unit_refunded_after_midnight_goes_back_to_the_day_it_was_taken() -> None:
    w = World(credits=0)
    w.clock.set(datetime(2026, 6, 1, 23, 59, tzinfo=UTC))
    charge = w.charge("late")
    w.clock.advance(120)  # 00:01 the next day: a fresh unit, and yesterday's still taken
    today = w.charge("early")
    assert (charge, today) == (Charge(0, True), Charge(0, True))
    w.refund("late", charge)
    w.refund("late", charge)
    assert (w.used("video", "2026-06-01"), w.used("video", "2026-06-02")) == (0, 1)
    assert w.accounting.quota_state(w.user)["video"]["used"] == 1  # today's unit is not given back by yesterday's refund


def test_quota_days_follow_the_admins_time_zone() -> None:
    w = World(credits=0, timezone="Asia/Shanghai")  # UTC+8: the day turns at 16:00 UTC
    w.clock.set(datetime(2026, 6, 1, 15, 59, tzinfo=UTC))
    assert w.charge("a") == Charge(0, True)
    state = w.accounting.quota_state(w.user)["video"]
    assert state["used"] == 1 and state["resets_at"] == datetime(2026, 6, 1, 16, 0, tzinfo=UTC)
    with pytest.raises(PaymentRequired):
        w.charge("b")
    w.clock.advance(120)  # 16:01 UTC = 00:01 on 2 June in Shanghai, still 1 June in UTC
    assert w.charge("b") == Charge(0, True)
    assert (w.used("video", "2026-06-01"), w.used("video", "2026-06-02")) == (1, 1)
    assert w.accounting.quota_state(w.user)["video"]["resets_at"] == datetime(2026, 6, 2, 16, 0, tzinfo=UTC)


def test_quota_state_caps_used_at_a_lowered_limit_and_reports_costs() -> None:
    w = World(credits=0)
    w.charge("i1", "image")
    w.charge("i2", "image")
    w.pricing = Pricing(quotas={**QUOTAS, "image": 1}, costs=dict(COSTS))
    state = w.accounting.quota_state(w.user, at=NOON + timedelta(hours=1))
    assert state["image"] == {"limit": 1, "used": 1, "resets_at": datetime(2026, 6, 2, tzinfo=UTC), "cost": 2}
    assert state["chat"]["used"] == 0


def test_an_unknown_user_is_not_found_and_an_applied_key_reports_false() -> None:
    w = World(credits=0)
    with pytest.raises(NotFound):
        w.accounting.apply_credits(user_id="nobody", delta=5, key="k", reason="test")
    assert w.accounting.apply_credits(user_id=w.user, delta=5, key="k", reason="test") is True
    assert w.accounting.apply_credits(user_id=w.user, delta=5, key="k", reason="test") is False
    assert w.balance() == 5
