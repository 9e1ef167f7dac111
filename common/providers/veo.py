"""Veo video generation through the Gemini API (API key, not Vertex AI).

google-genai 3.x refuses `models.generate_videos` outside Vertex mode
("only supported in Gemini Enterprise Agent Platform mode"), although the
Gemini API still serves Veo. So `submit` posts the documented
`models/{model}:predictLongRunning` request through the SDK's own API client
(same base URL, key header, timeout and error types as every other call);
polling (`operations.get`) and download (`files.download`) use the public SDK
methods, which do work with an API key.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any

from common.media_probe import is_mp4, mp4_facts
from common.providers._http_errors import map_google_error, map_operation_error, unreadable_answer
from common.providers.base import (
    GenerationRequest,
    InvalidProviderRequest,
    JobStatus,
    MediaResult,
    ProviderError,
    ResultExpired,
    SafetyRefusal,
)
from common.providers.gemini import ApiKeySource, GenaiClients

log = logging.getLogger(__name__)

VEO_DURATIONS_S = (4, 6, 8)
DEFAULT_DURATION_S = 8
PROGRESS_CAP = 95  # Veo reports no progress: an estimate never claims to be finished.

_FILE_NAME = re.compile(r"files/([A-Za-z0-9_-]+)")


def veo_duration(requested_s: int | None) -> int:
    """Our 4/8/12 s choices onto Veo's 4/6/8 s: the longest Veo length not above the request, 8 s at most."""
    if requested_s is None:
        return DEFAULT_DURATION_S
    fitting = [d for d in VEO_DURATIONS_S if d <= requested_s]
    return max(fitting) if fitting else VEO_DURATIONS_S[0]


def veo_aspect_ratio(aspect_ratio: str) -> str:
    """Veo makes 16:9 or 9:16: other ratios go to the one with the same orientation."""
    try:
        width, height = (float(x) for x in aspect_ratio.split(":"))
    except ValueError as exc:
        raise InvalidProviderRequest(detail=f"aspect_ratio={aspect_ratio!r}") from exc
    return "9:16" if height > width else "16:9"


