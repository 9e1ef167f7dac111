"""Shared types: request bodies, API answers and stored documents.

The OpenAPI document (`openapi.json`) and the frontend's TypeScript types
(`frontend/src/api/generated.ts`) are generated from these by `make openapi`;
a test fails when either is stale.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationInfo, field_validator, model_validator

# ---- enums ------------------------------------------------------------------


class Role(str, enum.Enum):
    """A user's role: `user`, or `admin` (may use /api/admin/*)."""
    USER = "user"
    ADMIN = "admin"


class TaskType(str, enum.Enum):
    """What a task makes: `image` or `video`."""
    IMAGE = "image"
    VIDEO = "video"


class TaskStatus(str, enum.Enum):
    """Task lifecycle: PENDING (queued) -> GENERATING (a worker step runs) -> COMPLETED or FAILED (charge refunded)."""
    PENDING = "PENDING"
    GENERATING = "GENERATING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"

    @property
    def terminal(self) -> bool:
        """True for COMPLETED and FAILED: the task will not change any more (but for an admin retry of a FAILED one)."""
        return self in (TaskStatus.COMPLETED, TaskStatus.FAILED)


ImageAspect = Literal["1:1", "16:9", "9:16", "4:3", "3:4"]
VideoAspect = Literal["16:9", "9:16"]
VideoDuration = Literal[4, 8, 12]
TaskStage = Literal["queued", "submitted", "rendering", "storing"]


class Out(BaseModel):
    """Answers: every field is always present in the JSON (so generated types mark them required)."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class Strict(BaseModel):
    """Request bodies: unknown fields are refused so typos do not pass silently.

    Text everywhere in a request is NFC-normalised and may not hold NUL or other control
    characters (tab and newlines aside); an `email` may not mix alphabets within a part
    (a Cyrillic a, U+0430, in a Latin address is refused). Lengths are counted in Unicode code points,
    as JSON Schema's maxLength counts them and as the frontend's generated `textLength` does.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _clean_text(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str):
            return clean_text(value, email=info.field_name == "email")
        if isinstance(value, list):
            return [clean_text(v) if isinstance(v, str) else v for v in value]
        return value


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str, *, email: bool = False) -> str:
    """NFC form of `value`; ValueError for control characters (NUL included) or a mixed-script email."""
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters such as NUL")
    value = unicodedata.normalize("NFC", value)
    if email:
        local, _, domain = value.rpartition("@")
        for part in [local, *domain.split(".")]:
            if len(_scripts(part)) > 1:
                raise ValueError("mixes alphabets (for example Latin and Cyrillic letters), which is how lookalike addresses are made")
    return value


def _scripts(text: str) -> set[str]:
    """The scripts of the letters in `text`, from their Unicode names (LATIN, CYRILLIC, GREEK, CJK...)."""
    found = set()
    for ch in text:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        found.add(name.split(" ")[0] if name else "UNKNOWN")
    return found


# ---- errors -----------------------------------------------------------------


class ErrorDetail(Out):
    """The error of an error answer (API.md): stable `code`, human `message`, `details` (e.g. {field})."""
    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorBody(Out):
    """Every error answer's body: {error: {code, message, details}} (API.md)."""
    error: ErrorDetail


# ---- auth -------------------------------------------------------------------


class RegisterRequest(Strict):
    """Body of POST /api/auth/register: email, password of 8..256 characters, optional display name (at most 80)."""
    email: EmailStr
    password: str = Field(min_length=8, max_length=256)
    name: str | None = Field(None, max_length=80)


class LoginRequest(Strict):
    """Body of POST /api/auth/login."""
    email: EmailStr
    password: str = Field(min_length=1, max_length=256)


class GoogleLoginRequest(Strict):
    """Body of POST /api/auth/google: a Google ID token (a JWT from Google Identity Services)."""
    id_token: str = Field(min_length=10, max_length=8192)


class ChangePasswordRequest(Strict):
    """Body of POST /api/auth/password: the current password and a new one of 8..256 characters."""
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=8, max_length=256)


class PasswordResetRequest(Strict):
    """Body of POST /api/auth/password/reset: the account's email."""
    email: EmailStr


class PasswordResetConfirm(Strict):
    """Body of POST /api/auth/password/reset/confirm: the mailed token and a new password of 8..256 characters."""
    token: str = Field(min_length=16, max_length=200)
    new_password: str = Field(min_length=8, max_length=256)


class CreateApiTokenRequest(Strict):
    """Body of POST /api/auth/tokens: a name for the developer API token (1..60 characters)."""
    name: str = Field(min_length=1, max_length=60)


class ApiTokenCreated(Out):
    """The token itself is in this answer only; the server keeps a hash."""

    id: str
    name: str
    token: str = Field(description="`sora_…`: shown once.")
    created_at: datetime


class ApiTokenInfo(Out):
    """A developer API token as listed: never the token, only its last 4 characters."""
    id: str
    name: str
    last4: str
    created_at: datetime
    last_used_at: datetime | None = None


