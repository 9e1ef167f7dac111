"""Video through the OpenAI-style `/v1/videos` API (Sora's format), via the openai SDK.

OpenAI shut its own endpoint on 2026-09-24; compatible gateways keep the
format, so the base URL is a setting. The SDK marks every videos method
deprecated and warns on each call: `_sdk_call` silences exactly that warning,
attributed to this module, and nothing else.
"""

from __future__ import annotations

import io
import logging
import re
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from PIL import Image as PILImage

from common.media_probe import is_mp4, mp4_facts
from common.providers._http_errors import map_failed_job, map_openai_error, unreadable_answer
from common.providers.base import (
    GenerationRequest,
    InvalidProviderRequest,
    JobStatus,
    MediaResult,
    ProviderError,
    ProviderNotConfigured,
    ReferenceImage,
    ResultExpired,
)

log = logging.getLogger(__name__)

ApiKeySource = Callable[[], "str | None"]
T = TypeVar("T")

SORA_SECONDS = ("4", "8", "12")
LANDSCAPE_SIZE, PORTRAIT_SIZE = "1280x720", "720x1280"  # served by sora-2 and sora-2-pro


def sora_seconds(requested_s: int | None) -> str:
    """The shortest Sora length (4, 8, 12 s) that covers the request; 12 s at most."""
    if requested_s is None:
        return "8"
    for seconds in SORA_SECONDS:
        if requested_s <= int(seconds):
            return seconds
    return SORA_SECONDS[-1]


def sora_size(aspect_ratio: str) -> str:
    """Sora makes 16:9 or 9:16 frames: other ratios go to the one with the same orientation."""
    try:
        width, height = (float(x) for x in aspect_ratio.split(":"))
    except ValueError as exc:
        raise InvalidProviderRequest(detail=f"aspect_ratio={aspect_ratio!r}") from exc
    return PORTRAIT_SIZE if height > width else LANDSCAPE_SIZE


def fit_reference(image: ReferenceImage, size: str) -> tuple[str, bytes, str]:
    """The start image as the multipart file Sora wants: exactly the video's size (it rejects others)."""
    width, height = (int(x) for x in size.split("x"))
    try:
        with PILImage.open(io.BytesIO(image.data)) as source:
            if source.size == (width, height):
                return _reference_file(image.data, image.mime_type)
            scale = max(width / source.width, height / source.height)  # cover, then centre-crop
            resized = source.convert("RGB").resize(
                (max(width, round(source.width * scale)), max(height, round(source.height * scale))),
                PILImage.Resampling.LANCZOS,
            )
    except (OSError, ValueError) as exc:
        raise InvalidProviderRequest("The start image could not be read.", detail=str(exc)) from exc
    left, top = (resized.width - width) // 2, (resized.height - height) // 2
    out = io.BytesIO()
    resized.crop((left, top, left + width, top + height)).save(out, format="PNG")
    return _reference_file(out.getvalue(), "image/png")


def _reference_file(data: bytes, mime_type: str) -> tuple[str, bytes, str]:
    extension = {"image/jpeg": "jpg", "image/webp": "webp"}.get(mime_type, "png")
    return f"reference.{extension}", data, mime_type


