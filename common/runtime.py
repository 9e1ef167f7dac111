"""The one composition root: every client is built lazily, once, from one Settings.

Nothing here touches the network at import time. Functions call `services()`;
tests build their own `Services(settings)` and install it with `use()`.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from common.clock import SYSTEM_CLOCK, Clock
from common.config import Settings, get_settings

if TYPE_CHECKING:
    from common.accounting import Accounting, Pricing
    from common.accounts import AccountService
    from common.admin import AdminService
    from common.auth import AuthService
    from common.billing import BillingService
    from common.chat import ChatService
    from common.db import Database
    from common.generation import Generation
    from common.idempotency import Idempotency
    from common.mailer import Mailer
    from common.media import MediaSigner
    from common.provenance import SigningCredentials
    from common.providers.registry import ProviderRegistry
    from common.queue import Queue
    from common.ratelimit import Network, RateLimits
    from common.secrets import CachedSecrets
    from common.shares import ShareService
    from common.storage import StorageService
    from common.tasks import TaskRepository
    from common.throttle import LoginThrottle
    from common.uploads import Uploads

log = logging.getLogger(__name__)


def _lazy(fn: Any) -> Any:
    """A cached property that builds under the Services lock (one client per process)."""
    name = fn.__name__

    @functools.wraps(fn)
    def get(self: Services) -> Any:
        """The component, built on first access under the lock."""
        value = self.__dict__.get(name)
        if value is None:
            with self._lock:
                value = self.__dict__.get(name)
                if value is None:
                    value = fn(self)
                    self.__dict__[name] = value
        return value

    return property(get)


class Services:
    """The one composition root: every client and service, built lazily and once, from one Settings and one Clock."""
    def __init__(self, settings: Settings, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self.settings = settings
        self.clock = clock
        self._lock = threading.RLock()

    @_lazy
    def db(self) -> Database:
        """The database (MongoDB, or the embedded store without MONGODB_URI), indexes ensured."""
        from common.db import connect

        db = connect(uri=self.settings.MONGODB_URI, name=self.settings.MONGODB_DB)
        db.ensure_indexes()
        return db

    @_lazy
    def secrets(self) -> CachedSecrets:
        """The secret store (Secret Manager or the database) behind a short cache."""
        from common.secrets import CachedSecrets, DatabaseSecretStore, SecretManagerStore

        store: DatabaseSecretStore | SecretManagerStore
        if self.settings.SECRETS_BACKEND == "secretmanager":
            store = SecretManagerStore(
                project=self.settings.GCP_PROJECT,
                endpoint=self.settings.SECRET_MANAGER_ENDPOINT,
                id_prefix=self.settings.SECRET_ID_PREFIX,
            )
        else:
            store = DatabaseSecretStore(self.db)
        return CachedSecrets(store, ttl_s=self.settings.SECRETS_TTL_S)

    def secret_or_env(self, name: str, env_value: str) -> str:
        """Env wins (e.g. Cloud Run mounting a secret); else the secret, generated locally on first use."""
        if env_value:
            return env_value
        if self.settings.SECRETS_BACKEND == "db":
            return self.secrets.ensure_generated(name)
        value = self.secrets.get(name)
        if not value:
            raise RuntimeError(f"secret {name} has no version")
        return value

    def jwt_key(self) -> str:
        """The session-signing key (env, else the secret, generated locally on first use)."""
        from common.secrets import JWT_SIGNING_KEY

        return self.secret_or_env(JWT_SIGNING_KEY, self.settings.JWT_SECRET)

    def worker_secret(self) -> str:
        """The shared secret the local queue sends to the worker."""
        from common.secrets import WORKER_SECRET

        return self.secret_or_env(WORKER_SECRET, self.settings.WORKER_SECRET)

    def media_keys(self) -> list[str]:
        """Newest first; the previous version stays valid so rotation breaks no link."""
        from common.secrets import MEDIA_SIGNING_KEY

        if self.settings.MEDIA_SIGNING_KEY:
            return [self.settings.MEDIA_SIGNING_KEY]
        newest = self.secret_or_env(MEDIA_SIGNING_KEY, "")
        return self._media_versions(newest)

    @functools.lru_cache(maxsize=4)  # noqa: B019 - keyed by the newest key; a handful of entries per process
    def _media_versions(self, newest: str) -> list[str]:
        from common.secrets import MEDIA_SIGNING_KEY

        versions = self.secrets.store.versions(MEDIA_SIGNING_KEY, limit=2)
        return [newest, *[v for v in versions if v != newest]]

    @_lazy
    def storage(self) -> StorageService:
        """The media bucket (GCS or the emulator)."""
        from common.storage import StorageService

        s = self.settings
        return StorageService(bucket=s.GCS_BUCKET, project=s.GCP_PROJECT, emulator_host=s.STORAGE_EMULATOR_HOST or s.GCS_ENDPOINT)

    @_lazy
    def queue(self) -> Queue:
        """The generation queue: Cloud Tasks, or the in-process queue with its semantics."""
        s = self.settings
        if s.QUEUE_BACKEND == "cloudtasks":
            from common.queue import CloudTasksQueue

            return CloudTasksQueue(
                project=s.GCP_PROJECT, location=s.CLOUD_TASKS_LOCATION, queue=s.CLOUD_TASKS_QUEUE,
                target_url=s.worker_url, service_account=s.TASKS_SERVICE_ACCOUNT, audience=s.WORKER_AUDIENCE,
                endpoint=s.CLOUD_TASKS_ENDPOINT,
            )
        from common.queue import LocalQueue

        return LocalQueue(target_url=s.worker_url, headers={"X-Worker-Secret": self.worker_secret()},
                          queue_name=s.CLOUD_TASKS_QUEUE)

    @_lazy
    def accounting(self) -> Accounting:
        """Credits and daily quotas (the rules) on the MongoDB ledger store."""
        from common.accounting import Accounting
        from common.ledger import MongoLedgerStore

        return Accounting(store=MongoLedgerStore(self.db), pricing=self.pricing, clock=self.clock)

    @_lazy
    def auth(self) -> AuthService:
        """Passwords, sessions and tokens."""
        from common.auth import AuthService, use_password_profile

        s = self.settings
        use_password_profile(s.ARGON2_PROFILE)
        return AuthService(
            db=self.db, accounting=self.accounting, jwt_key=self.jwt_key, issuer=s.JWT_ISSUER,
            audience=s.JWT_AUDIENCE, ttl_s=s.JWT_TTL_S, throttle=self.login_throttle,
            google_certs_url=s.GOOGLE_CERTS_URL,
        )

    @_lazy
    def shares(self) -> ShareService:
        """Public share links of finished tasks."""
        from common.shares import ShareService

        return ShareService(db=self.db, signer=self.signer)

    @_lazy
    def login_throttle(self) -> LoginThrottle:
        """Failed sign-ins per account and address."""
        from common.throttle import LoginThrottle, ThrottlePolicy

        s = self.settings
        return LoginThrottle(
            self.db,
            account_ip=ThrottlePolicy(free=s.LOGIN_MAX_FAILURES, base_delay_s=s.LOGIN_BASE_DELAY_S,
                                      max_delay_s=s.LOGIN_MAX_DELAY_S, window_s=s.LOGIN_WINDOW_S),
            ip=ThrottlePolicy(free=s.LOGIN_IP_MAX_FAILURES, base_delay_s=s.LOGIN_BASE_DELAY_S,
                              max_delay_s=s.LOGIN_MAX_DELAY_S, window_s=s.LOGIN_WINDOW_S),
        )

    @_lazy
    def idempotency(self) -> Idempotency:
        """Idempotency-Key replay store."""
        from common.idempotency import Idempotency

        return Idempotency(self.db)

    @_lazy
    def rate_limits(self) -> RateLimits:
        """Rate limits per user and client address (the `limits` library)."""
        from common.ratelimit import DatabaseStorage, RateLimits

        s = self.settings
        storage = DatabaseStorage(lambda: self.db.rate_limits)
        # The proxy's limit is per instance: a database write per media Range request (every seek)
        # cost more than a shared count is worth for links that are already signed capabilities.
        return RateLimits(storage, self.rate_policies, enabled=s.RATE_LIMITS_ENABLED,
                          per_instance=frozenset({"proxy"}))

    def rate_policies(self) -> dict[str, str]:
        """Policy name → `limits` string (settings; see common/config.py)."""
        s = self.settings
        return {"ip": s.RATE_LIMIT_IP, "login": s.RATE_LIMIT_LOGIN, "register": s.RATE_LIMIT_REGISTER,
                "generate": s.RATE_LIMIT_GENERATE, "upload": s.RATE_LIMIT_UPLOAD, "chat": s.RATE_LIMIT_CHAT,
                "proxy": s.RATE_LIMIT_PROXY}

    @functools.cached_property
    def trusted_proxies(self) -> list[Network]:
        """Networks whose X-Forwarded-For is believed."""
        from common.ratelimit import parse_networks

        return parse_networks(self.settings.trusted_proxies)

    @_lazy
    def mailer(self) -> Mailer:
        """Outgoing mail (password resets)."""
        from common.mailer import LogMailer, SmtpMailer

        s = self.settings
        if not s.SMTP_HOST:
            return LogMailer()
        return SmtpMailer(host=s.SMTP_HOST, port=s.SMTP_PORT, sender=s.SMTP_FROM, username=s.SMTP_USERNAME,
                          password=s.SMTP_PASSWORD, starttls=s.SMTP_STARTTLS, use_tls=s.SMTP_TLS)

    @_lazy
    def accounts(self) -> AccountService:
        """Account management: profile, password, developer API tokens, usage."""
        from common.accounts import AccountService
        from common.auth import use_password_profile

        s = self.settings
        use_password_profile(s.ARGON2_PROFILE)
        return AccountService(db=self.db, ledger=self.accounting.store, mailer=self.mailer,
                              public_base_url=s.PUBLIC_BASE_URL or f"http://127.0.0.1:{s.PORT}",
                              reset_ttl_s=s.PASSWORD_RESET_TTL_S)

    @_lazy
    def signer(self) -> MediaSigner:
        """Signs and verifies media proxy URLs with the media-signing key versions."""
        from common.media import MediaSigner

        return MediaSigner(bucket=self.settings.GCS_BUCKET, keys=self.media_keys)

    @_lazy
    def providers(self) -> ProviderRegistry:
        """The AI provider registry (the catalogue's providers, keys looked up by vendor)."""
        from common.providers.registry import ProviderRegistry
        from common.secrets import API_KEY_SECRETS

        s = self.settings
        if s.ENV == "production" and "sim" in {s.IMAGE_PROVIDER, s.VIDEO_PROVIDER, s.CHAT_PROVIDER}:
            log.warning("the sim provider is a default: results are simulated until the admin panel (Settings → "
                        "Providers) or IMAGE_PROVIDER/VIDEO_PROVIDER/CHAT_PROVIDER choose a real one; sim writes "
                        "only under DATA_DIR=%s", s.DATA_DIR)
        # The sim assistant streams at ~20 ms a word, except when the stack makes simulations instant (tests).
        chat_delay = s.CHAT_SIM_DELAY_S if s.CHAT_SIM_DELAY_S is not None else (0.02 if s.SIM_DURATION_S > 0 else 0.0)
        return ProviderRegistry(
            api_key=lambda vendor: self.secrets.get(API_KEY_SECRETS[vendor]), sim_duration_s=s.SIM_DURATION_S,
            work_dir=s.DATA_DIR / "sim-jobs", options=self.provider_options, sim_chat_delay_s=chat_delay,
            vertex_credentials=lambda: self.vertex_credentials, clock=self.clock,
        )

    def provider_options(self) -> dict[str, Any]:
        """Provider and model choice: environment defaults, overridden by the `settings` document
        (`_id: "providers"`) that the admin panel writes; cached like secrets, so a change applies
        to every function within seconds."""
        defaults = self.provider_defaults()
        return {**defaults, **self.runtime_overrides("providers", allowed=set(defaults))}

    def provider_defaults(self) -> dict[str, Any]:
        """Provider and model choice from the environment, before the admin panel's overrides."""
        s = self.settings
        return {
            "image_provider": s.IMAGE_PROVIDER, "video_provider": s.VIDEO_PROVIDER, "chat_provider": s.CHAT_PROVIDER,
            "image_model": s.IMAGE_MODEL, "veo_model": s.VEO_MODEL, "sora_model": s.SORA_MODEL,
            "chat_model": s.CHAT_MODEL, "gemini_base_url": s.GEMINI_BASE_URL, "openai_base_url": s.OPENAI_BASE_URL,
            "gemini_mode": s.GEMINI_MODE, "vertex_project": s.VERTEX_PROJECT or s.GCP_PROJECT,
            "vertex_location": s.VERTEX_LOCATION,
        }

    # Vertex AI credentials: None lets google-genai use Application Default Credentials (the
    # service account on Cloud Run); tests put a google.auth Credentials object here.
    vertex_credentials: Any = None

    def vertex_options(self) -> dict[str, Any] | None:
        """`{project, location, credentials}` when Gemini/Veo run in Vertex AI mode, else None."""
        o = self.provider_options()
        if o.get("gemini_mode") != "vertex":
            return None
        return {"project": str(o.get("vertex_project") or self.settings.GCP_PROJECT),
                "location": str(o.get("vertex_location") or "us-central1"), "credentials": self.vertex_credentials}

    def runtime_overrides(self, doc_id: str, *, allowed: set[str]) -> dict[str, Any]:
        """Fields of the `settings` document `doc_id` (what the admin panel writes), cached for SECRETS_TTL_S."""
        now = time.monotonic()
        cache: dict[str, tuple[float, dict[str, Any]]] = self.__dict__.setdefault("_runtime_overrides", {})
        hit = cache.get(doc_id)
        if hit is None or now - hit[0] >= self.settings.SECRETS_TTL_S:
            doc = self.db.settings.find_one({"_id": doc_id}) or {}
            hit = (now, {k: v for k, v in doc.items() if k in allowed and v not in (None, "")})
            cache[doc_id] = hit
        return hit[1]

    def pricing(self) -> Pricing:
        """Daily quotas and credit costs: defaults overridden by the `pricing` settings document."""
        from common.accounting import DEFAULT_COSTS, DEFAULT_QUOTAS, Pricing

        o = self.runtime_overrides("pricing", allowed={"quotas", "costs", "quota_timezone"})
        return Pricing(quotas={**DEFAULT_QUOTAS, **(o.get("quotas") or {})}, costs={**DEFAULT_COSTS, **(o.get("costs") or {})},
                       timezone=str(o.get("quota_timezone") or "UTC"))

    @_lazy
    def uploads(self) -> Uploads:
        """Stores users' uploaded images."""
        from common.uploads import Uploads

        s = self.settings
        return Uploads(storage=self.storage, signer=self.signer, max_bytes=s.MAX_UPLOAD_BYTES, db=self.db,
                       max_pixels=s.MAX_UPLOAD_PIXELS, budget_bytes=s.UPLOAD_BUDGET_BYTES, orphan_age_s=s.UPLOAD_ORPHAN_AGE_S)

    @_lazy
    def tasks(self) -> TaskRepository:
        """The tasks repository."""
        from common.tasks import TaskRepository

        return TaskRepository(self.db)

    @_lazy
    def generation(self) -> Generation:
        """Image and video generation: create, run a step, complete, retry, delete."""
        from common.generation import Generation, GenerationConfig

        s = self.settings
        return Generation(
            tasks=self.tasks, accounting=self.accounting, storage=self.storage, queue=self.queue,
            providers=self.providers, signer=self.signer,
            config=GenerationConfig(poll_interval_s=s.POLL_INTERVAL_S, lease_s=s.STEP_LEASE_S, deadline_s=s.TASK_DEADLINE_S),
            watermark_text=self.watermark_text, c2pa_credentials=self.c2pa_credentials,
            uploads=self.uploads, max_input_pixels=s.MAX_UPLOAD_PIXELS,
        )

    def watermark_text(self) -> str | None:
        """The visible watermark's text when the admin turned it on (settings document `watermark`), else None."""
        o = self.runtime_overrides("watermark", allowed={"enabled", "text"})
        text = str(o.get("text") or "").strip()
        return text if o.get("enabled") is True and text else None

    def c2pa_credentials(self) -> SigningCredentials | None:
        """The C2PA signing credentials when the admin turned provenance on (settings document `provenance`) and
        both secrets are set; None otherwise. Turned on without a certificate: None, logged once per process."""
        if self.runtime_overrides("provenance", allowed={"c2pa"}).get("c2pa") is not True:
            return None
        from common.provenance import SigningCredentials
        from common.secrets import C2PA_CERTIFICATE_CHAIN, C2PA_PRIVATE_KEY

        chain, key = self.secrets.get(C2PA_CERTIFICATE_CHAIN), self.secrets.get(C2PA_PRIVATE_KEY)
        if not chain or not key:
            if not self.__dict__.get("_c2pa_missing_logged"):
                self.__dict__["_c2pa_missing_logged"] = True
                log.warning("C2PA provenance is on but the signing certificate chain or key is not set: outputs are not signed")
            return None
        return SigningCredentials(certificate_chain=chain, private_key=key)

    @_lazy
    def chat(self) -> ChatService:
        """The assistant (common/chat/)."""
        from common.chat import ChatConfig, ChatService, MongoConversationStore

        return ChatService(
            store=MongoConversationStore(self.db, clock=self.clock), accounting=self.accounting, storage=self.storage,
            signer=self.signer, provider=self.providers.chat,
            config=ChatConfig(max_attachment_bytes=self.settings.MAX_UPLOAD_BYTES),
            touch_uploads=self.uploads.touch, clock=self.clock,
        )

    @_lazy
    def billing(self) -> BillingService:
        """Billing (common/billing/) with its secrets and settings read on use."""
        from common.billing import STRIPE_API_BASE, BillingConfig, BillingService
        from common.secrets import STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET

        s = self.settings

        def packages() -> list[dict[str, Any]] | None:
            """The admin's package list (settings document `packages`), or None for the defaults."""
            items = self.runtime_overrides("packages", allowed={"items"}).get("items")
            return list(items) if isinstance(items, list) else None

        def sandbox_key() -> str:
            # Derived, so the sandbox needs no secret of its own and never reuses the JWT key as is.
            """The sandbox links' signing key, derived from the JWT key."""
            return hmac.new(self.jwt_key().encode(), b"sora-sandbox-checkout-v1", hashlib.sha256).hexdigest()

        from common.billing.order_store import MongoOrderStore

        return BillingService(
            orders=MongoOrderStore(self.db), accounting=self.accounting, stripe_key=lambda: self.secrets.get(STRIPE_SECRET_KEY),
            webhook_secret=lambda: self.secrets.get(STRIPE_WEBHOOK_SECRET), packages=packages,
            sandbox_key=sandbox_key, clock=self.clock,
            config=BillingConfig(
                production=s.ENV == "production", public_base_url=s.PUBLIC_BASE_URL.rstrip("/"),
                stripe_api_base=(s.STRIPE_API_BASE or STRIPE_API_BASE).rstrip("/"),
            ),
        )

    @_lazy
    def admin(self) -> AdminService:
        """The admin panel's service."""
        from common.admin import AdminService

        return AdminService(
            db=self.db, accounting=self.accounting, accounts=lambda: self.accounts, tasks=self.tasks,
            generation=lambda: self.generation, billing=lambda: self.billing, secrets=self.secrets,
            provider_options=self.provider_options, provider_defaults=self.provider_defaults,
            vertex_options=self.vertex_options, production=self.settings.ENV == "production", clock=self.clock,
        )

    def cors_origins(self) -> list[str]:
        """CORS_ORIGINS plus the origins the admin panel added (settings document `cors`)."""
        extra = self.runtime_overrides("cors", allowed={"origins"}).get("origins") or []
        return [*self.settings.cors_origins, *[str(o).rstrip("/") for o in extra]]

    def warm(self, *components: str) -> None:
        """Build the named lazy components now (instance start-up), e.g. `warm("auth", "generation")`."""
        for name in components:
            getattr(self, name)

    def close(self) -> None:
        """Stop the queue and close the database."""
        for name in ("queue", "db"):
            component = self.__dict__.get(name)
            if component is not None:
                component.close()


_current: Services | None = None
_current_lock = threading.Lock()


def services() -> Services:
    """The process's Services (built from the environment on first use)."""
    global _current
    if _current is None:
        with _current_lock:
            if _current is None:
                _current = Services(get_settings())
    return _current


def use(svc: Services | None) -> None:
    """Install the Services every function uses (tests, the local stack)."""
    global _current
    with _current_lock:
        _current = svc
