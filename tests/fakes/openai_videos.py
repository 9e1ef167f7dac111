"""A fake OpenAI-style `/v1/videos` API (Sora's format), as described in PROVIDERS.md.

Its timestamps (`created_at`, `completed_at`, `expires_at`, Unix seconds) come from an injected
`common.clock.Clock` (the system clock by default), so a test can move time past `expires_at`
without waiting and without wall-clock arithmetic.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from common.clock import SYSTEM_CLOCK, Clock
from tests.fakes.media import mp4_bytes
from tests.fakes.server import Behaviour, FakeServer, RecordedRequest, Reply

_ROUTES = (
    ("POST", re.compile(r"^/v1/videos$"), "create"),
    ("GET", re.compile(r"^/v1/videos/[^/]+$"), "retrieve"),
    ("GET", re.compile(r"^/v1/videos/[^/]+/content$"), "content"),
    ("DELETE", re.compile(r"^/v1/videos/[^/]+$"), "delete"),
    ("GET", re.compile(r"^/v1/models$"), "models"),
    ("POST", re.compile(r"^/v1/videos/[^/]+/remix$"), "remix"),
)
MODEL_IDS = ("sora-2", "sora-2-pro", "gpt-5")


def openai_error(status: int, message: str, *, code: str | None = None, type: str = "invalid_request_error") -> Reply:
    return Reply.json({"error": {"message": message, "type": type, "param": None, "code": code}}, status=status)


def invalid_api_key() -> Reply:
    return openai_error(
        401,
        "Incorrect API key provided: sk-****. You can find your API key at https://example.test.",
        code="invalid_api_key",
    )


def rate_limited() -> Reply:
    return openai_error(429, "Rate limit reached for videos per minute.", code="rate_limit_exceeded", type="requests")


def server_error() -> Reply:
    return openai_error(500, "The server had an error processing your request.", type="server_error")


def moderation_rejected() -> Reply:
    return openai_error(400, "Your request was blocked by our moderation system.", code="moderation_blocked")


def video_status(
    status: str,
    *,
    progress: int = 0,
    error: dict[str, str] | None = None,
    expires_in_s: float | None = 3600,
) -> Behaviour:
    """Answer `GET /v1/videos/{id}` with this status for the requested video; `expires_at` is
    `expires_in_s` seconds after the fake's clock (None: no expiry announced)."""

    def behaviour(request: RecordedRequest, fake: FakeServer) -> Reply:
        assert isinstance(fake, FakeOpenAIVideos)
        video = dict(fake.video(request.path.split("/")[3]))
        video.update(status=status, progress=progress, error=error)
        now = fake.unix_now()
        if status == "completed":
            video["completed_at"] = int(now)
        video["expires_at"] = int(now + expires_in_s) if expires_in_s is not None else None
        return Reply.json(video)

    return behaviour


class FakeOpenAIVideos(FakeServer):
    """Fake `/v1/videos`; accepts `Authorization: Bearer <key>` for the keys in `accepted_keys`."""

    ROUTES = _ROUTES

    def __init__(self, *, accepted_keys: tuple[str, ...] = ("test-key",), clock: Clock = SYSTEM_CLOCK) -> None:
        """`clock` stamps `created_at`/`completed_at`/`expires_at` (default: the system clock)."""
        super().__init__()
        self.accepted_keys = set(accepted_keys)
        self._initial_keys = frozenset(accepted_keys)
        self.clock = clock
        self._videos: dict[str, dict[str, Any]] = {}

    def unix_now(self) -> float:
        """The fake's current time in Unix seconds, from its clock."""
        return self.clock.now().timestamp()

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    def reset(self) -> None:
        """Forget requests and scripts, and accept the keys given at construction again."""
        super().reset()
        self.accepted_keys = set(self._initial_keys)

    def accept_only(self, *keys: str) -> None:
        self.accepted_keys = set(keys)

    def video(self, video_id: str) -> dict[str, Any]:
        """The stored video object of `video_id`, or a queued 4 s sora-2 one for an id the fake never made."""
        return self._videos.get(video_id) or _video(video_id, model="sora-2", seconds="4", size="720x1280",
                                                    created_at=self.unix_now())

    def authorize(self, request: RecordedRequest) -> Reply | None:
        if request.headers.get("authorization", "").removeprefix("Bearer ") not in self.accepted_keys:
            return invalid_api_key()
        return None

    def default(self, request: RecordedRequest) -> Reply:
        if request.endpoint == "models":
            return Reply.json({"object": "list", "data": [{"id": m, "object": "model", "created": 1767225600,
                                                           "owned_by": "system"} for m in MODEL_IDS]})
        if request.endpoint == "create":
            form = request.form()
            video_id = f"video_{uuid.uuid4().hex}"
            self._videos[video_id] = _video(
                video_id,
                model=form["model"].text if "model" in form else "sora-2",
                seconds=form["seconds"].text if "seconds" in form else "4",
                size=form["size"].text if "size" in form else "720x1280",
                created_at=self.unix_now(),
            )
            return Reply.json(self._videos[video_id])
        if request.endpoint == "remix":
            source_id = request.path.split("/")[3]
            if source_id not in self._videos:
                return self.not_found(request)
            source = self._videos[source_id]
            video_id = f"video_{uuid.uuid4().hex}"
            self._videos[video_id] = {**_video(video_id, model=source["model"], seconds=source["seconds"], size=source["size"],
                                             created_at=self.unix_now()),
                                      "remixed_from_video_id": source_id, "prompt": request.json().get("prompt")}
            return Reply.json(self._videos[video_id])
        if request.endpoint == "retrieve":
            return self.resolve(video_status("completed", progress=100), request)
        if request.endpoint == "content":
            return Reply(body=mp4_bytes(), content_type="video/mp4")
        if request.endpoint == "delete":
            video_id = request.path.split("/")[3]
            if self._videos.pop(video_id, None) is None:
                return self.not_found(request)
            return Reply.json({"id": video_id, "object": "video.deleted", "deleted": True})
        return self.not_found(request)

    def not_found(self, request: RecordedRequest) -> Reply:
        return openai_error(404, "Video not found.", code="not_found")


def _video(video_id: str, *, model: str, seconds: str, size: str, created_at: float) -> dict[str, Any]:
    return {
        "id": video_id,
        "object": "video",
        "model": model,
        "status": "queued",
        "progress": 0,
        "error": None,
        "created_at": int(created_at),
        "completed_at": None,
        "expires_at": None,
        "seconds": seconds,
        "size": size,
        "prompt": None,
        "remixed_from_video_id": None,
    }
