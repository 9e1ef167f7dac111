"""Stored documents of a user's account: the user (the fields auth, accounts and accounting write), their ledger entries, their quota use.

These are the shapes the storage adapters write (MongoDB collections `users`, `ledger`,
`quota_usage`) and the in-memory fakes keep; the contract suites in `tests/contract/`
validate every document a store wrote against them. Times are aware UTC datetimes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field

from common.models.core import Role
from common.models.documents import StrictDocument

#: How many recent operation keys a user document keeps (the credit update's duplicate guard).
RECENT_KEYS = 500


class UserDocument(StrictDocument):
    """A user (collection `users`, `_id` a 24-hex ObjectId string).

    `credits` ≥ 0 is the balance; `credit_keys` the keys of the last `RECENT_KEYS` credit
    changes (the duplicate guard of `Accounting.apply_credits`); `token_version` retires
    session tokens when bumped; `upload_bytes` what the user's uploads occupy (bytes).
    """

    id: str = Field(alias="_id")
    email: str
    name: str
    password_hash: str
    role: Role
    credits: int = Field(ge=0)
    credit_keys: list[str] = Field(default_factory=list, max_length=RECENT_KEYS)
    disabled: bool = False
    created_at: datetime
    updated_at: datetime
    token_version: int = 0
    google_sub: str | None = None
    upload_bytes: int | None = Field(default=None, ge=0)

    absent_when_none: ClassVar[tuple[str, ...]] = ("google_sub", "upload_bytes")


class LedgerEntry(StrictDocument):
    """One applied credit change (collection `ledger`, unique `key`): `delta` credits (negative: taken),
    `balance_after` the balance it left (None when recorded late, after a crash), `meta` ids for the audit
    trail (`task_id`, `order_id`, `admin_id`, refund `taken`/`shortfall`)."""

    key: str = Field(min_length=1)
    user_id: str
    delta: int
    reason: str
    meta: dict[str, Any] = Field(default_factory=dict)
    balance_after: int | None = None
    created_at: datetime



class QuotaUsage(StrictDocument):
    """A user's use of one kind's daily quota (collection `quota_usage`, `_id` = "<user>:<kind>:<YYYY-MM-DD>",
    the day in the admin's quota time zone): `used` units, `tasks` the ids of the tasks holding them."""

    id: str = Field(alias="_id")
    user_id: str
    used: int = Field(ge=0)
    tasks: list[str]
