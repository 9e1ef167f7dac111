"""`AdminService` (common/admin.py) without HTTP: its rules on users, credits, disabling, task retry, settings and
API-key metadata.

Built from in-process parts: the embedded store (mongomock) for what the service reads and writes directly
(users, audit, settings) and for the secret store's `secrets` collection (the local stand-in for Secret Manager),
the real `Accounting` on the MongoDB ledger adapter over the same store, the task store fake and an in-memory
queue under the real `Generation`, and a frozen clock.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from bson import ObjectId

from common.accounting import Accounting, Pricing
from common.admin import AdminService
from common.billing import DEFAULT_PACKAGES
from common.clock import FrozenClock
from common.db import Database, connect
from common.errors import Conflict, InvalidRequest, NotFound
from common.generation import Generation, GenerationConfig
from common.ledger import MongoLedgerStore
from common.media import MediaSigner
from common.models import Role, TaskType
from common.models.admin import AdminSettingsUpdate, AdminUserPatch
from common.models.billing import Package
from common.secrets import GEMINI_API_KEY, OPENAI_API_KEY, CachedSecrets, DatabaseSecretStore
from tests.fakes.memory.storage import MemoryQueue, MemoryStorage
from tests.fakes.memory.tasks import MemoryTaskStore

T0 = datetime(2026, 6, 4, 10, 0, 0, tzinfo=UTC)
DEFAULT_PROVIDERS = {"image_provider": "sim", "video_provider": "sim", "chat_provider": "sim", "image_model": "m",
                     "veo_model": "v", "sora_model": "s", "chat_model": "c", "gemini_base_url": "", "openai_base_url": "",
                     "gemini_mode": "api", "vertex_project": "", "vertex_location": ""}


@dataclass
class Accounts:
    """The one call AdminService makes of AccountService: revoke a user's API tokens (recorded)."""

    revoked: list[str] = field(default_factory=list)

    def revoke_all_api_tokens(self, user_id: str) -> None:
        """Record the revocation."""
        self.revoked.append(user_id)


class Billing:
    """The one call the settings read makes of BillingService: the packages on sale (the defaults)."""

    def packages(self) -> list[Package]:
        """The default packages."""
        return [Package(**p) for p in DEFAULT_PACKAGES]


class Providers:
    """What Generation asks of the provider registry for a retry: nothing but a name."""

    def name_for(self, kind: str) -> str:
        """Every kind is served by `sim`."""
        return "sim"


@dataclass
class World:
    """An AdminService and what the tests look at."""

    clock: FrozenClock
    db: Database
    admin: AdminService
    accounts: Accounts
    tasks: MemoryTaskStore
    queue: MemoryQueue
    secrets: CachedSecrets
    actor: dict[str, Any]

    def add_user(self, email: str, *, name: str = "", credits: int = 0, role: str = "user") -> str:
        """Insert a user document (as registration would) and return its id; ids grow with each call."""
        uid = str(ObjectId())
        self.db.users.insert_one({"_id": uid, "email": email, "name": name or email.split("@")[0], "password_hash": "x",
                                  "role": role, "credits": credits, "credit_keys": [], "token_version": 0,
                                  "created_at": T0, "updated_at": T0})
        return uid

    def user(self, uid: str) -> dict[str, Any]:
        """The stored user."""
        doc = self.db.users.find_one({"_id": uid})
        assert doc is not None
        return dict(doc)

    def audit(self, action: str) -> list[dict[str, Any]]:
        """Audit entries of `action`, oldest first."""
        return [d for d in self.db.audit.find({"action": action}, sort=[("_id", 1)])]

    def patch(self, uid: str, key: str | None = None, **fields: Any) -> dict[str, Any]:
        """update_user as the admin, with `fields` as the PATCH body."""
        return self.admin.update_user(actor=self.actor, user_id=uid, patch=AdminUserPatch(**fields), idempotency_key=key)

    def put(self, body: dict[str, Any]) -> Any:
        """update_settings with `body` as the PUT body (validated as the HTTP edge would)."""
        return self.admin.update_settings(actor=self.actor, update=AdminSettingsUpdate.model_validate(body))


