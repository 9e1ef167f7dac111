"""Admin panel: stats, users, all tasks and orders, run-time settings and API keys, and the audit trail.

The role is checked at the HTTP edge on every request (`auth="admin"`); every
change made here writes an `audit` entry (who, what, when, target, a before/after
summary that never holds a secret value). Settings are the `settings` documents
the runtime reads through its short cache (`Services.runtime_overrides`), and
API keys are new secret versions, so a change reaches every function within
seconds with no redeploy.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bson import ObjectId

from common import clock
from common.accounting import DEFAULT_COSTS, DEFAULT_QUOTAS
from common.clock import SYSTEM_CLOCK, Clock
from common.db import newest_first
from common.errors import Conflict, InvalidRequest, NotFound, PaymentRequired
from common.ids import plausible_id
from common.models import TaskStatus
from common.models.admin import (
    AdminOrder,
    AdminSettings,
    AdminSettingsUpdate,
    AdminStats,
    AdminTask,
    AdminUserPatch,
    ApiKeyState,
    AuditEntry,
    DailyStats,
    KeyTestResult,
    ProviderModel,
    ProviderModelList,
    ProviderStats,
)
from common.models.billing import OrderStatus
from common.providers.catalogue import PROVIDER_OPTIONS
from common.secrets import (
    C2PA_CERTIFICATE_CHAIN,
    C2PA_PRIVATE_KEY,
    GEMINI_API_KEY,
    OPENAI_API_KEY,
    STRIPE_SECRET_KEY,
    STRIPE_WEBHOOK_SECRET,
)

if TYPE_CHECKING:
    from common.accounting import Accounting
    from common.accounts import AccountService
    from common.billing import BillingService
    from common.db import Database
    from common.generation import Generation
    from common.secrets import CachedSecrets
    from common.tasks import TaskStore

log = logging.getLogger(__name__)

STATS_DAYS = 14  # the dashboard charts' window, in UTC days

# Settings field -> secret name (common/secrets.py; Terraform creates the same secrets).
API_KEYS = {
    "gemini_api_key": GEMINI_API_KEY,
    "openai_api_key": OPENAI_API_KEY,
    "stripe_secret_key": STRIPE_SECRET_KEY,
    "stripe_webhook_secret": STRIPE_WEBHOOK_SECRET,
    "c2pa_certificate_chain": C2PA_CERTIFICATE_CHAIN,
    "c2pa_private_key": C2PA_PRIVATE_KEY,
}
# PEM values (common/provenance.py): checked as PEM, and no last4 is shown (it would be "-----").
PEM_KEYS = {"c2pa_certificate_chain", "c2pa_private_key"}
PROVIDER_FIELDS = PROVIDER_OPTIONS


def _vendor(provider: str, *, field: str) -> str:
    """The key vendor of a provider or vendor name ("veo" → "gemini", "sora" → "openai")."""
    from common.providers.catalogue import API_KEY_VENDOR, API_KEY_VENDORS

    vendor = API_KEY_VENDOR.get(provider, provider)
    if vendor not in API_KEY_VENDORS:
        raise _field_error(field, f"must be one of {', '.join(sorted({*API_KEY_VENDORS, *API_KEY_VENDOR}))}")
    return vendor


def _field_error(field: str, message: str) -> InvalidRequest:
    return InvalidRequest(f"Invalid field '{field}': {message}.",
                          details={"field": field, "errors": [{"field": field, "message": message}]})


class AdminService:
    """The admin panel's operations: users, tasks, orders, run-time settings, API keys, the audit log."""

    def __init__(
        self,
        *,
        db: Database,
        accounting: Accounting,
        accounts: Callable[[], AccountService],
        tasks: TaskStore,
        generation: Callable[[], Generation],
        billing: Callable[[], BillingService],
        secrets: CachedSecrets,
        provider_options: Callable[[], dict[str, Any]],
        provider_defaults: Callable[[], dict[str, Any]],
        vertex_options: Callable[[], dict[str, Any] | None],
        production: bool,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        """Each dependency by keyword; `accounts`, `generation` and `billing` are built on first use (callables);
        `clock` stamps audit entries and changes and decides "today" on the dashboard."""
        self._clock = clock
        self._db = db
        self._accounting = accounting
        self._accounts = accounts
        self._tasks = tasks
        self._generation_of = generation
        self._billing_of = billing
        self._secrets = secrets
        self._provider_options = provider_options
        self._provider_defaults = provider_defaults
        self._vertex_options = vertex_options
        self._production = production

    @property
    def _generation(self) -> Generation:
        return self._generation_of()

    @property
    def _billing(self) -> BillingService:
        return self._billing_of()

    # ---- provider models and key checks ---------------------------------------------------

    def provider_models(self, provider: str) -> ProviderModelList:
        """The vendor's own model list (`provider`: gemini, veo, openai or sora) with the saved key.
        InvalidRequest for another name or no key; 503 ServiceUnavailable with the provider's reason when it refuses."""
        from common.errors import ServiceUnavailable
        from common.providers.base import ProviderError
        from common.providers.listing import list_models

        vendor = _vendor(provider, field="provider")
        key, base_url, vertex = self._provider_access(vendor)
        if not key and not vertex:
            raise InvalidRequest(f"No {vendor} API key is saved yet: add one in Settings → API keys.",
                                 details={"field": "provider"})
        try:
            models = list_models(vendor, api_key=key, base_url=base_url, vertex=vertex)
        except ProviderError as exc:
            log.warning("model list failed: %s", exc.detail, extra={"vendor": vendor})
            raise ServiceUnavailable(exc.message) from None
        return ProviderModelList(items=[ProviderModel(id=m.id, display_name=m.display_name, kinds=list(m.kinds))
                                        for m in models])

    def test_key(self, name: str, value: str | None) -> KeyTestResult:
        """A live check of the key `name` (gemini_api_key / openai_api_key, or gemini / openai): `value`, or the saved one."""
        from common.providers.listing import check_key

        vendor = _vendor(name.removesuffix("_api_key"), field="name")
        saved, base_url, vertex = self._provider_access(vendor)
        key = (value or "").strip() or saved
        if not key and not vertex:
            return KeyTestResult(ok=False, message=f"No {vendor} API key is saved.")
        ok, message = check_key(vendor, api_key=key, base_url=base_url, vertex=vertex if not value else None)
        return KeyTestResult(ok=ok, message=message)

    def _provider_access(self, vendor: str) -> tuple[str, str | None, dict[str, Any] | None]:
        """(saved key, base URL, Vertex AI options or None) for `vendor`, as the providers would use them."""
        options = self._provider_options()
        key = self._secrets.get(API_KEYS[f"{vendor}_api_key"]) or ""
        base_url = str(options.get(f"{vendor}_base_url") or "") or None
        vertex = self._vertex_options() if vendor == "gemini" else None
        return key, base_url, vertex

    # ---- audit ------------------------------------------------------------------------

    def audit(self, *, actor: dict[str, Any], action: str, target_type: str, target_id: str | None,
              before: dict[str, Any], after: dict[str, Any]) -> None:
        """Append one entry to the audit log: who did what to which target, with only the changed fields before/after."""
        self._db.audit.insert_one({
            "_id": str(ObjectId()), "actor_id": str(actor["_id"]), "actor_email": actor.get("email"), "action": action,
            "target_type": target_type, "target_id": target_id, "before": before, "after": after, "created_at": self._clock.now(),
        })
        log.info("admin change", extra={"actor_id": str(actor["_id"]), "action": action, "target_id": target_id})

    def audit_page(self, *, limit: int, cursor: str | None) -> tuple[list[AuditEntry], str | None]:
        """Audit entries, newest first, and the next cursor."""
        docs, next_cursor = newest_first(self._db.audit, {}, limit=limit, cursor=cursor)
        return [AuditEntry(id=d["_id"], actor_id=d["actor_id"], actor_email=d.get("actor_email"), action=d["action"],
                           target_type=d["target_type"], target_id=d.get("target_id"), before=d.get("before") or {},
                           after=d.get("after") or {}, created_at=clock.as_utc(d["created_at"])) for d in docs], next_cursor

    # ---- stats ------------------------------------------------------------------------

    def stats(self) -> AdminStats:
        """The dashboard numbers: users, tasks by status and type, revenue, today's generations."""
        def grouped(coll: Any, field: str, match: dict[str, Any] | None = None, total: str | None = None) -> dict[str, int]:
            """Counts of `collection` documents by `field`."""
            pipeline: list[dict[str, Any]] = [{"$match": match}] if match else []
            pipeline.append({"$group": {"_id": f"${field}", "n": {"$sum": f"${total}" if total else 1}}})
            return {str(row["_id"]): int(row["n"]) for row in coll.aggregate(pipeline) if row["_id"] is not None}

        midnight = self._clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
        return AdminStats(
            users=self._db.users.count_documents({}),
            disabled_users=self._db.users.count_documents({"disabled": True}),
            tasks_by_status={s.value: 0 for s in TaskStatus} | grouped(self._db.tasks, "status"),
            tasks_by_type={"image": 0, "video": 0} | grouped(self._db.tasks, "type"),
            orders_by_status={s.value: 0 for s in OrderStatus} | grouped(self._db.orders, "status"),
            revenue_cents=grouped(self._db.orders, "currency", {"status": OrderStatus.PAID.value}, total="price_cents"),
            generations_today=self._db.tasks.count_documents({"created_at": {"$gte": midnight}}),
            **self._series(midnight),
        )

    def _series(self, midnight: datetime, days: int = STATS_DAYS) -> dict[str, Any]:
        """Per-day generations by kind and outcome, revenue per day, and failure rate by provider (last `days` UTC days)."""
        since = midnight - timedelta(days=days - 1)
        keys = [(since + timedelta(days=i)).date().isoformat() for i in range(days)]
        daily: dict[str, dict[str, Any]] = {k: {"day": k, "image": 0, "video": 0, "completed": 0, "failed": 0, "revenue_cents": 0} for k in keys}
        providers: dict[str, list[int]] = {}
        for t in self._db.tasks.find({"created_at": {"$gte": since}}, {"type": 1, "status": 1, "provider": 1, "created_at": 1}):
            row = daily.get(clock.as_utc(t["created_at"]).date().isoformat())
            if row is None:
                continue
            if t.get("type") in ("image", "video"):
                row[t["type"]] += 1
            if t.get("status") == TaskStatus.COMPLETED.value:
                row["completed"] += 1
            elif t.get("status") == TaskStatus.FAILED.value:
                row["failed"] += 1
            if t.get("status") in (TaskStatus.COMPLETED.value, TaskStatus.FAILED.value):
                counts = providers.setdefault(str(t.get("provider") or "?"), [0, 0])
                counts[0] += 1
                counts[1] += t["status"] == TaskStatus.FAILED.value
        for o in self._db.orders.find({"status": OrderStatus.PAID.value, "paid_at": {"$gte": since}}, {"price_cents": 1, "paid_at": 1}):
            row = daily.get(clock.as_utc(o["paid_at"]).date().isoformat())
            if row is not None:
                row["revenue_cents"] += int(o.get("price_cents") or 0)
        return {
            "daily": [DailyStats(**daily[k]) for k in keys],
            "providers": [ProviderStats(provider=p, finished=n, failed=f, failure_rate=round(f / n, 4) if n else 0.0)
                          for p, (n, f) in sorted(providers.items())],
        }

    # ---- users ------------------------------------------------------------------------

    def users(self, *, q: str | None, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """Users (q searches email and name), newest first, and the next cursor."""
        query: dict[str, Any] = {}
        if q:
            pattern = {"$regex": re.escape(q.strip()), "$options": "i"}
            query["$or"] = [{"email": pattern}, {"name": pattern}]
        return newest_first(self._db.users, query, limit=limit, cursor=cursor)

    def update_user(self, *, actor: dict[str, Any], user_id: str, patch: AdminUserPatch,
                    idempotency_key: str | None = None) -> dict[str, Any]:
        """Change role, disabled state or credits (audited). Raises NotFound, InvalidRequest (own admin role) or PaymentRequired."""
        if patch.role is None and patch.disabled is None and not patch.credits_delta:
            raise InvalidRequest("Nothing to change: send role, disabled or credits_delta.", details={"field": "body"})
        target = self._db.users.find_one({"_id": user_id}) if plausible_id(user_id) else None
        if target is None:
            raise NotFound("User not found.")
        is_self = str(actor["_id"]) == target["_id"]
        if is_self and patch.disabled:
            raise Conflict("You cannot disable your own account.")
        if is_self and patch.role is not None and patch.role.value != "admin":
            raise Conflict("You cannot remove your own admin role; ask another admin.")
        before = {"role": target["role"], "disabled": bool(target.get("disabled")), "credits": int(target.get("credits", 0))}
        changes: dict[str, Any] = {}
        if patch.role is not None:
            changes["role"] = patch.role.value
        if patch.disabled is not None:
            changes["disabled"] = patch.disabled
        if patch.credits_delta:
            self._adjust_credits(actor=actor, target=target, delta=patch.credits_delta, note=patch.note,
                                 idempotency_key=idempotency_key)
        if changes:
            update: dict[str, Any] = {"$set": {**changes, "updated_at": self._clock.now()}}
            if "disabled" in changes and changes["disabled"] != before["disabled"]:
                # Disabling or enabling retires every session token issued so far (re-enabling revives none).
                update["$inc"] = {"token_version": 1}
            self._db.users.update_one({"_id": user_id}, update)
            if changes.get("disabled") and not before["disabled"]:
                self._accounts().revoke_all_api_tokens(user_id)
        updated = self._db.users.find_one({"_id": user_id}) or target
        after = {"role": updated["role"], "disabled": bool(updated.get("disabled")), "credits": int(updated.get("credits", 0))}
        changed = [k for k in before if before[k] != after[k]]  # the audit shows what changed, not the whole record
        before = {k: before[k] for k in changed}
        summary_after: dict[str, Any] = {k: after[k] for k in changed}
        if patch.credits_delta:
            summary_after["credits_delta"] = patch.credits_delta
        if patch.note:
            summary_after["note"] = patch.note
        self.audit(actor=actor, action="user.update", target_type="user", target_id=user_id, before=before, after=summary_after)
        return updated

    def _adjust_credits(self, *, actor: dict[str, Any], target: dict[str, Any], delta: int, note: str | None,
                        idempotency_key: str | None) -> None:
        # One key per admin action; a client retry that sends the same Idempotency-Key applies once.
        suffix = idempotency_key[:100] if idempotency_key else uuid.uuid4().hex
        key = f"admin:{actor['_id']}:{target['_id']}:{suffix}"
        try:
            self._accounting.apply_credits(
                user_id=target["_id"], delta=delta, key=key, reason=f"admin adjustment: {note}" if note else "admin adjustment",
                meta={"admin_id": str(actor["_id"]), "note": note or ""},
            )
        except PaymentRequired as exc:
            raise Conflict(f"The user has only {exc.details.get('credits', 0)} credits; a balance cannot go below zero.",
                           details={"field": "credits_delta", "credits": exc.details.get("credits", 0)}) from None

    def emails(self, user_ids: set[str]) -> dict[str, str]:
        """The email of each user id (for the admin lists)."""
        if not user_ids:
            return {}
        return {d["_id"]: d["email"] for d in self._db.users.find({"_id": {"$in": sorted(user_ids)}}, {"email": 1})}

    # ---- tasks ------------------------------------------------------------------------

    def tasks(self, *, filters: dict[str, Any], limit: int, cursor: str | None) -> tuple[list[AdminTask], str | None]:
        """Every user's tasks matching `filters` ({user_id, type, status}, each optional), newest first, with their
        owners' emails, and the next cursor."""
        docs, next_cursor = self._tasks.page(user_id=filters.get("user_id"), kind=filters.get("type"),
                                             status=filters.get("status"), limit=limit, cursor=cursor)
        return self._admin_tasks(docs), next_cursor

    def _admin_tasks(self, docs: list[dict[str, Any]]) -> list[AdminTask]:
        emails = self.emails({d["user_id"] for d in docs})
        gen = self._generation
        return [AdminTask(**gen.to_api(d).model_dump(), user_id=d["user_id"], email=emails.get(d["user_id"])) for d in docs]

    def retry_task(self, *, actor: dict[str, Any], task_id: str) -> AdminTask:
        """FAILED → PENDING at a fresh step, free for the user, and enqueued (Generation.retry_failed); audited.
        Raises NotFound or Conflict (not FAILED)."""
        current, doc = self._generation.retry_failed(task_id)
        self.audit(actor=actor, action="task.retry", target_type="task", target_id=task_id,
                   before={"status": current["status"], "error": current.get("error"), "cost": current.get("cost")},
                   after={"status": doc["status"], "step": int(doc["step"]), "cost": doc["cost"]})
        return self._admin_tasks([doc])[0]

    # ---- orders -----------------------------------------------------------------------

    def orders(self, *, filters: dict[str, Any], limit: int, cursor: str | None) -> tuple[list[AdminOrder], str | None]:
        """Every order matching `filters`, newest first, with their owners' emails, and the next cursor."""
        docs, next_cursor = self._billing.page(filters=filters, limit=limit, cursor=cursor)
        return self._admin_orders(docs), next_cursor

    def _admin_orders(self, docs: list[dict[str, Any]]) -> list[AdminOrder]:
        emails = self.emails({d["user_id"] for d in docs})
        billing = self._billing
        return [AdminOrder(**billing.to_api(d).model_dump(), email=emails.get(d["user_id"])) for d in docs]

    def refund_order(self, *, actor: dict[str, Any], order_id: str) -> AdminOrder:
        """Refund a PAID order (credits taken back, Stripe refunded), audited. Raises NotFound or Conflict."""
        before = self._billing.get(order_id)
        doc = self._billing.refund_order(order_id=order_id, actor_id=str(actor["_id"]))
        self.audit(actor=actor, action="order.refund", target_type="order", target_id=order_id,
                   before={"status": (before or {}).get("status")},
                   after={"status": doc["status"], "credits": doc["credits"], "price_cents": doc["price_cents"],
                          "currency": doc["currency"]})
        return self._admin_orders([doc])[0]

    # ---- settings ---------------------------------------------------------------------

    def settings(self) -> AdminSettings:
        """The run-time settings as the panel shows them; API keys only as {set, last4, updated_at}."""
        pricing = self._doc("pricing")
        providers = self._doc("providers")
        env_providers = self._provider_defaults()
        return AdminSettings.model_validate({
            "pricing": {"quotas": {**DEFAULT_QUOTAS, **(pricing.get("quotas") or {})},
                        "costs": {**DEFAULT_COSTS, **(pricing.get("costs") or {})},
                        "quota_timezone": str(pricing.get("quota_timezone") or "UTC")},
            "packages": [p.model_dump() for p in self._billing.packages()],
            "providers": {k: str(providers.get(k) or env_providers.get(k) or "") for k in PROVIDER_FIELDS},
            "cors_origins": list(self._doc("cors").get("origins") or []),
            "api_keys": self._key_states(),
            "watermark": {"enabled": bool(self._doc("watermark").get("enabled")), "text": str(self._doc("watermark").get("text") or "")},
            "provenance": {"c2pa": self._doc("provenance").get("c2pa") is True},
        })

    def _doc(self, doc_id: str) -> dict[str, Any]:
        return dict(self._db.settings.find_one({"_id": doc_id}) or {})

    def _key_states(self) -> dict[str, ApiKeyState]:
        meta = self._doc("api_keys_meta")
        out: dict[str, ApiKeyState] = {}
        for field, secret in API_KEYS.items():
            known = meta.get(field)
            if isinstance(known, dict):
                updated = known.get("updated_at")
                out[field] = ApiKeyState(set=bool(known.get("set", True)), last4=known.get("last4"),
                                         updated_at=clock.as_utc(updated) if isinstance(updated, datetime) else None)
                continue
            try:  # set outside the panel (Terraform, gcloud): describe it if this identity may read it
                described = self._secrets.describe(secret)
            except Exception:  # noqa: BLE001 - no access to the value in production is expected
                described = {"set": False, "last4": None}
            out[field] = ApiKeyState(set=bool(described["set"]), last4=None if field in PEM_KEYS else described.get("last4"),
                                     updated_at=None)
        return out

    def update_settings(self, *, actor: dict[str, Any], update: AdminSettingsUpdate) -> AdminSettings:
        """Validate everything first, then write: one `$set` per settings document, a new version per key."""
        self._validate(update)
        before = self.settings().model_dump(mode="json")
        now = self._clock.now()
        if update.pricing is not None:
            fields: dict[str, Any] = {}
            for part in ("quotas", "costs"):
                values = getattr(update.pricing, part)
                if values is not None:
                    fields.update({f"{part}.{k}": v for k, v in values.model_dump(exclude_none=True).items()})
            if update.pricing.quota_timezone is not None:
                fields["quota_timezone"] = update.pricing.quota_timezone.strip() or "UTC"
            if fields:
                self._db.settings.update_one({"_id": "pricing"}, {"$set": {**fields, "updated_at": now}}, upsert=True)
        if update.packages is not None:
            items = [p.model_dump() for p in update.packages]
            self._db.settings.update_one({"_id": "packages"}, {"$set": {"items": items, "updated_at": now}}, upsert=True)
        if update.providers is not None:
            changes = update.providers.model_dump(exclude_none=True)
            if changes:
                self._db.settings.update_one({"_id": "providers"}, {"$set": {**changes, "updated_at": now}}, upsert=True)
        if update.watermark is not None:
            marks = update.watermark.model_dump(exclude_none=True)
            if marks:
                self._db.settings.update_one({"_id": "watermark"}, {"$set": {**marks, "updated_at": now}}, upsert=True)
        if update.provenance is not None and update.provenance.c2pa is not None:
            self._db.settings.update_one({"_id": "provenance"}, {"$set": {"c2pa": update.provenance.c2pa, "updated_at": now}},
                                         upsert=True)
        if update.cors_origins is not None:
            origins = list(dict.fromkeys(o.strip().rstrip("/") for o in update.cors_origins))
            self._db.settings.update_one({"_id": "cors"}, {"$set": {"origins": origins, "updated_at": now}}, upsert=True)
        if update.api_keys is not None:
            for field, value in update.api_keys.model_dump(exclude_none=True).items():
                value = value.strip()
                if not value:
                    continue  # '' = leave unchanged
                self._secrets.put(API_KEYS[field], value)
                last4 = value[-4:] if len(value) >= 8 and field not in PEM_KEYS else None
                meta = {"set": True, "last4": last4, "updated_at": now,
                        "updated_by": str(actor["_id"])}
                self._db.settings.update_one({"_id": "api_keys_meta"}, {"$set": {field: meta}}, upsert=True)
        after = self.settings()
        changed = _diff(before, after.model_dump(mode="json"))
        self.audit(actor=actor, action="settings.update", target_type="settings", target_id=None,
                   before={k: v[0] for k, v in changed.items()}, after={k: v[1] for k, v in changed.items()})
        return after

    def _validate(self, update: AdminSettingsUpdate) -> None:
        tz = update.pricing.quota_timezone if update.pricing is not None else None
        if tz and tz.strip() and not clock.is_time_zone(tz.strip()):
            raise _field_error("pricing.quota_timezone", "must be an IANA time zone name such as Asia/Shanghai or UTC")
        if update.providers is not None:
            for field in ("gemini_base_url", "openai_base_url"):
                url = getattr(update.providers, field)
                if url:
                    self._check_base_url(f"providers.{field}", url)
        for i, origin in enumerate(update.cors_origins or []):
            self._check_origin(f"cors_origins.{i}", origin.strip())
        if update.api_keys is not None:
            raw = update.api_keys.model_dump(exclude_unset=True)
            for field, value in raw.items():
                if value is None:
                    raise _field_error(f"api_keys.{field}", "keys can be replaced but not removed here (send '' to keep "
                                       "the current one; disable a version in Secret Manager to revoke it)")
                if field in PEM_KEYS:
                    if value.strip():
                        self._check_pem(f"api_keys.{field}", field, value.strip())
                    continue
                if value.strip() and (len(value.strip()) < 8 or any(c.isspace() for c in value.strip())):
                    raise _field_error(f"api_keys.{field}", "a key is at least 8 characters without spaces")

    def _check_pem(self, path: str, field: str, pem: str) -> None:
        """A C2PA certificate chain or private key the signer can use (common/provenance.py), else a 400 naming why."""
        from common.provenance import ProvenanceError, check_certificate_chain, signing_algorithm

        try:
            if field == "c2pa_certificate_chain":
                check_certificate_chain(pem)
            else:
                signing_algorithm(pem)
        except ProvenanceError as exc:
            raise _field_error(path, str(exc)) from None

    def _check_base_url(self, field: str, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme == "https" and parts.hostname and not parts.query and not parts.fragment and not parts.username:
            return
        if not self._production and parts.scheme == "http" and parts.hostname in {"127.0.0.1", "localhost", "::1"}:
            return
        allowed = "https://…" if self._production else "https://… (or http://127.0.0.1 for local testing)"
        raise _field_error(field, f"must be {allowed} without credentials, query or fragment")

    def _check_origin(self, field: str, origin: str) -> None:
        parts = urlsplit(origin)
        ok = (
            parts.scheme in ("https", "http") and bool(parts.hostname) and parts.path in ("", "/")
            and not parts.query and not parts.fragment and not parts.username and "*" not in origin
        )
        if ok and parts.scheme == "http" and self._production and parts.hostname not in {"127.0.0.1", "localhost"}:
            ok = False
        if not ok:
            raise _field_error(field, "must be an origin like https://studio.example.com (scheme and host, no path)")


def _diff(before: dict[str, Any], after: dict[str, Any], prefix: str = "") -> dict[str, tuple[Any, Any]]:
    """Changed leaves as `a/b/c` paths (no dots: they are field names in the audit document); lists compare whole. Key states hold no values, so this holds no secret."""
    out: dict[str, tuple[Any, Any]] = {}
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        path = f"{prefix}{key}"
        if isinstance(b, dict) and isinstance(a, dict):
            out.update(_diff(b, a, prefix=f"{path}/"))
        elif b != a:
            out[path] = (b, a)
    return out
