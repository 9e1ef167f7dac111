"""Every user document that auth, accounts and accounting write on MongoDB matches `UserDocument`.

The users collection has no fake (auth and accounts own it on the MongoDB adapter), so this suite
runs the writers themselves on the `mongo_db` fixture and validates what they left behind.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from common import auth as auth_module
from common.accounting import Accounting
from common.accounts import AccountService
from common.auth import AuthService, use_password_profile
from common.db import Database
from common.ledger import MongoLedgerStore
from common.mailer import LogMailer
from common.models.core import Role
from common.models.users import UserDocument
from common.throttle import LoginThrottle, ThrottlePolicy
from tests.contract.conftest import assert_stored


@pytest.fixture
def cheap_hashes() -> Iterator[None]:
    """Argon2's CHEAPEST profile for this test (as the test stacks use), the process's profile restored after."""
    before = auth_module._profile
    use_password_profile("CHEAPEST")
    yield
    use_password_profile(before)


def test_users_written_by_auth_accounts_and_accounting_match_the_model(mongo_db: Database, cheap_hashes: None) -> None:
    policy = ThrottlePolicy(free=5, base_delay_s=1, max_delay_s=60, window_s=900)
    accounting = Accounting(store=MongoLedgerStore(mongo_db))
    auth = AuthService(db=mongo_db, accounting=accounting, jwt_key=lambda: "k" * 32, issuer="i", audience="a", ttl_s=60,
                       throttle=LoginThrottle(mongo_db, account_ip=policy, ip=policy))
    accounts = AccountService(db=mongo_db, ledger=accounting.store, mailer=LogMailer(), public_base_url="http://x")
    user = auth.register(email=" Buyer@Example.com ", password="password-123", name=None)
    auth.ensure_admin(email="admin@example.com", password="password-123")
    auth.ensure_admin(email="buyer@example.com", password="ignored-1234")  # exists: promoted, password kept
    accounting.apply_credits(user_id=user["_id"], delta=25, key="order:o1", reason="purchase")
    accounting.charge_for_task(user_id=user["_id"], kind="image", task_id="t1")
    accounts.retire_sessions(user["_id"])
    accounts.change_password(user=mongo_db.users.find_one({"_id": user["_id"]}) or {}, current="password-123", new="password-456")
    docs = list(mongo_db.users.find({}))
    assert len(docs) == 2
    for doc in docs:
        assert_stored(UserDocument, doc)
    buyer = UserDocument.model_validate(mongo_db.users.find_one({"email": "buyer@example.com"}))
    assert (buyer.role, buyer.credits, buyer.credit_keys, buyer.token_version) == (Role.ADMIN.value, 25, ["order:o1"], 2)
    assert "upload_bytes" not in mongo_db.users.find_one({"_id": user["_id"]})  # type: ignore[operator]