@pytest.fixture
def world() -> Iterator[World]:
    clock = FrozenClock(T0)
    db = connect(uri="", name=f"adm{uuid.uuid4().hex[:10]}")
    db.ensure_indexes()
    accounting = Accounting(store=MongoLedgerStore(db), clock=clock,
                            pricing=lambda: Pricing(quotas={"image": 0, "video": 0, "chat": 0}, costs={"image": 2, "video": 10, "chat": 1}))
    tasks, queue, accounts = MemoryTaskStore(), MemoryQueue(), Accounts()
    signer = MediaSigner(bucket="media", keys=lambda: ["admin-test-signing-key-0123456789"])
    generation = Generation(tasks=tasks, accounting=accounting, storage=MemoryStorage(), queue=queue,  # type: ignore[arg-type]
                            providers=Providers(), signer=signer,  # type: ignore[arg-type]
                            config=GenerationConfig(poll_interval_s=5.0, lease_s=30, deadline_s=3600))
    secrets = CachedSecrets(DatabaseSecretStore(db), ttl_s=0.0)
    admin = AdminService(
        db=db, accounting=accounting, accounts=lambda: accounts, tasks=tasks,  # type: ignore[arg-type,return-value]
        generation=lambda: generation, billing=lambda: Billing(), secrets=secrets,  # type: ignore[arg-type,return-value]
        provider_options=lambda: dict(DEFAULT_PROVIDERS), provider_defaults=lambda: dict(DEFAULT_PROVIDERS),
        vertex_options=lambda: None, production=False, clock=clock,
    )
    w = World(clock=clock, db=db, admin=admin, accounts=accounts, tasks=tasks, queue=queue, secrets=secrets, actor={})
    w.actor = w.user(w.add_user("root@example.com", role="admin"))
    yield w
    db.close()


# ---- users: search and paging --------------------------------------------------------------


def test_user_search_matches_email_or_name_case_insensitively_as_literal_text(world: World) -> None:
    alice = world.add_user("alice@example.com", name="Alice Liddell")
    bob = world.add_user("bob@example.com", name="Bob ALIson")
    dots = world.add_user("weird@example.com", name="a.*b")
    world.add_user("carol@example.com", name="Carol")

    def ids(q: str | None) -> set[str]:
        return {d["_id"] for d in world.admin.users(q=q, limit=100, cursor=None)[0]}

    assert ids("ALI") == {alice, bob}
    assert ids("  alice@EXAMPLE ") == {alice}  # trimmed
    assert ids(".*") == {dots}  # a regex metacharacter is text, not "anything"
    assert ids("(") == set()  # and never a regex error
    assert len(ids(None)) == 5  # the four and the admin


def test_user_pages_are_newest_first_and_the_cursor_walks_each_user_once(world: World) -> None:
    made = [world.add_user(f"u{i}@example.com") for i in range(5)]
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        docs, cursor = world.admin.users(q="u", limit=2, cursor=cursor)
        assert len(docs) <= 2
        seen += [d["_id"] for d in docs]
        if cursor is None:
            break
    assert seen == made[::-1]
    with pytest.raises(InvalidRequest):
        world.admin.users(q=None, limit=2, cursor="not a cursor")


# ---- users: changes ------------------------------------------------------------------------


def test_a_change_names_something_to_change_and_a_user_that_exists(world: World) -> None:
    uid = world.add_user("a@example.com")
    with pytest.raises(InvalidRequest):
        world.patch(uid, note="only a note")
    for missing in (str(ObjectId()), "x" * 200):
        with pytest.raises(NotFound):
            world.patch(missing, disabled=True)
    assert world.audit("user.update") == []


def test_a_credit_adjustment_with_an_idempotency_key_applies_once(world: World) -> None:
    uid = world.add_user("a@example.com", credits=10)
    for _ in range(3):  # a retried click
        updated = world.patch(uid, "click-1", credits_delta=50, note="goodwill")
    assert updated["credits"] == world.user(uid)["credits"] == 60
    (entry,) = list(world.db.ledger.find({"user_id": uid}))
    assert entry["key"] == f"admin:{world.actor['_id']}:{uid}:click-1"
    assert (entry["delta"], entry["reason"], entry["meta"]) == (50, "admin adjustment: goodwill",
                                                                {"admin_id": world.actor["_id"], "note": "goodwill"})
    first = world.audit("user.update")[0]
    assert (first["before"], first["after"], first["created_at"]) == (
        {"credits": 10}, {"credits": 60, "credits_delta": 50, "note": "goodwill"}, T0)


def test_credit_adjustments_without_a_key_are_separate_actions(world: World) -> None:
    uid = world.add_user("a@example.com", credits=0)
    world.patch(uid, credits_delta=5)
    world.patch(uid, credits_delta=5)
    assert world.user(uid)["credits"] == 10
    assert world.db.ledger.count_documents({"user_id": uid}) == 2


