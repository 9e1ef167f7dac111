"""Gemini through google-genai: image generation (`GeminiImageProvider`) and chat (`GeminiChat`).

Image generation is synchronous: one `generate_content` call answers with the
image. `submit` therefore returns a finished job and keeps the bytes in a
small in-process cache that `fetch` reads. If the process restarted between
the two (the cache is gone), `fetch` raises `ProviderUnavailable` so the
worker submits again: an image is never generated twice without the worker
knowing, and never regenerated behind its back.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import ssl
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from PIL import Image as PILImage

from common.providers._http_errors import map_google_error
from common.providers.base import (
    GenerationRequest,
    InvalidProviderRequest,
    JobStatus,
    MediaResult,
    ProviderError,
    ProviderNotConfigured,
    ProviderUnavailable,
    ReferenceImage,
    SafetyRefusal,
)
from common.providers.catalogue import DEFAULT_CHAT_MODEL, DEFAULT_IMAGE_MODEL

log = logging.getLogger(__name__)

GEMINI_API_VERSION = "v1beta"
IMAGE_ASPECT_RATIOS = frozenset({"1:1", "2:3", "3:2", "3:4", "4:3", "9:16", "16:9", "21:9"})

# Finish reasons that mean "refused on content grounds" (recitation is a
# copyright stop, not a safety one: it surfaces as "answered without an image").
SAFETY_FINISH_REASONS = frozenset(
    {"SAFETY", "IMAGE_SAFETY", "PROHIBITED_CONTENT", "IMAGE_PROHIBITED_CONTENT", "BLOCKLIST", "SPII"}
)

ApiKeySource = Callable[[], "str | None"]


@functools.cache
def shared_tls_context() -> ssl.SSLContext:
    """One TLS context for every google-genai client of the process, built as the SDK builds its own
    (google-genai `_api_client._ensure_httpx_ssl_ctx`: SSL_CERT_FILE/SSL_CERT_DIR when set, else httpx2's default
    context, else certifi's bundle). The SDK otherwise loads the CA bundle twice per client (~0.15 s each)."""
    cafile, capath = os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
    if cafile or capath:
        return ssl.create_default_context(cafile=cafile, capath=capath)
    try:
        import httpx2
    except ImportError:  # pragma: no cover - depends on the installed SDK
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    return httpx2.create_ssl_context()


def _tls_args() -> dict[str, Any]:
    ctx = shared_tls_context()
    # `verify` for the httpx clients; `ssl` is where the SDK looks for its websocket (aiohttp) context.
    return {"client_args": {"verify": ctx}, "async_client_args": {"verify": ctx, "ssl": ctx}}


class GenaiClients:
    """Builds google-genai clients per API key, reusing the last one while the key is unchanged.

    The key is read from `api_key` on every call: an admin may rotate it in
    Secret Manager at any time, and the next call must use the new one.

    `vertex` (`{project, location, credentials}`) selects Vertex AI mode
    instead: `genai.Client(vertexai=True, project=, location=)`, authenticated
    by `credentials` or, when None, Application Default Credentials (the
    service account on Cloud Run); no API key is read.
    """

    def __init__(self, *, api_key: ApiKeySource, base_url: str | None, timeout_s: float, provider: str,
                 vertex: dict[str, Any] | None = None) -> None:
        self.vertex = vertex
        self._api_key = api_key
        self._base_url = base_url
        self._timeout_ms = max(1, round(timeout_s * 1000))
        self._provider = provider
        self._lock = threading.Lock()
        self._cached: tuple[str, Any] | None = None

    def get(self) -> Any:
        """The client for the current key; `ProviderNotConfigured` when there is none."""
        if self.vertex is not None:
            with self._lock:
                if self._cached is None:
                    self._cached = ("vertex", self._build_vertex(self.vertex))
                return self._cached[1]
        key = self._api_key()
        if not key:
            raise ProviderNotConfigured(detail=f"{self._provider}: no API key")
        with self._lock:
            if self._cached is not None and self._cached[0] == key:
                return self._cached[1]
            client = self._build(key)
            # The previous client is left to the garbage collector: another
            # thread may still be reading a response through it.
            self._cached = (key, client)
            return client

    def _build(self, key: str) -> Any:
        from google import genai
        from google.genai import types

        http_options = types.HttpOptions(
            base_url=self._base_url,
            api_version=GEMINI_API_VERSION,
            timeout=self._timeout_ms,
            # One attempt: Cloud Tasks owns retries, with backoff and a deadline.
            retry_options=types.HttpRetryOptions(attempts=1),
            **_tls_args(),
        )
        return genai.Client(vertexai=False, api_key=key, http_options=http_options)

    def _build_vertex(self, vertex: dict[str, Any]) -> Any:
        from google import genai
        from google.genai import types

        if not vertex.get("project"):
            raise ProviderNotConfigured(detail=f"{self._provider}: Vertex AI mode without a project")
        http_options = types.HttpOptions(base_url=self._base_url, timeout=self._timeout_ms,
                                         retry_options=types.HttpRetryOptions(attempts=1), **_tls_args())
        return genai.Client(vertexai=True, project=vertex["project"], location=vertex.get("location") or "us-central1",
                            credentials=vertex.get("credentials"), http_options=http_options)


class ResultCache:
    """A small thread-safe LRU of finished media, keyed by job id."""

    def __init__(self, *, max_entries: int = 16, max_bytes: int = 256 * 1024 * 1024) -> None:
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._entries: OrderedDict[str, MediaResult] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def put(self, job_id: str, result: MediaResult) -> None:
        """Keep `result` for `job_id` (most recently used), evicting the oldest entries beyond `max_entries` or `max_bytes`."""
        with self._lock:
            old = self._entries.pop(job_id, None)
            if old is not None:
                self._bytes -= len(old.data)
            self._entries[job_id] = result
            self._bytes += len(result.data)
            while len(self._entries) > self._max_entries or (self._bytes > self._max_bytes and len(self._entries) > 1):
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= len(evicted.data)

    def get(self, job_id: str) -> MediaResult | None:
        """The cached result of `job_id` (marked most recently used), or None when evicted or never stored."""
        with self._lock:
            result = self._entries.get(job_id)
            if result is not None:
                self._entries.move_to_end(job_id)
            return result

    def __contains__(self, job_id: object) -> bool:
        with self._lock:
            return job_id in self._entries


def _parts(text: str, images: Sequence[ReferenceImage]) -> list[Any]:
    from google.genai import types

    parts = [types.Part.from_text(text=text)] if text else []
    parts.extend(types.Part.from_bytes(data=image.data, mime_type=image.mime_type) for image in images)
    return parts


def _enum_name(value: Any) -> str:
    return str(getattr(value, "value", value) or "")


def raise_if_blocked(response: Any) -> None:
    """Raise `SafetyRefusal` when the prompt or the answer was blocked on safety grounds."""
    feedback = getattr(response, "prompt_feedback", None)
    block_reason = _enum_name(getattr(feedback, "block_reason", None))
    if block_reason and block_reason != "BLOCKED_REASON_UNSPECIFIED":
        raise SafetyRefusal(detail=f"prompt blocked: {block_reason}")
    for candidate in getattr(response, "candidates", None) or ():
        finish = _enum_name(getattr(candidate, "finish_reason", None))
        if finish in SAFETY_FINISH_REASONS:
            raise SafetyRefusal(detail=f"answer stopped: {finish}")


def _image_result(response: Any) -> MediaResult:
    raise_if_blocked(response)
    for candidate in response.candidates or ():
        for part in (candidate.content.parts if candidate.content else None) or ():
            blob = part.inline_data
            if blob is not None and blob.data and (blob.mime_type or "").startswith("image/"):
                return _read_image(blob.data, blob.mime_type)
    finish = ", ".join(_enum_name(c.finish_reason) for c in response.candidates or ()) or "no candidates"
    raise InvalidProviderRequest(
        "The model answered without an image. Try describing the picture you want more concretely.",
        detail=f"no image part (finish: {finish})",
    )


def _read_image(data: bytes, mime_type: str | None) -> MediaResult:
    try:
        with PILImage.open(io.BytesIO(data)) as image:
            width, height = image.size
            pil_mime = PILImage.MIME.get(image.format or "")
    except (OSError, ValueError) as exc:
        raise ProviderError(detail=f"unreadable image from provider: {exc}") from exc
    return MediaResult(data=data, mime_type=pil_mime or mime_type or "image/png", width=width, height=height)


class GeminiImageProvider:
    """Images from Gemini image models (`generate_content` with an IMAGE response modality)."""

    name = "gemini"

    def __init__(
        self,
        *,
        api_key: ApiKeySource,
        base_url: str | None = None,
        model: str = DEFAULT_IMAGE_MODEL,
        timeout_s: float = 60.0,
        cache_entries: int = 16,
        vertex: dict[str, Any] | None = None,
    ) -> None:
        self._clients = GenaiClients(api_key=api_key, base_url=base_url, timeout_s=timeout_s, provider=self.name,
                                     vertex=vertex)
        self._model = model
        self._results = ResultCache(max_entries=cache_entries)

    def submit(self, request: GenerationRequest) -> JobStatus:
        """Generate the image synchronously with `models.generate_content` (response_modalities IMAGE; google-genai SDK,
        Gemini API image generation docs) and cache it under a job id; the answer is already done.
        Raises InvalidProviderRequest for an aspect ratio Gemini does not offer; SDK errors are mapped by map_google_error.
        """
        from google.genai import types

        if request.aspect_ratio not in IMAGE_ASPECT_RATIOS:
            raise InvalidProviderRequest(
                f"Gemini cannot make images with aspect ratio {request.aspect_ratio}.",
                detail=f"aspect_ratio={request.aspect_ratio!r}",
            )
        client = self._clients.get()
        config = types.GenerateContentConfig(
            response_modalities=["IMAGE"],
            image_config=types.ImageConfig(aspect_ratio=request.aspect_ratio),
            seed=request.seed,
        )
        contents = [types.Content(role="user", parts=_parts(request.prompt, request.reference_images))]
        try:
            response = client.models.generate_content(
                model=request.model or self._model, contents=contents, config=config
            )
        except Exception as exc:
            raise map_google_error(exc, model=request.model or self._model, setting="image_model") from exc
        result = _image_result(response)
        job_id = f"gemini-{request.task_id or uuid.uuid4().hex}"
        self._results.put(job_id, result)
        log.info("gemini image generated", extra={"task_id": request.task_id, "job_id": job_id})
        return JobStatus(job_id=job_id, done=True, progress=100)

    def poll(self, job_id: str, *, state: dict[str, object]) -> JobStatus:
        """Done when the result is still cached in this process; otherwise done with a retryable ProviderUnavailable error
        (the image lived only in the memory of the instance that made it; the retry submits again).
        """
        if job_id in self._results:
            return JobStatus(job_id=job_id, done=True, progress=100)
        return JobStatus(job_id=job_id, done=True, progress=100, error=_result_lost(job_id))

    def fetch(self, job_id: str, *, state: dict[str, object]) -> MediaResult:
        # Not popped: `fetch` must stay idempotent (an upload that fails is
        # retried in the same process); the LRU bounds the memory instead.
        """The cached image of `job_id` (not removed: fetch stays idempotent). Raises ProviderUnavailable when it is gone."""
        result = self._results.get(job_id)
        if result is None:
            raise _result_lost(job_id)
        return result


def _result_lost(job_id: str) -> ProviderUnavailable:
    return ProviderUnavailable(
        "The generated image was lost before it was saved; it will be generated again.",
        detail=f"{job_id}: not in this process's result cache (restart or eviction); retry submits again",
    )


class GeminiChat:
    """Streaming multimodal chat replies from a Gemini text model."""

    name = "gemini"

    def __init__(
        self,
        *,
        api_key: ApiKeySource,
        base_url: str | None = None,
        model: str = DEFAULT_CHAT_MODEL,
        timeout_s: float = 60.0,
        vertex: dict[str, Any] | None = None,
    ) -> None:
        self._clients = GenaiClients(api_key=api_key, base_url=base_url, timeout_s=timeout_s, provider=self.name,
                                     vertex=vertex)
        self._model = model

    def stream_text(
        self,
        history: Sequence[tuple[str, str]],
        message: str,
        attachments: Sequence[ReferenceImage] = (),
    ) -> Iterator[str]:
        """Text chunks of the model's reply to `message`, given earlier (role, text) turns.

        Roles are "user" and "assistant" (or Gemini's "model"). A missing key
        raises at once; provider errors raise while iterating, mapped to
        `ProviderError`s, so a caller that reads the first chunk before
        answering can still turn them into a clean error response.
        """
        from google.genai import types

        client = self._clients.get()
        contents = [
            types.Content(
                role="model" if role in ("assistant", "model") else "user", parts=[types.Part.from_text(text=text)]
            )
            for role, text in history
        ]
        chat = client.chats.create(model=self._model, history=contents)
        return self._stream(chat, _parts(message, attachments), model=self._model)

    @staticmethod
    def _stream(chat: Any, parts: list[Any], *, model: str) -> Iterator[str]:
        said = False
        try:
            for chunk in chat.send_message_stream(parts):
                raise_if_blocked(chunk)
                for candidate in chunk.candidates or ():
                    for part in (candidate.content.parts if candidate.content else None) or ():
                        if part.text and not part.thought:
                            said = True
                            yield part.text
        except ProviderError:
            raise
        except Exception as exc:
            raise map_google_error(exc, model=model, setting="chat_model") from exc
        if not said:  # a stream that ended without a word (no events, or only thoughts)
            raise ProviderError("The AI provider sent an empty answer.", detail=f"{model}: stream ended without text")