class OpenAIVideoProvider:
    """Sora-style jobs: `videos.create` → `videos.retrieve` (real progress) → `videos.download_content`."""

    name = "sora"

    def __init__(
        self,
        *,
        api_key: ApiKeySource,
        base_url: str | None = None,
        model: str = "sora-2",
        timeout_s: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._api_key = api_key
        self._base_url = base_url
        self._model = model
        self._timeout_s = timeout_s
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: tuple[str, Any] | None = None

    def submit(self, request: GenerationRequest) -> JobStatus:
        """Start a video job with the openai SDK: `videos.create` (POST /v1/videos: model, prompt, seconds, size,
        input_reference?), or `videos.remix` (POST /v1/videos/{id}/remix) for a remix (OpenAI Videos API reference).
        Raises InvalidProviderRequest for a remix without a source job id; SDK errors are mapped to ProviderError.
        """
        size = sora_size(request.aspect_ratio)
        params: dict[str, Any] = {
            "model": request.model or self._model,
            "prompt": request.prompt,
            "seconds": sora_seconds(request.duration_s),
            "size": size,
        }
        if request.start_image is not None:
            params["input_reference"] = fit_reference(request.start_image, size)
        client = self._client()
        if request.mode == "remix":
            # OpenAI-style POST /v1/videos/{id}/remix: the same video, remade with the new prompt.
            source_id = request.source_ref.get("job_id")
            if not source_id:
                raise InvalidProviderRequest("The source video cannot be remixed at this provider.")
            video = self._sdk_call(lambda: client.videos.remix(source_id, prompt=request.prompt))
            status = self._status(video, {"seconds": str(getattr(video, "seconds", "") or params["seconds"]), "size": size})
            log.info("sora remix submitted", extra={"task_id": request.task_id, "job_id": status.job_id})
            return status
        video = self._sdk_call(lambda: client.videos.create(**params), model=params["model"])
        status = self._status(video, {"seconds": params["seconds"], "size": size})
        log.info("sora job submitted", extra={"task_id": request.task_id, "job_id": status.job_id})
        return status

    def poll(self, job_id: str, *, state: dict[str, object]) -> JobStatus:
        """The job's state via `videos.retrieve` (GET /v1/videos/{id}): queued/in_progress with progress, completed, or failed
        with the mapped error.
        """
        client = self._client()
        video = self._sdk_call(lambda: client.videos.retrieve(job_id))
        return self._status(video, dict(state))

    def cancel(self, job_id: str, *, state: dict[str, object]) -> bool:
        """Stop the job: `DELETE /v1/videos/{id}` (the SDK's `videos.delete`). True when the gateway
        confirms (`deleted: true`); a job it no longer knows is stopped too."""
        client = self._client()
        try:
            answer = self._sdk_call(lambda: client.videos.delete(job_id), not_found=ResultExpired)
        except ResultExpired:
            return True
        return bool(getattr(answer, "deleted", False))

    def fetch(self, job_id: str, *, state: dict[str, object]) -> MediaResult:
        """Download the MP4 via `videos.download_content` (GET /v1/videos/{id}/content); width, height and seconds come from
        the file, falling back to the requested size and length. Raises ResultExpired past `expires_at` or on 404.
        """
        expires_at = state.get("expires_at")
        if isinstance(expires_at, (int, float)) and self._clock() >= expires_at:
            raise ResultExpired(detail=f"{job_id}: expired at {expires_at}")
        client = self._client()
        content = self._sdk_call(lambda: client.videos.download_content(job_id), not_found=ResultExpired)
        data = content.read()
        if not is_mp4(data):
            raise unreadable_answer("video", detail=f"{job_id}: content is not an MP4 ({len(data)} bytes: {data[:16]!r})")
        # What the file says wins; the requested size and length are the fallback.
        width, height, duration = mp4_facts(data)
        if width is None:
            width, height = _size(state.get("size"))
        if duration is None and str(state.get("seconds", "")).isdigit():
            duration = float(str(state["seconds"]))
        return MediaResult(data=data, mime_type="video/mp4", width=width, height=height, duration_s=duration)

    def _status(self, video: Any, state: dict[str, object]) -> JobStatus:
        # The SDK hands back the raw text when a gateway answers 200 with something other than JSON,
        # and an object without an id for JSON without the video's fields.
        if not isinstance(getattr(video, "id", None), str) or not video.id:
            raise unreadable_answer("answer", detail=f"not a video object: {str(video)[:120]!r}")
        if video.expires_at:
            state["expires_at"] = int(video.expires_at)
        progress = max(0, min(100, int(video.progress or 0)))
        if video.status in ("queued", "in_progress"):
            return JobStatus(job_id=video.id, done=False, progress=min(progress, 99), state=state)
        if video.status == "completed":
            return JobStatus(job_id=video.id, done=True, progress=100, state=state)
        error: ProviderError
        if video.status == "failed":
            code = getattr(video.error, "code", None)
            message = getattr(video.error, "message", None)
            error = map_failed_job(code, message)
        elif video.status == "expired":
            error = ResultExpired(detail=f"{video.id}: status expired")
        else:  # an unknown status is never "still running": the job would be polled forever
            error = ProviderError(detail=f"{video.id}: unexpected status {video.status!r}")
        return JobStatus(job_id=video.id, done=True, progress=progress, error=error, state=state)

    def _client(self) -> Any:
        key = self._api_key()
        if not key:
            raise ProviderNotConfigured(detail=f"{self.name}: no API key")
        with self._lock:
            if self._cached is None or self._cached[0] != key:
                from openai import OpenAI

                # No SDK retries: Cloud Tasks owns retries, with backoff and a deadline.
                client = OpenAI(api_key=key, base_url=self._base_url, timeout=self._timeout_s, max_retries=0)
                self._cached = (key, client)
            return self._cached[1]

    @staticmethod
    def _sdk_call(call: Callable[[], T], *, not_found: type[ProviderError] = InvalidProviderRequest,
                  model: str | None = None) -> T:
        # Not `warnings.catch_warnings()`: it swaps the process-wide filter list
        # and is not thread-safe; concurrent jobs would restore each other's
        # filters. This filter is idempotent and matches only this module's calls.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=_THIS_MODULE)
        try:
            return call()
        except Exception as exc:
            raise map_openai_error(exc, not_found=not_found, model=model, setting="sora_model") from exc


_THIS_MODULE = re.escape(__name__) + "$"


def _size(size: object) -> tuple[int | None, int | None]:
    if isinstance(size, str) and re.fullmatch(r"\d+x\d+", size):
        width, height = size.split("x")
        return int(width), int(height)
    return None, None
