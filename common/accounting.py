"""Daily quotas and the credits ledger, exactly-once under retries and races.

Every charge and refund carries a key (`charge:<task>`, `refund:<task>`,
`order:<id>` ...). A credit change is ONE conditional update of the user's
balance that also records the key in a short list of recent keys, so a
duplicate or concurrent call with the same key cannot apply twice; the ledger
entry (unique key) is the durable audit trail and the check for late repeats.
Quota use is a per user/kind/day record holding the ids of the tasks that
used it, so taking and giving back a unit is idempotent per task too.

`Accounting` holds the rules (quota first, then credits; costs; a refund gives
back exactly what the `Charge` took; days in the admin's time zone). Storage is
the `LedgerStore` port: `common/ledger.py` is the MongoDB adapter,
`tests/fakes/memory/money.py` the in-memory fake; both pass
`tests/contract/test_ledger_store.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from common.clock import SYSTEM_CLOCK, Clock, day_key, next_midnight
from common.errors import NotFound, PaymentRequired
from common.models.users import RECENT_KEYS, LedgerEntry

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_COSTS", "DEFAULT_QUOTAS", "RECENT_KEYS", "Accounting", "Charge", "CreditState", "LedgerStore", "Pricing"]

DEFAULT_QUOTAS = {"video": 3, "image": 10, "chat": 50}
DEFAULT_COSTS = {"video": 10, "image": 2, "chat": 1}


@dataclass(frozen=True)
class Charge:
    """How one task was paid: `credits` taken from the balance (0 when a daily quota unit paid), `from_quota` True when it was a quota unit.

    Stored on the task as `cost` so a refund gives back exactly what was taken.
    """
    credits: int
    from_quota: bool


@dataclass(frozen=True)
class Pricing:
    """The admin's current prices: `quotas` free units per kind per day ({"video"|"image"|"chat": int}), `costs` credits per output
    once the quota is spent, `timezone` the IANA zone whose midnight resets the quotas.
    """
    quotas: dict[str, int]
    costs: dict[str, int]
    timezone: str = "UTC"  # IANA name: daily quotas reset at midnight there


@dataclass(frozen=True)
class CreditState:
    """A user's balance (`credits`, ≥ 0) and the keys of their last `RECENT_KEYS` credit changes, oldest first."""

    credits: int
    recent_keys: tuple[str, ...]


class LedgerStore(Protocol):
    """Where credits, the ledger and quota use live. Every method is atomic on its own; no method needs a transaction.

    Implementations: `common.ledger.MongoLedgerStore` (production), `tests.fakes.memory.money.MemoryLedgerStore`.
    """

    def change_credits(self, *, user_id: str, delta: int, key: str) -> int | None:
        """ONE conditional update of the user's balance: add `delta` (negative: take) only if `key` is not among the
        user's recent keys and, when taking, the balance covers it; the same update appends `key` to the recent keys
        (keeping the last `RECENT_KEYS`). Returns the new balance, or None when nothing changed (no such user, key
        already recent, or not enough credits)."""
        ...

    def credit_state(self, user_id: str) -> CreditState | None:
        """The user's balance and recent keys, or None when there is no such user."""
        ...

    def has_entry(self, key: str) -> bool:
        """Whether a ledger entry with `key` exists."""
        ...

    def add_entry(self, entry: LedgerEntry) -> bool:
        """Append `entry` to the ledger; False (and nothing written) when an entry with its key exists."""
        ...

    def fill_balance(self, *, key: str, balance_after: int) -> bool:
        """Set `balance_after` on the entry `key` when it has none (an entry a concurrent duplicate recorded before
        the call that applied the change could). True when it was filled."""
        ...

    def entries(self, *, user_id: str, limit: int, cursor: str | None) -> tuple[list[LedgerEntry], str | None]:
        """One page of the user's entries, newest first (`limit` of them), and the cursor of the next page (None on
        the last). Raises InvalidRequest for a cursor this store did not issue."""
        ...

    def quota_used(self, *, user_id: str, kind: str, day: str) -> int:
        """Units of `kind` the user took on `day` (YYYY-MM-DD in the quota time zone); 0 when none."""
        ...

    def take_quota(self, *, user_id: str, kind: str, day: str, task_id: str, limit: int) -> bool:
        """Take one unit of `day`'s quota for `task_id` when fewer than `limit` are used. True when the task holds a
        unit afterwards (also when it already held one: idempotent per task), False when the quota is spent."""
        ...

    def give_back_quota(self, *, user_id: str, kind: str, task_id: str) -> bool:
        """Return the unit `task_id` holds, to whichever day it was taken on. True when one was returned, False when
        the task holds none (never took one, or already gave it back)."""
        ...


