"""Admin panel types: stats, user changes, all tasks and orders, run-time settings, audit (API.md, Admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator

from common.models.billing import PACKAGE_ID_PATTERN, Order
from common.models.core import Out, Role, Strict, Task, User
from common.providers.catalogue import ChatProviderName, GeminiMode, ImageProviderName, VideoProviderName

# Strict ints: "5", 5.0 and true are refused rather than coerced into an amount.
SmallCount = Annotated[int, Field(strict=True, ge=0, le=10_000)]
MODEL_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$"
MAX_KEY_LENGTH = 4096
MAX_PEM_LENGTH = 20_000  # a C2PA certificate chain of a few certificates


# ---- stats ------------------------------------------------------------------


class DailyStats(Out):
    """One UTC day of the dashboard: tasks created by type, finished by outcome, revenue in cents."""
    day: str = Field(description="UTC date, YYYY-MM-DD.")
    image: int = 0
    video: int = 0
    completed: int = 0
    failed: int = 0
    revenue_cents: int = Field(default=0, description="PAID orders' price_cents that day, all currencies summed.")


class ProviderStats(Out):
    """One provider's finished and failed tasks over the stats window."""
    provider: str
    finished: int
    failed: int
    failure_rate: float = Field(description="failed / finished over the window, 0..1.")


class AdminStats(Out):
    """GET /api/admin/stats: counts of users, tasks and orders, revenue in cents per currency, and 14 days of history."""
    users: int
    disabled_users: int
    tasks_by_status: dict[str, int]
    tasks_by_type: dict[str, int]
    orders_by_status: dict[str, int]
    revenue_cents: dict[str, int] = Field(description="Sum of PAID orders' price_cents by currency (refunds excluded).")
    generations_today: int = Field(description="Tasks created since 00:00 UTC.")
    daily: list[DailyStats] = Field(default_factory=list, description="The last 14 UTC days, oldest first (dashboard charts).")
    providers: list[ProviderStats] = Field(default_factory=list, description="Failure rate by provider over the same 14 days.")


# ---- users ------------------------------------------------------------------


class AdminUserPage(Out):
    """One page of users, newest first; `next_cursor` is null on the last page."""
    items: list[User]
    next_cursor: str | None = None


class AdminUserPatch(Strict):
    """Body of PATCH /api/admin/users/{id}: any of role, disabled, a signed credit adjustment (at most 1,000,000
    either way) and a note for the audit log; at least one change.
    """
    role: Role | None = None
    disabled: bool | None = Field(None, strict=True)
    credits_delta: int | None = Field(None, strict=True, ge=-1_000_000, le=1_000_000)
    note: str | None = Field(None, max_length=500)


# ---- tasks and orders ---------------------------------------------------------


class AdminTask(Task):
    """A task with its owner's id and email (admin view)."""
    user_id: str
    email: str | None = None


class AdminTaskPage(Out):
    """One page of every user's tasks, newest first."""
    items: list[AdminTask]
    next_cursor: str | None = None


class AdminOrder(Order):
    """An order with its buyer's email (admin view)."""
    email: str | None = None


class AdminOrderPage(Out):
    """One page of every order, newest first."""
    items: list[AdminOrder]
    next_cursor: str | None = None


# ---- settings (read shape) ------------------------------------------------------


class KindNumbers(Out):
    """One number per kind (units of quota per day, or credits per output)."""
    video: int
    image: int
    chat: int


class PricingSettings(Out):
    """Daily free quotas and credit costs per kind, and the IANA time zone whose midnight resets the quotas."""
    quotas: KindNumbers
    costs: KindNumbers
    quota_timezone: str = Field("UTC", description="IANA time zone whose midnight resets the daily quotas.")


class PackageSettings(Out):
    """A credit package on sale: id, name, credits granted, price in the currency's minor unit (cents), ISO 4217 currency."""
    id: str
    name: str
    credits: int
    price_cents: int
    currency: str