class VeoVideoProvider:
    """Long-running Veo jobs: submit → poll (estimated progress) → fetch the MP4."""

    name = "veo"

    def __init__(
        self,
        *,
        api_key: ApiKeySource,
        base_url: str | None = None,
        model: str = "veo-3.1-generate-preview",
        timeout_s: float = 60.0,
        typical_runtime_s: float = 90.0,
        clock: Callable[[], float] = time.time,
        vertex: dict[str, Any] | None = None,
    ) -> None:
        self._clients = GenaiClients(api_key=api_key, base_url=base_url, timeout_s=timeout_s, provider=self.name,
                                     vertex=vertex)
        self._model = model
        self._typical_runtime_s = typical_runtime_s
        self._clock = clock

    def submit(self, request: GenerationRequest) -> JobStatus:
        """Start a Veo long-running operation: `models/<model>:predictLongRunning` with instances [{prompt, image?, lastFrame?,
        video?}] and parameters {aspectRatio, durationSeconds, seed?, negativePrompt?} (Gemini API Veo docs), or
        `models.generate_videos` on Vertex AI. The job id is the operation name; state keeps the submit time and length.
        Raises InvalidProviderRequest (e.g. extending a video Veo did not make), ProviderError for an answer without an
        operation name; SDK errors are mapped by map_google_error.
        """
        if self._clients.vertex is not None:
            return self._submit_vertex(request)
        from google.genai import _transformers

        duration = veo_duration(request.duration_s)
        instance: dict[str, Any] = {"prompt": request.prompt}
        if request.start_image is not None:
            instance["image"] = {
                "bytesBase64Encoded": base64.b64encode(request.start_image.data).decode("ascii"),
                "mimeType": request.start_image.mime_type,
            }
        parameters: dict[str, Any] = {"aspectRatio": veo_aspect_ratio(request.aspect_ratio), "durationSeconds": duration}
        if request.end_image is not None:  # Veo 3.1: first + last frame
            instance["lastFrame"] = {
                "bytesBase64Encoded": base64.b64encode(request.end_image.data).decode("ascii"),
                "mimeType": request.end_image.mime_type,
            }
        if request.mode == "extend":
            # Veo 3.1 video extension: the source must be a Veo video, named by its file URI; the answer is
            # the whole, longer video. Extensions are a fixed length at Veo (durationSeconds is not taken).
            uri = request.source_ref.get("video_uri")
            if not uri:
                raise InvalidProviderRequest("Only videos made by Veo can be extended by Veo.")
            instance["video"] = {"uri": uri}
            parameters.pop("durationSeconds", None)
        if request.seed is not None:
            parameters["seed"] = request.seed
        if request.negative_prompt:
            parameters["negativePrompt"] = request.negative_prompt
        body = {"instances": [instance], "parameters": parameters}
        client = self._clients.get()
        model_path = _transformers.t_model(client._api_client, request.model or self._model)
        try:
            response = client._api_client.request("post", f"{model_path}:predictLongRunning", body)
        except Exception as exc:
            raise map_google_error(exc, model=request.model or self._model, setting="veo_model") from exc
        try:
            operation = json.loads(response.body or "{}")
        except ValueError as exc:
            raise unreadable_answer("answer", detail=f"predictLongRunning answered no JSON: {exc}") from exc
        job_id = str(operation.get("name") or "") if isinstance(operation, dict) else ""
        if not job_id:
            raise unreadable_answer("answer", detail="predictLongRunning answered without an operation name")
        log.info("veo job submitted", extra={"task_id": request.task_id, "job_id": job_id})
        state: dict[str, object] = {"submitted_at": self._clock(), "duration_s": duration}
        return JobStatus(job_id=job_id, done=False, progress=0, state=state)

    def _submit_vertex(self, request: GenerationRequest) -> JobStatus:
        """Vertex AI mode: the SDK's public `models.generate_videos` (PROVIDERS.md: supported there)."""
        from google.genai import types

        duration = veo_duration(request.duration_s)
        image = (types.Image(image_bytes=request.start_image.data, mime_type=request.start_image.mime_type)
                 if request.start_image is not None else None)
        model = request.model or self._model
        try:
            operation = self._clients.get().models.generate_videos(
                model=model, source=types.GenerateVideosSource(prompt=request.prompt, image=image),
                config=types.GenerateVideosConfig(duration_seconds=duration,
                                                  aspect_ratio=veo_aspect_ratio(request.aspect_ratio)))
        except Exception as exc:
            raise map_google_error(exc, model=model, setting="veo_model") from exc
        if not operation.name:
            raise unreadable_answer("answer", detail="generate_videos answered without an operation name")
        log.info("veo job submitted (vertex)", extra={"task_id": request.task_id, "job_id": operation.name})
        return JobStatus(job_id=str(operation.name), done=False, progress=0,
                         state={"submitted_at": self._clock(), "duration_s": duration})

    def poll(self, job_id: str, *, state: dict[str, object]) -> JobStatus:
        """The operation's state (`operations.get`): not done with an estimated progress, or done with the video's file URI in
        state, or done with the ProviderError the operation reports (e.g. a safety refusal).
        """
        operation = self._operation(job_id)
        if not operation.done:
            return JobStatus(job_id=job_id, done=False, progress=self._estimate(state), state=dict(state))
        try:
            video = _finished_video(operation)
        except ProviderError as error:
            return JobStatus(job_id=job_id, done=True, progress=100, error=error, state=dict(state))
        return JobStatus(job_id=job_id, done=True, progress=100, state={**state, "video_uri": video.uri})

    def fetch(self, job_id: str, *, state: dict[str, object]) -> MediaResult:
        """Download the finished MP4 (`files.download` of the video's file URI, or the inline bytes) with its size and length
        read from the file. Raises ResultExpired on 404 (generated videos are kept two days), ProviderError for a URI that
is not a Gemini file; other download errors are mapped by map_google_error.
        """
        uri = state.get("video_uri")
        if not isinstance(uri, str) or not uri:
            video = _finished_video(self._operation(job_id))
            if video.video_bytes:
                return _video_result(video.video_bytes)
            uri = video.uri or ""
        match = _FILE_NAME.search(uri)
        if match is None:
            raise ProviderError(detail=f"{job_id}: video URI is not a Gemini file")
        client = self._clients.get()
        try:
            data = client.files.download(file=f"files/{match.group(1)}")
        except Exception as exc:
            error = map_google_error(exc)
            # Generated videos are kept two days; after that the file is gone.
            if getattr(exc, "code", None) == 404:
                raise ResultExpired(detail=error.detail) from exc
            raise error from exc
        return _video_result(data)

    def _operation(self, job_id: str) -> Any:
        from google.genai import types

        client = self._clients.get()
        try:
            # `name` comes from the Operation mixin, which the pydantic mypy plugin does not see.
            return client.operations.get(types.GenerateVideosOperation(name=job_id))  # type: ignore[call-arg]
        except Exception as exc:
            raise map_google_error(exc) from exc

    def _estimate(self, state: dict[str, object]) -> int:
        submitted_at = state.get("submitted_at")
        if not isinstance(submitted_at, (int, float)):
            return 0
        elapsed = max(0.0, self._clock() - float(submitted_at))
        return min(PROGRESS_CAP, int(100 * elapsed / self._typical_runtime_s))


def _finished_video(operation: Any) -> Any:
    """The first video of a finished operation, or the `ProviderError` that explains its absence."""
    if operation.error:
        raise map_operation_error(operation.error)
    response = operation.response or operation.result
    filtered = (response.rai_media_filtered_count or 0) if response else 0
    videos = (response.generated_videos or []) if response else []
    if filtered or not videos or videos[0].video is None:
        reasons = "; ".join((response.rai_media_filtered_reasons or []) if response else [])
        raise SafetyRefusal(detail=f"filtered={filtered} videos={len(videos)} reasons={reasons}")
    return videos[0].video


def _video_result(data: bytes) -> MediaResult:
    if not is_mp4(data):
        raise unreadable_answer("video", detail=f"download is not an MP4 ({len(data)} bytes: {data[:16]!r})")
    width, height, duration = mp4_facts(data)
    return MediaResult(data=data, mime_type="video/mp4", width=width, height=height, duration_s=duration)