class Accounting:
    """Quotas, credits and the ledger: every charge and refund is one atomic, idempotent change keyed by the task
    or order id, so an at-least-once delivery (Cloud Tasks) never charges or refunds twice.
    """

    def __init__(self, *, store: LedgerStore, pricing: Callable[[], Pricing] | None = None, clock: Clock = SYSTEM_CLOCK) -> None:
        """`store` keeps the balances, ledger and quota use; `pricing()` the admin's current prices (defaults when
        None); `clock` decides today's quota day and the ledger's times."""
        self._store = store
        self._pricing = pricing or (lambda: Pricing(dict(DEFAULT_QUOTAS), dict(DEFAULT_COSTS)))
        self._clock = clock

    @property
    def pricing(self) -> Pricing:
        """Current quotas and costs (the admin panel may change them at any time)."""
        return self._pricing()

    @property
    def store(self) -> LedgerStore:
        """The ledger store (for readers of the ledger, e.g. the account's usage page)."""
        return self._store

    # ---- quota ------------------------------------------------------------------

    def quota_state(self, user_id: str, at: datetime | None = None) -> dict[str, dict[str, Any]]:
        """Today's quota of `user_id` as of `at` (now when None), in the admin's quota timezone:
        {kind: {"limit": int, "used": int (capped at limit), "resets_at": aware datetime of the next local midnight, "cost": credits per output}}.
        """
        pricing = self.pricing
        at = at or self._clock.now()
        day = day_key(at, pricing.timezone)
        resets = next_midnight(at, pricing.timezone)
        out: dict[str, dict[str, Any]] = {}
        for kind, limit in pricing.quotas.items():
            used = self._store.quota_used(user_id=user_id, kind=kind, day=day)
            out[kind] = {"limit": limit, "used": min(limit, used), "resets_at": resets, "cost": int(pricing.costs.get(kind, 0))}
        return out

    def _take_quota(self, *, user_id: str, kind: str, task_id: str) -> bool:
        pricing = self.pricing
        limit = pricing.quotas.get(kind, 0)
        if limit <= 0:
            return False
        day = day_key(self._clock.now(), pricing.timezone)
        return self._store.take_quota(user_id=user_id, kind=kind, day=day, task_id=task_id, limit=limit)

    # ---- credits ----------------------------------------------------------------

    def balance(self, user_id: str) -> int | None:
        """The user's credits, or None when there is no such user."""
        state = self._store.credit_state(user_id)
        return None if state is None else state.credits

    def apply_credits(self, *, user_id: str, delta: int, key: str, reason: str, meta: dict[str, Any] | None = None) -> bool:
        """Add (or, negative, take) credits once per `key`. False if it had been applied already.

        Raises PaymentRequired (details `credits`, `needed`) when taking more than the balance, NotFound for an unknown user;
        in both cases nothing is written.
        """
        if self._store.has_entry(key):
            return False
        balance = self._store.change_credits(user_id=user_id, delta=delta, key=key)
        if balance is None:
            state = self._store.credit_state(user_id)
            if state is None:
                raise NotFound("User not found.")
            if key in state.recent_keys:
                self._record(user_id=user_id, delta=delta, key=key, reason=reason, meta=meta, balance=None)
                return False
            raise PaymentRequired(details={"credits": state.credits, "needed": -delta})
        self._record(user_id=user_id, delta=delta, key=key, reason=reason, meta=meta, balance=balance)
        return True

    def _record(self, *, user_id: str, delta: int, key: str, reason: str, meta: dict[str, Any] | None, balance: int | None) -> None:
        added = self._store.add_entry(LedgerEntry(key=key, user_id=user_id, delta=delta, reason=reason, meta=meta or {},
                                                  balance_after=balance, created_at=self._clock.now()))
        if not added and balance is not None:
            # A concurrent duplicate saw the key already recent and recorded the entry first, without the balance.
            self._store.fill_balance(key=key, balance_after=balance)

    def ledger_page(self, *, user_id: str, limit: int, cursor: str | None) -> tuple[list[LedgerEntry], str | None]:
        """One page of the user's ledger, newest first, and the next cursor. Raises InvalidRequest for a bad cursor."""
        return self._store.entries(user_id=user_id, limit=limit, cursor=cursor)

    # ---- generation charges -----------------------------------------------------

    def charge_for_task(self, *, user_id: str, kind: str, task_id: str) -> Charge:
        """Use a unit of today's quota, else credits. Idempotent per task.

        Raises PaymentRequired (402, with today's quota in `details.quota`) when neither covers it; nothing is written then.
        """
        if self._take_quota(user_id=user_id, kind=kind, task_id=task_id):
            return Charge(credits=0, from_quota=True)
        cost = self.pricing.costs.get(kind, 0)
        try:
            self.apply_credits(user_id=user_id, delta=-cost, key=f"charge:{task_id}", reason=f"{kind} generation",
                               meta={"task_id": task_id})
        except PaymentRequired as exc:
            quota = self.quota_state(user_id)[kind] if kind in self.pricing.quotas else None
            raise PaymentRequired(
                f"Today's free {kind} quota is used up and this needs {cost} credits "
                f"(you have {exc.details.get('credits', 0)}). Buy credits or wait for the daily reset.",
                details={**exc.details, "quota": quota and {**quota, "resets_at": quota["resets_at"].isoformat()}},
            ) from None
        return Charge(credits=cost, from_quota=False)

    def refund_task(self, *, user_id: str, kind: str, task_id: str, charge: Charge, created_at: datetime) -> None:
        """Give back what `charge_for_task` took: the quota unit to the day it was taken on (whatever the day or the
        quota time zone is now), or the credits under key `refund:<task>`. Idempotent per task. `created_at` is the
        task's creation time (kept for callers; the unit is found by task id)."""
        if charge.from_quota:
            self._store.give_back_quota(user_id=user_id, kind=kind, task_id=task_id)
        elif charge.credits:
            self.apply_credits(user_id=user_id, delta=charge.credits, key=f"refund:{task_id}",
                               reason=f"{kind} generation refund", meta={"task_id": task_id})