class ApiTokenList(Out):
    """The caller's active developer API tokens."""
    items: list[ApiTokenInfo]


class UsageEntry(Out):
    """One ledger entry of the caller's credits: when, what kind, the signed amount, and the task or order it concerns."""
    at: datetime
    kind: Literal["charge", "refund", "purchase", "adjustment", "other"]
    amount: int = Field(description="Credits: negative for a charge, positive for a refund, purchase or grant.")
    reason: str
    task_id: str | None = None
    order_id: str | None = None


class UsagePage(Out):
    """One page of the credit ledger, newest first; `next_cursor` is null on the last page."""
    items: list[UsageEntry]
    next_cursor: str | None = None


class QuotaState(Out):
    """Today's free units of one kind: `limit` and `used` (units), `resets_at` the next midnight in the quota timezone,
    `cost` the credits one more use costs once they are spent.
    """
    limit: int
    used: int
    resets_at: datetime
    # Credits one more use costs once today's free units are used up (the price `charge_for_task` applies).
    cost: int = 0


class Quota(Out):
    """Today's quota per kind."""
    video: QuotaState
    image: QuotaState
    chat: QuotaState


class User(Out):
    """A user as the API shows it: identity, role, credit balance, disabled flag, and today's quota."""
    id: str
    email: str
    name: str
    role: Role
    credits: int
    disabled: bool
    created_at: datetime
    quota: Quota


class AuthResponse(Out):
    """A signed-in session: `token` (an HS256 JWT, sent as `Authorization: Bearer`) and the user."""
    token: str
    user: User


# ---- generation -------------------------------------------------------------

MAX_PROMPT = 2000
MAX_MEDIA_URL = 2048


MAX_SEED = 2**32 - 1
MAX_NEGATIVE_PROMPT = 1000
TASK_ID_LENGTH = 64


class CreateImageRequest(Strict):
    """Body of POST /api/ai/image: prompt (1..2000 characters), aspect ratio, up to 3 reference images (proxy URLs of
    the caller's uploads), `count` variations, optional seed and negative prompt.
    """
    prompt: str = Field(min_length=1, max_length=MAX_PROMPT)
    aspect_ratio: ImageAspect = "1:1"
    reference_urls: list[str] = Field(default_factory=list, max_length=3)
    count: int = Field(1, ge=1, le=4, strict=True, description="Variations: one task and one charge per output.")
    seed: int | None = Field(None, ge=0, le=MAX_SEED, strict=True, description="Same seed, same settings: a similar result (variation i uses seed + i).")
    negative_prompt: str | None = Field(None, max_length=MAX_NEGATIVE_PROMPT, description="What to keep out of the result.")

    @field_validator("reference_urls")
    @classmethod
    def _bounded(cls, urls: list[str]) -> list[str]:
        if any(len(u) > MAX_MEDIA_URL for u in urls):
            raise ValueError("a reference URL is too long")
        return urls


class CreateVideoRequest(Strict):
    """Body of POST /api/ai/video: prompt, optional first (`image_url`) and last frame, length in seconds, aspect ratio,
    `count` variations, seed, negative prompt, or `remix_of`/`extend_of` a finished video of the caller's (not with
    the frames, not both).
    """
    prompt: str = Field(min_length=1, max_length=MAX_PROMPT)
    image_url: str | None = Field(None, max_length=MAX_MEDIA_URL)
    last_frame_url: str | None = Field(None, max_length=MAX_MEDIA_URL, description="The last frame (with image_url as the first).")
    duration_s: VideoDuration = 4
    aspect_ratio: VideoAspect = "16:9"
    count: int = Field(1, ge=1, le=4, strict=True, description="Variations: one task and one charge per output.")
    seed: int | None = Field(None, ge=0, le=MAX_SEED, strict=True)
    negative_prompt: str | None = Field(None, max_length=MAX_NEGATIVE_PROMPT)
    remix_of: str | None = Field(None, min_length=1, max_length=TASK_ID_LENGTH, description="A finished video of the caller's to remake with this prompt.")
    extend_of: str | None = Field(None, min_length=1, max_length=TASK_ID_LENGTH, description="A finished video of the caller's to continue by duration_s seconds.")

    @model_validator(mode="after")
    def _one_source(self) -> CreateVideoRequest:
        if self.remix_of and self.extend_of:
            raise ValueError("send remix_of or extend_of, not both")
        if (self.remix_of or self.extend_of) and (self.image_url or self.last_frame_url):
            raise ValueError("remix_of and extend_of start from the source video: leave out image_url and last_frame_url")
        if self.last_frame_url and not self.image_url:
            raise ValueError("last_frame_url needs image_url (the first frame)")
        return self


class TaskGroup(Out):
    """The answer to a request with `count` > 1: the variations, in order."""

    items: list[Task]