class ProviderSettings(Out):
    """Which provider and model serve each kind, optional base URLs of OpenAI/Gemini-compatible gateways, and the
    Gemini mode (API key or Vertex AI).
    """
    image_provider: str
    video_provider: str
    chat_provider: str
    image_model: str
    veo_model: str
    sora_model: str
    chat_model: str
    gemini_base_url: str
    openai_base_url: str
    gemini_mode: str = Field("api_key", description="api_key: the Gemini API with a key; vertex: Vertex AI with the service account")
    vertex_project: str = ""
    vertex_location: str = ""


class ApiKeyState(Out):
    """What the panel may know of a key: never its value."""

    set: bool
    last4: str | None = None
    updated_at: datetime | None = None


class ApiKeyStates(Out):
    """Whether each write-only key is set, with its last 4 characters and when it changed."""
    gemini_api_key: ApiKeyState
    openai_api_key: ApiKeyState
    stripe_secret_key: ApiKeyState
    stripe_webhook_secret: ApiKeyState
    c2pa_certificate_chain: ApiKeyState
    c2pa_private_key: ApiKeyState


class WatermarkSettings(Out):
    """The visible watermark burned into new media."""
    enabled: bool = False
    text: str = Field("", description="Burned into every new image and video (bottom right) while enabled.")


class ProvenanceSettings(Out):
    """C2PA provenance (common/provenance.py): whether the worker signs new outputs."""

    c2pa: bool = Field(False, description="Sign every new image and video with a C2PA manifest (AI-generated, provider, "
                       "model) while api_keys.c2pa_certificate_chain and api_keys.c2pa_private_key are set.")


class AdminSettings(Out):
    """GET /api/admin/settings: every run-time setting (keys only as their state)."""
    pricing: PricingSettings
    packages: list[PackageSettings]
    providers: ProviderSettings
    cors_origins: list[str]
    api_keys: ApiKeyStates
    watermark: WatermarkSettings = Field(default_factory=WatermarkSettings)
    provenance: ProvenanceSettings = Field(default_factory=ProvenanceSettings)


# ---- settings (PUT: every part optional) ------------------------------------------


class KindNumbersUpdate(Strict):
    """New numbers per kind (0..10,000, strict integers); absent kinds are unchanged."""
    video: SmallCount | None = None
    image: SmallCount | None = None
    chat: SmallCount | None = None


class PricingUpdate(Strict):
    """A pricing change; absent parts are unchanged."""
    quotas: KindNumbersUpdate | None = None
    costs: KindNumbersUpdate | None = None
    quota_timezone: str | None = Field(None, max_length=64, description="An IANA name such as Asia/Shanghai.")


class PackageInput(Strict):
    """A package as the admin sends it: id, name, 1..1,000,000 credits, price 50..10,000,000 minor units, ISO 4217 currency."""
    id: str = Field(pattern=PACKAGE_ID_PATTERN)
    name: str = Field(min_length=1, max_length=60)
    credits: int = Field(strict=True, ge=1, le=1_000_000)
    price_cents: int = Field(strict=True, ge=50, le=10_000_000)
    currency: str = Field(pattern=r"^[a-zA-Z]{3}$")

    @field_validator("currency")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class ProvidersUpdate(Strict):
    """A provider/model change; absent fields are unchanged, '' base URL means the official endpoint."""
    image_provider: ImageProviderName | None = None
    video_provider: VideoProviderName | None = None
    chat_provider: ChatProviderName | None = None
    image_model: str | None = Field(None, pattern=MODEL_NAME_PATTERN)
    veo_model: str | None = Field(None, pattern=MODEL_NAME_PATTERN)
    sora_model: str | None = Field(None, pattern=MODEL_NAME_PATTERN)
    chat_model: str | None = Field(None, pattern=MODEL_NAME_PATTERN)
    gemini_base_url: str | None = Field(None, max_length=300, description="'' = the provider's official endpoint")
    openai_base_url: str | None = Field(None, max_length=300, description="'' = the provider's official endpoint")
    gemini_mode: GeminiMode | None = None
    # '' = the default (VERTEX_PROJECT or GCP_PROJECT; VERTEX_LOCATION). The panel sends every field back.
    vertex_project: str | None = Field(None, max_length=63, pattern=r"^$|^[a-z][a-z0-9-]{0,61}[a-z0-9]$")
    vertex_location: str | None = Field(None, max_length=40, pattern=r"^$|^(global|[a-z]+-[a-z]+[0-9]+)$")