def test_taking_more_than_the_balance_is_conflict_and_changes_nothing(world: World) -> None:
    uid = world.add_user("a@example.com", credits=3)
    with pytest.raises(Conflict) as info:
        world.patch(uid, "take", credits_delta=-4, disabled=True)
    assert info.value.details == {"field": "credits_delta", "credits": 3}
    user = world.user(uid)
    assert (user["credits"], user.get("disabled", False), user["token_version"]) == (3, False, 0)
    assert world.db.ledger.count_documents({}) == 0 and world.audit("user.update") == []
    world.patch(uid, "take-all", credits_delta=-3)
    assert world.user(uid)["credits"] == 0


def test_disabling_retires_sessions_and_api_tokens_and_enabling_revives_none(world: World) -> None:
    uid = world.add_user("a@example.com")
    world.clock.advance(60)
    world.patch(uid, disabled=True)
    user = world.user(uid)
    assert (user["disabled"], user["token_version"], user["updated_at"]) == (True, 1, world.clock.now())
    assert world.accounts.revoked == [uid]

    world.patch(uid, disabled=True)  # already disabled: nothing moves again
    assert (world.user(uid)["token_version"], world.accounts.revoked) == (1, [uid])

    world.patch(uid, disabled=False)  # enabling bumps the version too: tokens from before the disabling stay dead
    assert (world.user(uid)["disabled"], world.user(uid)["token_version"], world.accounts.revoked) == (False, 2, [uid])
    assert [(a["before"], a["after"]) for a in world.audit("user.update")] == [
        ({"disabled": False}, {"disabled": True}), ({}, {}), ({"disabled": True}, {"disabled": False})]


def test_a_role_change_moves_no_session_version(world: World) -> None:
    uid = world.add_user("a@example.com")
    assert world.patch(uid, role=Role.ADMIN)["role"] == "admin"
    assert world.user(uid)["token_version"] == 0 and world.accounts.revoked == []


def test_an_admin_cannot_disable_or_demote_themself(world: World) -> None:
    me = world.actor["_id"]
    with pytest.raises(Conflict):
        world.patch(me, disabled=True)
    with pytest.raises(Conflict):
        world.patch(me, role=Role.USER)
    assert (world.user(me)["role"], world.user(me).get("disabled", False)) == ("admin", False)
    assert world.patch(me, credits_delta=1)["credits"] == 1  # the admin's own credits are fine


# ---- task retry ----------------------------------------------------------------------------


def _failed_task(world: World, user_id: str) -> str:
    task_id = str(ObjectId())
    world.tasks.insert(task_id=task_id, user_id=user_id, kind=TaskType.IMAGE, prompt="a lighthouse", params={},
                       provider="sim", cost={"credits": 2, "from_quota": False}, deadline_s=3600)
    world.tasks.fail(task_id, code="safety_refusal", message="Blocked.")
    world.tasks.mark_refunded(task_id)
    return task_id


def test_a_failed_task_is_retried_by_one_update_then_one_enqueue_and_audited(world: World) -> None:
    uid = world.add_user("a@example.com")
    task_id = _failed_task(world, uid)
    at_enqueue: list[dict[str, Any] | None] = []
    enqueue = world.queue.enqueue

    def watching(payload: dict[str, Any], **kwargs: Any) -> bool:
        at_enqueue.append(world.tasks.get(task_id))
        return enqueue(payload, **kwargs)

    world.queue.enqueue = watching  # type: ignore[method-assign]
    shown = world.admin.retry_task(actor=world.actor, task_id=task_id)

    (seen,) = at_enqueue  # exactly one enqueue, and the task had already moved when it happened
    assert seen is not None and (seen["status"], seen["step"]) == ("PENDING", 1)
    assert [(s.payload, s.name) for s in world.queue.sent] == [({"task_id": task_id, "step": 1}, f"{task_id}-1")]
    stored = world.tasks.get(task_id)
    assert stored is not None
    assert (stored["status"], stored["cost"], stored["error"]) == ("PENDING", {"credits": 0, "from_quota": False}, None)
    assert (shown.id, shown.user_id, shown.email, shown.status.value) == (task_id, uid, "a@example.com", "PENDING")
    (entry,) = world.audit("task.retry")
    assert entry["before"]["status"] == "FAILED" and entry["after"] == {
        "status": "PENDING", "step": 1, "cost": {"credits": 0, "from_quota": False}}


