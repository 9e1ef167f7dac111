"""The one interface every AI backend implements (ports and adapters).

A generation is a *job* at the provider: the worker submits it, stores the
returned job id on the task, then polls it in later, short worker steps until
it is done, and finally fetches the media bytes. A synchronous backend (an
image model that answers in one call) simply returns a finished job from
`submit`; the worker then fetches at once in the same step.

Providers raise `ProviderError` subclasses only; the worker maps them to
task failures (permanent) or retries (transient). Messages of these errors are
shown to users, so they never carry provider request ids or raw payloads.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol


class MediaKind(str, enum.Enum):
    """What a generation makes: "image" or "video" (the task `type` on the wire)."""
    IMAGE = "image"
    VIDEO = "video"


@dataclass(frozen=True)
class ReferenceImage:
    """An input image already in our storage, handed to the provider as bytes."""

    data: bytes
    mime_type: str


@dataclass(frozen=True)
class GenerationRequest:
    """Everything an adapter needs for one output, provider-independent: prompt, aspect ratio ("W:H"), video length in
    seconds, input images as bytes, and for remix/extend the source video and its provider-side reference.
    """
    kind: MediaKind
    prompt: str
    aspect_ratio: str  # "16:9", "9:16", "1:1", "4:3", "3:4"
    duration_s: int | None = None  # video only: 4, 8 or 12
    start_image: ReferenceImage | None = None  # image-to-video
    reference_images: tuple[ReferenceImage, ...] = ()  # image-to-image
    model: str | None = None  # None: the adapter's configured default
    task_id: str = ""  # for logs and deterministic names; never sent to providers
    seed: int | None = None  # adapters that take a seed pass it on (CAPABILITIES)
    negative_prompt: str | None = None
    end_image: ReferenceImage | None = None  # the last frame (first + last frame to video)
    mode: str = "generate"  # "generate" | "remix" | "extend"
    source_video: ReferenceImage | None = None  # remix/extend: the finished source video (bytes, video/mp4)
    source_ref: dict[str, str] = field(default_factory=dict)  # remix/extend: the source's job id / video uri at its provider


# What each provider can do beyond a plain prompt (the API answers 400 `not_supported` for the rest).
CAPABILITIES: dict[str, frozenset[str]] = {
    "sim": frozenset({"seed", "negative_prompt", "last_frame", "remix", "extend"}),
    "veo": frozenset({"seed", "negative_prompt", "last_frame", "extend"}),  # Veo 3.1: lastFrame, video extension
    "sora": frozenset({"remix"}),  # OpenAI-style POST /v1/videos/{id}/remix
    "gemini": frozenset({"seed"}),
}


def supporting(feature: str) -> list[str]:
    """Providers that can do `feature`, for error messages."""
    return sorted(name for name, caps in CAPABILITIES.items() if feature in caps)


@dataclass(frozen=True)
class JobStatus:
    """What a provider says about a job. `done` with `error is None` means fetchable."""

    job_id: str
    done: bool
    progress: int = 0  # 0..100
    error: ProviderError | None = None
    # Opaque adapter state persisted on the task between steps (e.g. a result
    # handle that must be downloaded before it expires). JSON-serialisable.
    state: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class MediaResult:
    """A finished output: the bytes, their MIME type, and when known the pixel size and (video) length in seconds."""
    data: bytes
    mime_type: str  # "image/png", "video/mp4", ...
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None


class Provider(Protocol):
    """One AI backend. Implementations must be safe to call from several threads."""

    name: str

    def submit(self, request: GenerationRequest) -> JobStatus:
        """Start a job. May return an already finished job (synchronous backends)."""

    def poll(self, job_id: str, *, state: dict[str, object]) -> JobStatus:
        """Ask how the job is going. Must be cheap and idempotent."""

    def fetch(self, job_id: str, *, state: dict[str, object]) -> MediaResult:
        """Download the finished media. Idempotent: may be called again after a crash."""

    # Optional: `cancel(job_id, *, state) -> bool` stops a job at the provider (True when it confirms).
    # Adapters whose API cannot stop a job (Veo through the Gemini API) do not define it; then a
    # canceled task keeps its charge, since the provider renders and bills it anyway.


# ---- errors -----------------------------------------------------------------


class ChatProvider(Protocol):
    """A model that streams a text reply (`GeminiChat`, `SimChat`)."""

    name: str

    def stream_text(
        self, history: Sequence[tuple[str, str]], message: str, attachments: Sequence[ReferenceImage] = ()
    ) -> Iterator[str]:
        """Text chunks of the reply to `message`, given earlier `(role, text)` turns (role "user"/"assistant").

        `ProviderError`s may surface at the call (e.g. a missing key) or while iterating.
        """
        ...


class ProviderError(Exception):
    """Base of provider failures. `retryable` tells the worker to try again later."""

    code: str = "provider_error"
    retryable: bool = False
    user_message: str = "The AI provider could not complete this generation."

    def __init__(self, message: str | None = None, *, detail: str = "") -> None:
        self.message = message or self.user_message
        self.detail = detail  # for logs only, never shown to users
        super().__init__(self.message)


class ProviderUnavailable(ProviderError):
    """5xx, timeouts, connection errors: transient."""

    code, retryable = "provider_unavailable", True
    user_message = "The AI provider is temporarily unavailable."


class ProviderRateLimited(ProviderError):
    """429 / RESOURCE_EXHAUSTED: transient, back off."""

    code, retryable = "provider_rate_limited", True
    user_message = "The AI provider is busy (rate limited). Please try again shortly."


class ProviderAuthError(ProviderError):
    """Bad or revoked API key: permanent until an admin rotates the key."""

    code, retryable = "provider_auth", False
    user_message = "The AI provider rejected our credentials. An administrator has to update the API key."


class SafetyRefusal(ProviderError):
    """The provider refused the prompt or input on safety grounds."""

    code, retryable = "safety_refusal", False
    user_message = "The request was blocked by the provider's safety filters. Please rephrase your prompt or use another image."


class InvalidProviderRequest(ProviderError):
    """The provider rejected the request itself (bad parameters): permanent."""

    code, retryable = "invalid_request", False
    user_message = "The AI provider rejected the request parameters."


class ModelUnavailable(ProviderError):
    """The provider does not serve the configured model (404: retired, misspelled, or not for this key)."""

    code, retryable = "model_unavailable", False

    def __init__(self, model: str, *, setting: str, detail: str = "") -> None:
        super().__init__(
            f"The AI provider does not offer the model '{model}'. An administrator can choose an available one in "
            f"Admin → Settings → Providers ({setting}), or set the {setting.upper()} environment variable.",
            detail=detail,
        )
        self.model = model
        self.setting = setting


class ResultExpired(ProviderError):
    """The job's result expired at the provider before we downloaded it."""

    code, retryable = "result_expired", False
    user_message = "The generated media expired at the provider before it could be saved."


class ProviderNotConfigured(ProviderError):
    """The chosen provider has no API key configured: not retryable; users see 503 `provider_unavailable`."""
    code, retryable = "provider_unavailable", False
    user_message = "This AI provider is not configured. An administrator has to add its API key."