class EnhancePromptRequest(Strict):
    """Body of POST /api/ai/prompt/enhance: the prompt to rewrite and what it is for."""
    prompt: str = Field(min_length=1, max_length=MAX_PROMPT)
    kind: Literal["image", "video"]


class EnhancePromptResponse(Out):
    """The rewritten prompt."""
    prompt: str


class ShareLink(Out):
    """The answer to sharing a task."""
    url: str = Field(description="The public page, `/s/<token>` (relative to the site's origin).")


class PublicShare(Out):
    """A shared, finished task as anyone may see it (no owner, no ids, media through signed proxy links)."""

    prompt: str
    type: TaskType
    result: TaskResult
    created_at: datetime


class TaskResult(Out):
    """A finished task's media: proxy `url` (signed), optional thumbnail, MIME type, size in bytes, pixel size and
    (video) length in seconds.
    """
    url: str
    thumbnail_url: str | None = None
    mime_type: str
    bytes: int
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None


class TaskError(Out):
    """Why a task failed: a stable `code` and a message for the user."""
    code: str
    message: str


class TaskCost(Out):
    """What a task was charged: `credits`, or a free quota unit (`from_quota`)."""
    credits: int = 0
    from_quota: bool = False


class Task(Out):
    """An image or video generation as its owner sees it: status and progress (0..100), request, result or error,
    charge, timestamps, and while it runs its stage and estimated seconds left.
    """
    id: str
    type: TaskType
    status: TaskStatus
    progress: int = Field(ge=0, le=100)
    prompt: str
    params: dict[str, Any]
    provider: str
    result: TaskResult | None = None
    error: TaskError | None = None
    cost: TaskCost
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    completed_at: datetime | None = None
    refund_on_cancel: bool | None = Field(None, description=(
        "While the task runs: whether canceling it now refunds its charge (true until the job reaches a "
        "provider, or when the provider's API can stop it); null once it has finished."))
    shared: bool = False
    # While the task runs: where it is, and the seconds it likely still needs (API.md).
    stage: TaskStage | None = None
    eta_s: int | None = Field(default=None, ge=0)


#: Most ids one `GET /api/ai/tasks?ids=` poll may name.
MAX_POLL_IDS = 100


class TaskListQuery(BaseModel):
    """Query of `GET /api/ai/tasks`: filters, keyset page, or a poll of named tasks (`ids`)."""

    model_config = ConfigDict(extra="ignore")
    type: TaskType | None = None
    status: TaskStatus | None = None
    ids: str | None = Field(None, max_length=MAX_POLL_IDS * 65, description=(
        f"Comma-separated task ids (at most {MAX_POLL_IDS}): answer only those of the caller's tasks, newest "
        "first; unknown or others' ids are left out. For polling the running tasks instead of refetching pages."))
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(None, max_length=200)

    def id_list(self) -> list[str] | None:
        """The distinct ids of `ids`, or None when absent; InvalidRequest (400) if empty, too many or too long."""
        if self.ids is None:
            return None
        from common.errors import InvalidRequest

        ids = list(dict.fromkeys(part.strip() for part in self.ids.split(",") if part.strip()))
        if not ids or len(ids) > MAX_POLL_IDS or any(len(i) > 64 for i in ids):
            raise InvalidRequest(f"ids must name 1 to {MAX_POLL_IDS} task ids, comma-separated.", details={"field": "ids"})
        return ids


class TaskPage(Out):
    """One page of tasks, newest first; `next_cursor` is null on the last page."""
    items: list[Task]
    next_cursor: str | None = None


class UploadResult(Out):
    """A stored upload: its proxy `url` (use it as a reference or frame), MIME type, size in bytes, pixel size."""
    url: str
    mime_type: str
    bytes: int
    width: int
    height: int


class RunTaskRequest(Strict):
    """Body of a worker delivery (Cloud Tasks payload)."""

    task_id: str = Field(min_length=1, max_length=64)
    step: int = Field(0, ge=0, le=100_000)


class Health(Out):
    """GET /api/health: `ok`, or `degraded` (503) with the failing dependency named in `checks`."""
    status: Literal["ok", "degraded"]
    version: str
    checks: dict[str, str]


# Everything exported into openapi.json / generated.ts.
CORE_SCHEMA_MODELS: list[type[BaseModel]] = [
    ErrorBody,
    TaskListQuery,
    RegisterRequest,
    LoginRequest,
    GoogleLoginRequest,
    ChangePasswordRequest,
    PasswordResetRequest,
    PasswordResetConfirm,
    CreateApiTokenRequest,
    ApiTokenCreated,
    ApiTokenInfo,
    ApiTokenList,
    UsageEntry,
    UsagePage,
    QuotaState,
    Quota,
    User,
    AuthResponse,
    CreateImageRequest,
    CreateVideoRequest,
    TaskGroup,
    EnhancePromptRequest,
    EnhancePromptResponse,
    ShareLink,
    PublicShare,
    TaskResult,
    TaskError,
    TaskCost,
    Task,
    TaskPage,
    UploadResult,
    Health,
]