def test_only_a_failed_task_is_retried_and_a_refusal_enqueues_nothing(world: World) -> None:
    uid = world.add_user("a@example.com")
    task_id = _failed_task(world, uid)
    world.admin.retry_task(actor=world.actor, task_id=task_id)
    with pytest.raises(Conflict):
        world.admin.retry_task(actor=world.actor, task_id=task_id)  # PENDING now
    with pytest.raises(NotFound):
        world.admin.retry_task(actor=world.actor, task_id=str(ObjectId()))
    assert len(world.queue.sent) == 1 and len(world.audit("task.retry")) == 1


# ---- settings and API keys -----------------------------------------------------------------


def test_an_api_key_becomes_a_new_secret_version_and_only_its_metadata_is_kept(world: World) -> None:
    value = "AIza-secret-value-wxyz"
    world.clock.advance(30)
    shown = world.put({"api_keys": {"gemini_api_key": value}})

    assert world.secrets.get(GEMINI_API_KEY) == value
    state = shown.api_keys.gemini_api_key
    assert (state.set, state.last4, state.updated_at) == (True, "wxyz", world.clock.now())
    meta = world.db.settings.find_one({"_id": "api_keys_meta"})
    assert meta is not None and meta["gemini_api_key"]["updated_by"] == world.actor["_id"]
    everything = json.dumps([shown.model_dump(mode="json"), list(world.db.audit.find({}, {"_id": 0})),
                             world.db.settings.find_one({"_id": "api_keys_meta"})], default=str)
    assert value not in everything and "secret-value" not in everything  # no response, audit or meta holds the value
    (entry,) = world.audit("settings.update")
    assert entry["after"]["api_keys/gemini_api_key/last4"] == "wxyz"
    assert entry["before"]["api_keys/gemini_api_key/last4"] is None


def test_a_key_set_outside_the_panel_is_described_from_the_secret_store(world: World) -> None:
    assert world.admin.settings().api_keys.openai_api_key.set is False
    world.secrets.put(OPENAI_API_KEY, "sk-set-by-terraform-1234")
    state = world.admin.settings().api_keys.openai_api_key
    assert (state.set, state.last4, state.updated_at) == (True, "1234", None)


def test_an_empty_key_is_unchanged_and_null_or_malformed_keys_are_refused_before_anything_is_written(world: World) -> None:
    world.put({"api_keys": {"gemini_api_key": "first-key-0001"}})
    world.put({"api_keys": {"gemini_api_key": ""}})
    assert world.secrets.get(GEMINI_API_KEY) == "first-key-0001"
    for bad in (None, "short", "has a space in it"):
        with pytest.raises(InvalidRequest) as info:
            world.put({"pricing": {"quotas": {"image": 0}}, "api_keys": {"gemini_api_key": bad}})
        assert info.value.details["field"] == "api_keys.gemini_api_key"
    assert world.secrets.get(GEMINI_API_KEY) == "first-key-0001"
    assert world.db.settings.find_one({"_id": "pricing"}) is None  # the valid part of a refused update is not written
    assert len(world.audit("settings.update")) == 2


def test_a_partial_settings_update_changes_only_what_it_names_and_audits_the_changed_leaves(world: World) -> None:
    shown = world.put({"pricing": {"quotas": {"image": 0}}, "providers": {"chat_model": "gemini-2.5-pro"}})
    assert shown.pricing.quotas.image == 0 and shown.pricing.quotas.video == 3 and shown.providers.chat_model == "gemini-2.5-pro"
    (entry,) = world.audit("settings.update")
    assert (entry["before"], entry["after"]) == (
        {"pricing/quotas/image": 10, "providers/chat_model": "c"}, {"pricing/quotas/image": 0, "providers/chat_model": "gemini-2.5-pro"})


