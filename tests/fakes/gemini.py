"""A fake Gemini API (generativelanguage) speaking the wire format of PROVIDERS.md.

Serves `models/{m}:generateContent`, `models/{m}:streamGenerateContent?alt=sse`,
`models/{m}:predictLongRunning` (Veo), `GET models/{m}/operations/{id}` and
`GET files/{id}:download?alt=media`, which redirects to `/media/{id}` on the
same server the way the real API redirects to storage.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from typing import Any

from tests.fakes.media import mp4_bytes, png_bytes
from tests.fakes.server import Behaviour, FakeServer, RecordedRequest, Reply

_ROUTES = (
    ("POST", re.compile(r"^/v1\w*/models/[^/:]+:generateContent$"), "generate"),
    ("POST", re.compile(r"^/v1\w*/models/[^/:]+:streamGenerateContent$"), "stream"),
    ("POST", re.compile(r"^/v1\w*/models/[^/:]+:predictLongRunning$"), "predict"),
    ("GET", re.compile(r"^/v1\w*/models/[^/]+/operations/[^/]+$"), "operation"),
    ("GET", re.compile(r"^/v1\w*/files/[a-z0-9]+:download$"), "download"),
    ("GET", re.compile(r"^/media/[a-z0-9]+\.mp4$"), "media"),
    ("GET", re.compile(r"^/v1\w*/models$"), "models"),
    # Vertex AI (google-genai with vertexai=True): the same models under a project and location.
    ("POST", re.compile(r"^/v1\w*/projects/[^/]+/locations/[^/]+/publishers/google/models/[^/:]+:generateContent$"),
     "vertex_generate"),
    ("POST", re.compile(r"^/v1\w*/projects/[^/]+/locations/[^/]+/publishers/google/models/[^/:]+:predictLongRunning$"),
     "vertex_predict"),
    ("POST", re.compile(r"^/v1\w*/projects/[^/]+/locations/[^/]+/publishers/google/models/[^/:]+:fetchPredictOperation$"),
     "vertex_operation"),
)
VERTEX_TOKEN = "vertex-adc-token"  # what tests' fake Application Default Credentials present


def fake_service_account() -> Any:
    """Credentials standing in for Application Default Credentials: bearer `VERTEX_TOKEN`, refreshed on demand
    (`refreshes` counts the refreshes)."""
    from google.auth import credentials as ga_credentials

    class FakeServiceAccount(ga_credentials.Credentials):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.refreshes = 0

        def refresh(self, request: Any) -> None:
            self.refreshes += 1
            self.token = VERTEX_TOKEN

    return FakeServiceAccount()

# What `GET /v1beta/models` lists (name, displayName, supportedGenerationMethods), two per page.
MODELS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("gemini-3.1-pro-preview", "Gemini 3.1 Pro Preview", ("generateContent", "countTokens")),
    ("gemini-3-pro-image", "Nano Banana Pro", ("generateContent",)),
    ("veo-3.1-generate-preview", "Veo 3.1", ("predictLongRunning",)),
    ("text-embedding-004", "Text Embedding 004", ("embedContent",)),
)
PUBLIC_FILES_PREFIX = "https://generativelanguage.googleapis.com/v1beta/files/"


def image_size_for(aspect_ratio: str) -> tuple[int, int]:
    """The size of the PNG the fake answers for an aspect ratio: longest side 160 px."""
    w, h = (int(x) for x in aspect_ratio.split(":"))
    longest = max(w, h)
    return round(160 * w / longest), round(160 * h / longest)


# ---- behaviours -------------------------------------------------------------------


def google_error(http_status: int, status: str, message: str, *, reason: str | None = None) -> Reply:
    error: dict[str, Any] = {"code": http_status, "message": message, "status": status}
    if reason:
        error["details"] = [
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason, "domain": "googleapis.com"}
        ]
    return Reply.json({"error": error}, status=http_status)


def api_key_invalid() -> Reply:
    return google_error(
        400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", reason="API_KEY_INVALID"
    )


def quota_exhausted() -> Reply:
    return google_error(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).")


def internal_error() -> Reply:
    return google_error(500, "INTERNAL", "An internal error has occurred. req-7f3a9c2e1b")


def bad_request(message: str = "Invalid value at 'generation_config'") -> Reply:
    return google_error(400, "INVALID_ARGUMENT", message)


def image_answer(png: bytes | None = None) -> Behaviour:
    def behaviour(request: RecordedRequest, fake: FakeServer) -> Reply:
        data = png if png is not None else _png_for(request)
        part = {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(data).decode()}}
        return Reply.json(_answer([part], "STOP"))

    return behaviour


def text_only_answer(text: str = "I can describe it, but here is no picture.") -> Reply:
    return Reply.json(_answer([{"text": text}], "STOP"))


def safety_stop(finish_reason: str = "IMAGE_SAFETY") -> Reply:
    return Reply.json({"candidates": [{"finishReason": finish_reason, "index": 0}]})


def prompt_blocked(block_reason: str = "SAFETY") -> Reply:
    return Reply.json({"promptFeedback": {"blockReason": block_reason}})


def sse(*texts: str, finish_reason: str = "STOP") -> Reply:
    events = []
    for i, text in enumerate(texts):
        answer = _answer([{"text": text}], finish_reason if i == len(texts) - 1 else None)
        events.append(f"data: {json.dumps(answer)}\r\n\r\n")
    return Reply(body="".join(events).encode(), content_type="text/event-stream")


def veo_running() -> Behaviour:
    return lambda request, fake: Reply.json({"name": _operation_name(request), "done": False})


def veo_done() -> Behaviour:
    def behaviour(request: RecordedRequest, fake: FakeServer) -> Reply:
        name = _operation_name(request)
        file_id = uuid.uuid5(uuid.NAMESPACE_URL, name).hex[:12]
        samples = [{"video": {"uri": f"{PUBLIC_FILES_PREFIX}{file_id}:download?alt=media"}}]
        return Reply.json({"name": name, "done": True, "response": _video_response({"generatedSamples": samples})})

    return behaviour


def veo_filtered(*reasons: str) -> Behaviour:
    reasons = reasons or ("We can't create videos with this prompt (support code 58061214).",)
    response = {"raiMediaFilteredCount": 1, "raiMediaFilteredReasons": list(reasons)}
    return lambda request, fake: Reply.json(
        {"name": _operation_name(request), "done": True, "response": _video_response(response)}
    )


def veo_no_videos() -> Behaviour:
    return lambda request, fake: Reply.json(
        {"name": _operation_name(request), "done": True, "response": _video_response({"generatedSamples": []})}
    )


def veo_failed(code: int, message: str) -> Behaviour:
    return lambda request, fake: Reply.json(
        {"name": _operation_name(request), "done": True, "error": {"code": code, "message": message}}
    )


def model_not_found(model: str = "gemini-9-retired") -> Reply:
    """What Google answers for a model id it does not serve (retired or misspelled)."""
    return google_error(404, "NOT_FOUND", f"models/{model} is not found for API version v1beta, or is not "
                        "supported for generateContent. Call ListModels to see the list of available models.")


def not_found() -> Reply:
    return google_error(404, "NOT_FOUND", "Requested entity was not found.")


# ---- the server -------------------------------------------------------------------


class FakeGemini(FakeServer):
    """Fake Gemini API; accepts the keys in `accepted_keys` (x-goog-api-key)."""

    ROUTES = _ROUTES

    def __init__(self, *, accepted_keys: tuple[str, ...] = ("test-key",)) -> None:
        super().__init__()
        self.accepted_keys = set(accepted_keys)
        self._initial_keys = frozenset(accepted_keys)

    @property
    def base_url(self) -> str:
        return self.origin

    def reset(self) -> None:
        """Forget requests and scripts, and accept the keys given at construction again."""
        super().reset()
        self.accepted_keys = set(self._initial_keys)

    def accept_only(self, *keys: str) -> None:
        """Rotate: from now on only these keys work."""
        self.accepted_keys = set(keys)

    def authorize(self, request: RecordedRequest) -> Reply | None:
        if request.endpoint == "media":  # a signed storage link: no key
            return None
        if request.endpoint.startswith("vertex_"):  # OAuth bearer from the service account, never an API key
            if request.headers.get("authorization") != f"Bearer {VERTEX_TOKEN}" or "x-goog-api-key" in request.headers:
                return google_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
            return None
        if request.headers.get("x-goog-api-key") not in self.accepted_keys:
            return api_key_invalid()
        return None

    def default(self, request: RecordedRequest) -> Reply:
        if request.endpoint == "generate":
            return self.resolve(image_answer(), request)
        if request.endpoint == "stream":
            return sse("Hello", ", world")
        if request.endpoint == "predict":
            model = request.path.rsplit("/", 1)[1].split(":")[0]
            return Reply.json({"name": f"models/{model}/operations/{uuid.uuid4().hex[:12]}"})
        if request.endpoint == "operation":
            return self.resolve(veo_done(), request)
        if request.endpoint == "download":
            file_id = request.path.rsplit("/", 1)[1].split(":")[0]
            return Reply(
                status=302, headers={"Location": f"{self.origin}/media/{file_id}.mp4"}, content_type="text/plain"
            )
        if request.endpoint == "media":
            return Reply(body=mp4_bytes(), content_type="video/mp4")
        if request.endpoint == "vertex_generate":
            return self.resolve(image_answer(), request)
        if request.endpoint == "vertex_predict":
            model_path = request.path.split("/", 2)[2].rsplit(":", 1)[0]
            return Reply.json({"name": f"{model_path}/operations/{uuid.uuid4().hex[:12]}"})
        if request.endpoint == "vertex_operation":
            return Reply.json({"name": request.json()["operationName"], "done": True, "response": {
                "@type": "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse",
                "raiMediaFilteredCount": 0,
                "videos": [{"bytesBase64Encoded": base64.b64encode(mp4_bytes()).decode(), "mimeType": "video/mp4"}]}})
        if request.endpoint == "models":
            start = int((request.query.get("pageToken") or ["0"])[0])
            page = [{"name": f"models/{m}", "displayName": d, "supportedGenerationMethods": list(g)}
                    for m, d, g in MODELS[start:start + 2]]
            more = {"nextPageToken": str(start + 2)} if start + 2 < len(MODELS) else {}
            return Reply.json({"models": page, **more})
        return self.not_found(request)


def _answer(parts: list[dict[str, Any]], finish_reason: str | None) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish_reason:
        candidate["finishReason"] = finish_reason
    return {"candidates": [candidate], "modelVersion": "fake"}


def _png_for(request: RecordedRequest) -> bytes:
    aspect = (request.json().get("generationConfig", {}).get("imageConfig", {}) or {}).get("aspectRatio", "1:1")
    return png_bytes(*image_size_for(aspect))


def _operation_name(request: RecordedRequest) -> str:
    return request.path.split("/", 2)[2]  # drop "/v1beta/"


def _video_response(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse",
        "generateVideoResponse": body,
    }