class ApiKeysUpdate(Strict):
    """Write-only. Absent or '' = leave unchanged; a value = a new secret version. null is refused:
    keys are replaced, never removed here (Secret Manager refuses empty versions)."""

    gemini_api_key: str | None = Field(None, max_length=MAX_KEY_LENGTH)
    openai_api_key: str | None = Field(None, max_length=MAX_KEY_LENGTH)
    stripe_secret_key: str | None = Field(None, max_length=MAX_KEY_LENGTH)
    stripe_webhook_secret: str | None = Field(None, max_length=MAX_KEY_LENGTH)
    c2pa_certificate_chain: str | None = Field(None, max_length=MAX_PEM_LENGTH, description="PEM, end-entity certificate first")
    c2pa_private_key: str | None = Field(None, max_length=MAX_PEM_LENGTH, description="PEM (PKCS#8), unencrypted")


class WatermarkUpdate(Strict):
    """A watermark change: on/off and text (at most 60 characters)."""
    enabled: bool | None = Field(None, strict=True)
    text: str | None = Field(None, max_length=60)


class ProvenanceUpdate(Strict):
    """Turn C2PA signing of new outputs on or off (absent = unchanged)."""

    c2pa: bool | None = Field(None, strict=True)


class AdminSettingsUpdate(Strict):
    """Body of PUT /api/admin/settings: a partial document; absent parts are unchanged, `packages` (at most 20, unique
    ids) replaces the whole list.
    """
    watermark: WatermarkUpdate | None = None
    provenance: ProvenanceUpdate | None = None
    pricing: PricingUpdate | None = None
    packages: list[PackageInput] | None = Field(None, max_length=20)
    providers: ProvidersUpdate | None = None
    cors_origins: list[Annotated[str, Field(max_length=200)]] | None = Field(None, max_length=50)
    api_keys: ApiKeysUpdate | None = None

    @field_validator("packages")
    @classmethod
    def _unique_ids(cls, packages: list[PackageInput] | None) -> list[PackageInput] | None:
        if packages is not None and len({p.id for p in packages}) != len(packages):
            raise ValueError("package ids must be unique")
        return packages


# ---- audit --------------------------------------------------------------------


class AuditEntry(Out):
    """One admin change: who, what action on which target, and the values before and after."""
    id: str
    actor_id: str
    actor_email: str | None = None
    action: str
    target_type: str
    target_id: str | None = None
    before: dict[str, Any] = Field(default_factory=dict)
    after: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime


class AuditPage(Out):
    """One page of the audit log, newest first."""
    items: list[AuditEntry]
    next_cursor: str | None = None


# ---- provider model lists and key checks ---------------------------------------------


class ProviderModel(Out):
    """A model from the provider's own list."""
    id: str = Field(description="The id to put in a *_model setting, e.g. gemini-3-pro-image.")
    display_name: str
    kinds: list[Literal["image", "video", "chat"]] = Field(description="What this platform can use it for.")


class ProviderModelList(Out):
    """GET /api/admin/models: the provider's models."""
    items: list[ProviderModel]


class KeyTestRequest(Strict):
    """Test this value (before saving it); absent or '' tests the saved key."""

    key: str | None = Field(None, max_length=MAX_KEY_LENGTH)


class KeyTestResult(Out):
    """The outcome of a live key check: `ok`, and the vendor's reason when not."""
    ok: bool
    message: str


SCHEMA_MODELS: list[type[BaseModel]] = [
    WatermarkSettings,
    WatermarkUpdate,
    AdminStats,
    AdminUserPage,
    AdminUserPatch,
    AdminTask,
    AdminTaskPage,
    AdminOrder,
    AdminOrderPage,
    KindNumbers,
    PricingSettings,
    PackageSettings,
    ProviderSettings,
    ApiKeyState,
    ApiKeyStates,
    AdminSettings,
    KindNumbersUpdate,
    PricingUpdate,
    PackageInput,
    ProvidersUpdate,
    ApiKeysUpdate,
    AdminSettingsUpdate,
    AuditEntry,
    AuditPage,
    ProviderModel,
    ProviderModelList,
    KeyTestRequest,
    KeyTestResult,
]