@pytest.mark.parametrize(("body", "field"), [
    ({"providers": {"gemini_base_url": "http://evil.example"}}, "providers.gemini_base_url"),
    ({"providers": {"openai_base_url": "https://user:pw@api.example.com"}}, "providers.openai_base_url"),
    ({"cors_origins": ["https://ok.example", "https://studio.example/path"]}, "cors_origins.1"),
    ({"cors_origins": ["https://*.example"]}, "cors_origins.0"),
    ({"pricing": {"quota_timezone": "Mars/Olympus"}}, "pricing.quota_timezone"),
])
def test_invalid_settings_are_refused_naming_the_field(world: World, body: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        world.put(body)
    assert info.value.details["field"] == field
    assert world.db.settings.count_documents({}) == 0 and world.audit("settings.update") == []


def test_local_base_urls_are_allowed_outside_production_only(world: World) -> None:
    world.put({"providers": {"gemini_base_url": "http://127.0.0.1:9000"}})
    world.admin._production = True
    with pytest.raises(InvalidRequest):
        world.put({"providers": {"gemini_base_url": "http://127.0.0.1:9000"}})
    with pytest.raises(InvalidRequest):
        world.put({"cors_origins": ["http://studio.example"]})


# ---- the dashboard, the lists, the audit log --------------------------------------------------


def test_stats_count_today_by_the_injected_clock_and_revenue_of_paid_orders_only(world: World) -> None:
    world.clock.set(datetime(2026, 6, 4, 0, 30, tzinfo=UTC))  # half past midnight: "today" is 30 minutes old
    world.patch(world.add_user("off@example.com"), disabled=True)

    def task(at: datetime, status: str, kind: str = "image", provider: str = "sim") -> None:
        world.db.tasks.insert_one({"_id": str(ObjectId()), "type": kind, "status": status, "provider": provider,
                                   "created_at": at})

    task(datetime(2026, 6, 4, 0, 10, tzinfo=UTC), "COMPLETED")
    task(datetime(2026, 6, 4, 0, 20, tzinfo=UTC), "FAILED", kind="video", provider="veo")
    task(datetime(2026, 6, 3, 23, 59, tzinfo=UTC), "COMPLETED")  # yesterday
    task(datetime(2026, 5, 1, tzinfo=UTC), "PENDING")  # outside the 14-day window
    for status, cents, currency in [("PAID", 499, "usd"), ("PAID", 1000, "eur"), ("REFUNDED", 2000, "usd"), ("PENDING", 99, "usd")]:
        world.db.orders.insert_one({"_id": str(ObjectId()), "status": status, "price_cents": cents, "currency": currency,
                                    "paid_at": datetime(2026, 6, 3, 12, tzinfo=UTC)})

    stats = world.admin.stats()
    assert (stats.users, stats.disabled_users, stats.generations_today) == (2, 1, 2)
    assert stats.tasks_by_status == {"PENDING": 1, "GENERATING": 0, "COMPLETED": 2, "FAILED": 1}
    assert stats.tasks_by_type == {"image": 3, "video": 1}
    assert stats.revenue_cents == {"usd": 499, "eur": 1000}
    days = {d.day: d for d in stats.daily}
    assert len(stats.daily) == 14 and stats.daily[-1].day == "2026-06-04" and stats.daily[0].day == "2026-05-22"
    assert (days["2026-06-04"].image, days["2026-06-04"].video, days["2026-06-04"].failed) == (1, 1, 1)
    assert (days["2026-06-03"].completed, days["2026-06-03"].revenue_cents) == (1, 1499)
    assert [(p.provider, p.finished, p.failed, p.failure_rate) for p in stats.providers] == [("sim", 2, 0, 0.0), ("veo", 1, 1, 1.0)]


def test_the_task_list_shows_every_users_tasks_with_their_emails_and_filters(world: World) -> None:
    alice, bob = world.add_user("alice@example.com"), world.add_user("bob@example.com")
    failed = _failed_task(world, alice)
    pending = str(ObjectId())
    world.tasks.insert(task_id=pending, user_id=bob, kind=TaskType.IMAGE, prompt="p", params={}, provider="sim",
                       cost={"credits": 2, "from_quota": False}, deadline_s=3600)
    items, cursor = world.admin.tasks(filters={}, limit=10, cursor=None)
    assert [(t.id, t.email) for t in items] == [(pending, "bob@example.com"), (failed, "alice@example.com")] and cursor is None
    assert [t.id for t in world.admin.tasks(filters={"status": "FAILED"}, limit=10, cursor=None)[0]] == [failed]
    assert [t.id for t in world.admin.tasks(filters={"user_id": bob}, limit=10, cursor=None)[0]] == [pending]


def test_the_audit_log_pages_newest_first_and_names_the_actor(world: World) -> None:
    uid = world.add_user("a@example.com")
    for delta in (1, 2, 3):
        world.clock.advance(1)
        world.patch(uid, credits_delta=delta)
    first, cursor = world.admin.audit_page(limit=2, cursor=None)
    rest, end = world.admin.audit_page(limit=2, cursor=cursor)
    assert [e.after["credits_delta"] for e in first + rest] == [3, 2, 1] and end is None
    assert {(e.actor_id, e.actor_email, e.action, e.target_id) for e in first + rest} == {
        (world.actor["_id"], "root@example.com", "user.update", uid)}
    assert first[0].created_at == world.clock.now()
