"""The LedgerStore contract: the in-memory fake and the MongoDB adapter keep the same money promises.

Parametrised over `memory` (tests/fakes/memory/money.py) and `mongo` (common/ledger.py on the
`mongo_db` fixture: mongomock in the unit tier, SecantusDB with TEST_MONGODB=secantusdb). Every
document a store holds at the end of a test is validated against its pydantic model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from bson import ObjectId

from common.accounting import Accounting, LedgerStore, Pricing
from common.clock import FrozenClock
from common.errors import InvalidRequest, PaymentRequired
from common.ledger import MongoLedgerStore
from common.models.core import Role
from common.models.users import RECENT_KEYS, LedgerEntry, QuotaUsage, UserDocument
from tests.concurrency import race
from tests.contract.conftest import assert_stored
from tests.fakes.memory.money import MemoryLedgerStore

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
RACERS = 8


@dataclass
class Ledger:
    """A store under test with the two things the port leaves to others: creating a user, reading back every document."""

    store: LedgerStore
    add_user: Callable[..., str]
    documents: Callable[[], dict[str, list[dict[str, Any]]]]


def _mongo(request: pytest.FixtureRequest) -> Ledger:
    db = request.getfixturevalue("mongo_db")

    def add_user(user_id: str | None = None, *, credits: int = 0, credit_keys: list[str] | None = None) -> str:
        uid = user_id or str(ObjectId())
        db.users.insert_one(UserDocument.model_validate({
            "_id": uid, "email": f"{uid}@example.com", "name": "u", "password_hash": "x", "role": Role.USER,
            "credits": credits, "credit_keys": credit_keys or [], "created_at": NOW, "updated_at": NOW}).to_mongo())
        return uid

    def documents() -> dict[str, list[dict[str, Any]]]:
        return {name: list(getattr(db, name).find({})) for name in ("users", "ledger", "quota_usage")}

    return Ledger(MongoLedgerStore(db), add_user, documents)


@pytest.fixture(params=["memory", "mongo"])
def ledger(request: pytest.FixtureRequest) -> Iterator[Ledger]:
    """The store under test; afterwards every document it holds must match UserDocument / LedgerEntry / QuotaUsage."""
    if request.param == "memory":
        fake = MemoryLedgerStore()
        harness = Ledger(fake, fake.add_user, fake.documents)
    else:
        harness = _mongo(request)
    yield harness
    docs = harness.documents()
    for user in docs["users"]:
        assert_stored(UserDocument, user)
    for entry in docs["ledger"]:
        assert_stored(LedgerEntry, entry, store_assigned=frozenset({"_id"}))
    for quota in docs["quota_usage"]:
        assert_stored(QuotaUsage, quota)




def entry(user_id: str, key: str, delta: int = 1) -> LedgerEntry:
    return LedgerEntry(key=key, user_id=user_id, delta=delta, reason="test", created_at=NOW)


# ---- credits -------------------------------------------------------------------------------


def test_the_same_key_twice_is_applied_once(ledger: Ledger) -> None:
    uid = ledger.add_user(credits=3)
    assert ledger.store.change_credits(user_id=uid, delta=5, key="k1") == 8
    assert ledger.store.change_credits(user_id=uid, delta=5, key="k1") is None
    state = ledger.store.credit_state(uid)
    assert state is not None and state.credits == 8 and state.recent_keys == ("k1",)


def test_eight_threads_racing_on_the_same_key_apply_it_once(ledger: Ledger) -> None:
    uid = ledger.add_user(credits=0)
    results = race(RACERS, lambda _: ledger.store.change_credits(user_id=uid, delta=7, key="order:x"))
    assert [r for r in results if r is not None] == [7]
    state = ledger.store.credit_state(uid)
    assert state is not None and state.credits == 7 and state.recent_keys.count("order:x") == 1


def test_eight_threads_racing_on_the_last_credits_exactly_one_wins(ledger: Ledger) -> None:
    uid = ledger.add_user(credits=10)
    results = race(RACERS, lambda i: ledger.store.change_credits(user_id=uid, delta=-10, key=f"charge:{i}"))
    assert sorted(r for r in results if r is not None) == [0]
    assert results.count(None) == RACERS - 1
    state = ledger.store.credit_state(uid)
    assert state is not None and state.credits == 0 and len(state.recent_keys) == 1


def test_taking_more_than_the_balance_changes_nothing(ledger: Ledger) -> None:
    uid = ledger.add_user(credits=4)
    assert ledger.store.change_credits(user_id=uid, delta=-5, key="charge:a") is None
    state = ledger.store.credit_state(uid)
    assert state is not None and state.credits == 4 and state.recent_keys == ()
    assert ledger.store.change_credits(user_id=uid, delta=-4, key="charge:a") == 0  # the key was not burnt


def test_an_unknown_user_has_no_balance_and_gets_nothing(ledger: Ledger) -> None:
    assert ledger.store.credit_state("nobody") is None
    assert ledger.store.change_credits(user_id="nobody", delta=5, key="k") is None


def test_the_recent_keys_keep_only_the_newest(ledger: Ledger) -> None:
    uid = ledger.add_user(credit_keys=[f"k{i}" for i in range(RECENT_KEYS - 1)])
    for i in range(RECENT_KEYS - 1, RECENT_KEYS + 2):
        assert ledger.store.change_credits(user_id=uid, delta=1, key=f"k{i}") is not None
    state = ledger.store.credit_state(uid)
    assert state is not None and state.credits == 3 and len(state.recent_keys) == RECENT_KEYS
    assert state.recent_keys[0] == "k2" and state.recent_keys[-1] == f"k{RECENT_KEYS + 1}"
    assert ledger.store.change_credits(user_id=uid, delta=1, key="k1") == 4  # a key this old is no longer guarded here


# ---- the ledger ----------------------------------------------------------------------------


def test_a_ledger_key_is_written_once(ledger: Ledger) -> None:
    uid = ledger.add_user()
    assert not ledger.store.has_entry("k")
    assert ledger.store.add_entry(entry(uid, "k", 5)) is True
    assert ledger.store.add_entry(entry(uid, "k", 9)) is False
    assert ledger.store.has_entry("k")
    items, cursor = ledger.store.entries(user_id=uid, limit=10, cursor=None)
    assert [(e.key, e.delta) for e in items] == [("k", 5)] and cursor is None


def test_a_late_balance_fills_an_entry_recorded_without_one(ledger: Ledger) -> None:
    uid = ledger.add_user()
    late = LedgerEntry(key="k", user_id=uid, delta=5, reason="test", balance_after=None, created_at=NOW)
    assert ledger.store.add_entry(late)
    assert ledger.store.fill_balance(key="k", balance_after=5) is True
    assert ledger.store.fill_balance(key="k", balance_after=99) is False  # a recorded balance is never replaced
    assert ledger.store.fill_balance(key="missing", balance_after=1) is False
    assert [e.balance_after for e in ledger.store.entries(user_id=uid, limit=5, cursor=None)[0]] == [5]


def test_eight_threads_adding_the_same_ledger_key_write_one_entry(ledger: Ledger) -> None:
    uid = ledger.add_user()
    assert race(RACERS, lambda i: ledger.store.add_entry(entry(uid, "same", i))).count(True) == 1
    assert len(ledger.store.entries(user_id=uid, limit=50, cursor=None)[0]) == 1


def test_the_ledger_pages_newest_first_per_user(ledger: Ledger) -> None:
    a, b = ledger.add_user(), ledger.add_user()
    for i in range(5):
        ledger.store.add_entry(entry(a, f"a{i}", i))
        if i < 2:
            ledger.store.add_entry(entry(b, f"b{i}", i))
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        items, cursor = ledger.store.entries(user_id=a, limit=2, cursor=cursor)
        seen += [e.key for e in items]
        pages += 1
        if cursor is None:
            break
    assert seen == ["a4", "a3", "a2", "a1", "a0"] and pages == 3
    assert [e.key for e in ledger.store.entries(user_id=b, limit=10, cursor=None)[0]] == ["b1", "b0"]
    with pytest.raises(InvalidRequest):
        ledger.store.entries(user_id=a, limit=2, cursor="not-a-cursor")


# ---- quota ---------------------------------------------------------------------------------


def test_a_quota_unit_is_taken_and_given_back_once_per_task(ledger: Ledger) -> None:
    uid = ledger.add_user()
    take = lambda task: ledger.store.take_quota(user_id=uid, kind="image", day="2026-06-01", task_id=task, limit=2)  # noqa: E731
    used = lambda: ledger.store.quota_used(user_id=uid, kind="image", day="2026-06-01")  # noqa: E731
    assert take("t1") and take("t1") and used() == 1  # a retry of the same task holds the same unit
    assert take("t2") and used() == 2
    assert not take("t3") and used() == 2
    assert ledger.store.give_back_quota(user_id=uid, kind="image", task_id="t1") is True
    assert ledger.store.give_back_quota(user_id=uid, kind="image", task_id="t1") is False
    assert used() == 1 and take("t3") and used() == 2
    assert ledger.store.give_back_quota(user_id=uid, kind="video", task_id="t2") is False  # another kind's unit


def test_a_unit_goes_back_to_the_day_it_was_taken(ledger: Ledger) -> None:
    uid = ledger.add_user()
    assert ledger.store.take_quota(user_id=uid, kind="video", day="2026-06-01", task_id="t1", limit=1)
    assert ledger.store.take_quota(user_id=uid, kind="video", day="2026-06-02", task_id="t2", limit=1)
    assert ledger.store.give_back_quota(user_id=uid, kind="video", task_id="t1")
    assert ledger.store.quota_used(user_id=uid, kind="video", day="2026-06-01") == 0
    assert ledger.store.quota_used(user_id=uid, kind="video", day="2026-06-02") == 1


def test_racing_first_takes_of_the_day_get_exactly_the_limit(ledger: Ledger) -> None:
    uid = ledger.add_user()
    results = race(RACERS, lambda i: ledger.store.take_quota(user_id=uid, kind="image", day="2026-06-01",
                                                             task_id=f"t{i}", limit=3))
    assert results.count(True) == 3 and results.count(False) == RACERS - 3
    assert ledger.store.quota_used(user_id=uid, kind="image", day="2026-06-01") == 3


def test_racing_retries_of_one_task_hold_one_unit(ledger: Ledger) -> None:
    uid = ledger.add_user()
    results = race(RACERS, lambda _: ledger.store.take_quota(user_id=uid, kind="image", day="2026-06-01",
                                                             task_id="t", limit=3))
    assert results == [True] * RACERS
    assert ledger.store.quota_used(user_id=uid, kind="image", day="2026-06-01") == 1
    gave = race(RACERS, lambda _: ledger.store.give_back_quota(user_id=uid, kind="image", task_id="t"))
    assert gave.count(True) == 1
    assert ledger.store.quota_used(user_id=uid, kind="image", day="2026-06-01") == 0


# ---- the rules on either store (Accounting over the port) ----------------------------------


def test_accounting_applies_a_key_once_under_racing_duplicates(ledger: Ledger) -> None:
    uid = ledger.add_user(credits=0)
    accounting = Accounting(store=ledger.store, clock=FrozenClock(NOW))
    results = race(RACERS, lambda _: accounting.apply_credits(user_id=uid, delta=100, key="order:o1", reason="purchase"))
    assert results.count(True) == 1 and results.count(False) == RACERS - 1
    assert accounting.balance(uid) == 100
    items, _ = accounting.ledger_page(user_id=uid, limit=10, cursor=None)
    assert [(e.key, e.delta, e.balance_after) for e in items] == [("order:o1", 100, 100)]


def test_accounting_never_lets_racing_charges_overdraw(ledger: Ledger) -> None:
    uid = ledger.add_user(credits=10)
    accounting = Accounting(store=ledger.store, clock=FrozenClock(NOW),
                            pricing=lambda: Pricing(quotas={"video": 0}, costs={"video": 10}))
    results = race(RACERS, lambda i: accounting.charge_for_task(user_id=uid, kind="video", task_id=f"t{i}"))
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, PaymentRequired) for r in results if isinstance(r, Exception))
    assert accounting.balance(uid) == 0
    assert len(accounting.ledger_page(user_id=uid, limit=10, cursor=None)[0]) == 1
