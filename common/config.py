"""Settings, read once from the environment (UPPER_CASE names, see README)."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from common.providers.catalogue import (
    DEFAULT_CHAT_MODEL,
    DEFAULT_IMAGE_MODEL,
    DEFAULT_SORA_MODEL,
    DEFAULT_VEO_MODEL,
    ChatProviderName,
    ImageProviderName,
    VideoProviderName,
)

PLACEHOLDERS = {"", "change-me", "changeme", "secret", "dev", "test", "admin", "password", "placeholder"}
ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Process configuration from environment variables (pydantic-settings; names are the variable names).
    Production refuses to start with unsafe values (see the after-validator).
    """
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=True)

    ENV: Literal["development", "test", "production"] = "development"
    VERSION: str = "0.1.0"
    PORT: int = 8080
    PUBLIC_BASE_URL: str = Field("", description="Origin users reach, for absolute links (e.g. checkout pages).")

    # Database: MongoDB in production; without a URI the local stack runs EMBEDDED_DB (docs/architecture.md).
    MONGODB_URI: str = ""
    MONGODB_DB: str = "sora"
    DATA_DIR: Path = Field(ROOT / ".data", description=(
        "Everything the process writes besides TMPDIR (embedded DB snapshot, sim renders). "
        "Production default: $TMPDIR/sora-data, so the image runs with a read-only root filesystem."))
    EMBEDDED_DB: Literal["secantusdb", "mongomock"] = Field("secantusdb", description=(
        "The local stack's database when MONGODB_URI is empty: `secantusdb` (a MongoDB wire server on "
        "WiredTiger, started as a child process with its data under DATA_DIR/mongo) or `mongomock` "
        "(in-process, snapshotted to DATA_DIR/db.json). See docs/architecture.md."))
    DB_SNAPSHOT: bool = Field(True, description="Embedded mongomock only: persist to DATA_DIR/db.json.")

    # Storage (GCS; the local stack points STORAGE_EMULATOR_HOST at gcp-storage-emulator).
    GCS_BUCKET: str = "media"
    GCP_PROJECT: str = "local"
    STORAGE_EMULATOR_HOST: str = ""
    GCS_ENDPOINT: str = ""  # tests of the production path: a GCS JSON API on 127.0.0.1 (like CLOUD_TASKS_ENDPOINT)

    # Queue: "local" (in-process dispatcher with Cloud Tasks semantics) or "cloudtasks".
    QUEUE_BACKEND: Literal["local", "cloudtasks"] = "local"
    CLOUD_TASKS_QUEUE: str = "generation"
    CLOUD_TASKS_LOCATION: str = "us-central1"
    CLOUD_TASKS_ENDPOINT: str = ""  # tests: a fake REST server
    TASKS_SERVICE_ACCOUNT: str = ""  # OIDC identity Cloud Tasks signs as
    WORKER_URL: str = ""  # default: http://127.0.0.1:$PORT/api/tasks/run
    WORKER_AUDIENCE: str = ""  # OIDC audience the worker accepts (its own URL)
    WORKER_SECRET: str = ""  # local stack: shared header secret; generated when empty

    # Secrets: "db" (local: a collection) or "secretmanager".
    SECRETS_BACKEND: Literal["db", "secretmanager"] = "db"
    SECRET_MANAGER_ENDPOINT: str = ""  # tests: a fake REST server
    # Secret Manager ids are SECRET_ID_PREFIX + the names in common/secrets.py
    # (Terraform sets "<name_prefix>-" so several stacks share a project).
    SECRET_ID_PREFIX: str = ""
    SECRETS_TTL_S: float = 5.0

    # Auth
    JWT_SECRET: str = ""  # empty: the jwt-signing-key secret (generated locally)
    JWT_ISSUER: str = "sora-studio"
    JWT_AUDIENCE: str = "sora-studio-web"
    JWT_TTL_S: int = 7 * 24 * 3600
    MEDIA_SIGNING_KEY: str = ""  # empty: the media-signing-key secret (generated locally)
    GOOGLE_CLIENT_ID: str = ""  # a Google OAuth web client id: shows "Continue with Google" (served in /config.json)
    GOOGLE_CERTS_URL: str = "https://www.googleapis.com/oauth2/v1/certs"  # tests serve their own signing certificates
    # Mail (password reset links). Without SMTP_HOST the mail is written to the log (local stack).
    SMTP_HOST: str = ""
    SMTP_PORT: int = 587
    SMTP_USERNAME: str = ""
    SMTP_PASSWORD: str = ""
    SMTP_FROM: str = "Sora Studio <no-reply@example.com>"
    SMTP_STARTTLS: bool = True  # port 587 submission; set SMTP_TLS for implicit TLS (port 465)
    SMTP_TLS: bool = False
    PASSWORD_RESET_TTL_S: int = 3600
    STRIPE_API_BASE: str = ""  # empty: https://api.stripe.com; tests point at a fake
    ADMIN_EMAIL: str = "admin@example.com"  # .local/.test are refused by email validation
    ADMIN_PASSWORD: str = "sora-admin-2026"  # noqa: S105 - local default; production refuses it
    # Login throttling (common/throttle.py): free attempts per (account, client IP) and per client IP,
    # then each further attempt waits a doubling delay (LOGIN_BASE_DELAY_S .. LOGIN_MAX_DELAY_S);
    # counters forget after LOGIN_WINDOW_S without attempts. Nobody is locked out from another IP.
    # argon2-cffi parameter profile for new password hashes (common.auth.use_password_profile).
    # CHEAPEST exists so test suites that register hundreds of users do not spend minutes in argon2;
    # production refuses it.
    ARGON2_PROFILE: Literal["RFC_9106_LOW_MEMORY", "CHEAPEST"] = "RFC_9106_LOW_MEMORY"
    LOGIN_MAX_FAILURES: int = 5
    LOGIN_IP_MAX_FAILURES: int = 30
    LOGIN_BASE_DELAY_S: int = 30
    LOGIN_MAX_DELAY_S: int = 900
    LOGIN_WINDOW_S: int = 900

    # Request rate limits (common/ratelimit.py, the `limits` library; counters in MongoDB, shared
    # by every instance). Each is a `limits` string such as "10/minute;100/hour".
    RATE_LIMITS_ENABLED: bool = True
    RATE_LIMIT_IP: str = "600/minute"  # every /api/ route except the worker and the media proxy, per client IP
    RATE_LIMIT_LOGIN: str = "30/minute;300/hour"  # POST /api/auth/login and /google, per client IP
    RATE_LIMIT_REGISTER: str = "5/hour;20/day"  # POST /api/auth/register, per client IP
    RATE_LIMIT_GENERATE: str = "30/minute;500/day"  # creating image/video tasks, per user
    RATE_LIMIT_UPLOAD: str = "20/minute;300/day"  # POST /api/ai/uploads, per user
    RATE_LIMIT_CHAT: str = "30/minute"  # chat turns, per user
    RATE_LIMIT_PROXY: str = "3000/minute"  # media proxy (Range requests while seeking), per client IP and instance
    # Client IP: X-Forwarded-For is believed only for hops that are trusted proxies (CIDRs, comma-
    # separated: the Nginx proxy VM; on Cloud Run also its front end). Empty: the socket peer.
    TRUSTED_PROXIES: str = ""

    CORS_ORIGINS: str = Field("", description="Comma-separated origins allowed by CORS.")

    # Generation
    SIM_DURATION_S: float = 6.0
    IMAGE_PROVIDER: ImageProviderName = "sim"
    VIDEO_PROVIDER: VideoProviderName = "sim"
    CHAT_PROVIDER: ChatProviderName = "sim"
    CHAT_MODEL: str = DEFAULT_CHAT_MODEL
    CHAT_SIM_DELAY_S: float | None = None  # seconds per streamed word of the sim assistant; None: 0.02 (0 if SIM_DURATION_S=0)
    IMAGE_MODEL: str = DEFAULT_IMAGE_MODEL
    VEO_MODEL: str = DEFAULT_VEO_MODEL
    SORA_MODEL: str = DEFAULT_SORA_MODEL
    GEMINI_MODE: Literal["api_key", "vertex"] = "api_key"  # vertex: Vertex AI with Application Default Credentials
    VERTEX_PROJECT: str = ""  # Vertex AI project; empty: GCP_PROJECT
    VERTEX_LOCATION: str = "us-central1"  # Vertex AI region (Veo and Gemini image models are served there)
    GEMINI_BASE_URL: str = ""  # empty: Google's endpoint; tests point at a fake
    OPENAI_BASE_URL: str = ""  # an OpenAI-style /v1/videos gateway
    POLL_INTERVAL_S: float = 2.0
    TASK_DEADLINE_S: int = 1800  # a task not finished by then is failed and refunded
    STEP_LEASE_S: int = 300  # a worker step longer than this is presumed dead
    MAX_UPLOAD_BYTES: int = 20 * 1024 * 1024
    MAX_UPLOAD_PIXELS: int = 7680 * 4320  # width * height (8K UHD), checked from the header before decoding
    UPLOAD_ORPHAN_AGE_S: int = 24 * 3600  # an upload no task or chat message uses is deleted after this
    UPLOAD_BUDGET_BYTES: int = 200 * 1024 * 1024  # stored uploads per user

    # Local stack
    SWEEP_INTERVAL_S: float = 30.0
    FRONTEND_DIST: Path = ROOT / "frontend" / "dist"

    @property
    def cors_origins(self) -> list[str]:
        """CORS_ORIGINS as a list of origins (comma-separated, trimmed, trailing slash removed)."""
        return [o.strip().rstrip("/") for o in self.CORS_ORIGINS.split(",") if o.strip()]

    @property
    def trusted_proxies(self) -> list[str]:
        """TRUSTED_PROXIES as a list of address/network strings (comma-separated), parsed by ratelimit.parse_networks."""
        return [p.strip() for p in self.TRUSTED_PROXIES.split(",") if p.strip()]

    @property
    def embedded_db(self) -> bool:
        """True when MONGODB_URI is empty: the in-process embedded database is used."""
        return not self.MONGODB_URI

    @property
    def worker_url(self) -> str:
        """The URL the queue delivers task steps to: WORKER_URL, or this process's /api/tasks/run locally."""
        return self.WORKER_URL or f"http://127.0.0.1:{self.PORT}/api/tasks/run"

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.ENV != "production":
            return self
        if "DATA_DIR" not in self.model_fields_set:  # never under the (read-only, root-owned) app directory
            self.DATA_DIR = Path(tempfile.gettempdir()) / "sora-data"
        problems = []
        if not self.MONGODB_URI:
            problems.append("MONGODB_URI is required (the embedded database is for development only)")
        if self.STORAGE_EMULATOR_HOST:
            problems.append("STORAGE_EMULATOR_HOST must not be set")
        if self.QUEUE_BACKEND != "cloudtasks":
            problems.append("QUEUE_BACKEND must be cloudtasks")
        if self.SECRETS_BACKEND != "secretmanager":
            problems.append("SECRETS_BACKEND must be secretmanager")
        if not self.WORKER_AUDIENCE:
            problems.append("WORKER_AUDIENCE is required (the worker checks the audience of Cloud Tasks' OIDC token)")
        if not self.TASKS_SERVICE_ACCOUNT:
            problems.append("TASKS_SERVICE_ACCOUNT is required (the only caller the worker accepts)")
        for name in ("JWT_SECRET", "MEDIA_SIGNING_KEY", "WORKER_SECRET"):
            value = getattr(self, name)
            if value and (value.lower() in PLACEHOLDERS or len(value) < 32):
                problems.append(f"{name} is a placeholder or shorter than 32 characters")
        if self.ADMIN_PASSWORD in {"sora-admin-2026", *PLACEHOLDERS} or len(self.ADMIN_PASSWORD) < 12:
            problems.append("ADMIN_PASSWORD is the default or too short")
        if self.ARGON2_PROFILE != "RFC_9106_LOW_MEMORY":
            problems.append("ARGON2_PROFILE must be RFC_9106_LOW_MEMORY (CHEAPEST is for tests)")
        if problems:
            raise ValueError("refusing to start in production: " + "; ".join(problems))
        return self


@functools.cache
def get_settings() -> Settings:
    """The process-wide Settings, read from the environment once (cached); raises pydantic ValidationError on bad values."""
    return Settings()
