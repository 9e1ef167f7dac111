"""The whole pipeline with each real adapter: API → queue → worker → official SDK → fake provider → storage.

Keys come through the secrets store and rotate without a restart; provider
and model choice come from the settings document the admin panel writes.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from common.config import Settings
from common.secrets import GEMINI_API_KEY, OPENAI_API_KEY
from tests.conftest import Stack, start_stack, stop_stack
from tests.fakes import FakeGemini, FakeOpenAIVideos
from tests.fakes.fixtures import GEMINI_KEY, OPENAI_KEY
from tests.fakes.gemini import safety_stop
from tests.fakes.openai_videos import video_status


@pytest.fixture
def real_stack(settings: Settings, gemini: FakeGemini, openai_fake: FakeOpenAIVideos) -> Iterator[Stack]:
    settings = settings.model_copy(update={
        "IMAGE_PROVIDER": "gemini", "VIDEO_PROVIDER": "sora",
        "GEMINI_BASE_URL": gemini.base_url, "OPENAI_BASE_URL": openai_fake.base_url,
    })
    stack, server = start_stack(settings)
    stack.svc.secrets.put(GEMINI_API_KEY, GEMINI_KEY)
    stack.svc.secrets.put(OPENAI_API_KEY, OPENAI_KEY)
    yield stack
    stop_stack(stack, server)


def _post(stack: Stack, token: str, kind: str, **body: Any) -> dict[str, Any]:
    r = stack.api("POST", f"/api/ai/{kind}", token=token, json=body)
    assert r.status_code == 202, r.text
    return dict(r.json())


def test_gemini_image_lands_in_storage_as_a_real_png(real_stack: Stack, gemini: FakeGemini) -> None:
    token = real_stack.register()
    task = _post(real_stack, token, "image", prompt="a lighthouse", aspect_ratio="16:9")
    assert task["provider"] == "gemini"
    done = real_stack.wait_task(token, task["id"])
    assert done["status"] == "COMPLETED", done
    png = real_stack.api("GET", done["result"]["url"]).content
    assert Image.open(io.BytesIO(png)).format == "PNG"
    sent = gemini.requests_to("generate")[0]
    assert sent.headers["x-goog-api-key"] == GEMINI_KEY
    assert len(gemini.requests_to("generate")) == 1  # generated once


def test_sora_video_reports_progress_then_completes_with_mp4(real_stack: Stack, openai_fake: FakeOpenAIVideos) -> None:
    openai_fake.script("retrieve", video_status("in_progress", progress=30), video_status("in_progress", progress=70),
                       video_status("completed", progress=100))
    token = real_stack.register()
    task = _post(real_stack, token, "video", prompt="waves", duration_s=8, aspect_ratio="9:16")
    seen = real_stack.wait_task(token, task["id"], until=("GENERATING", "COMPLETED", "FAILED"))
    done = real_stack.wait_task(token, task["id"])
    assert done["status"] == "COMPLETED", done
    assert seen["status"] in ("GENERATING", "COMPLETED")
    mp4 = real_stack.api("GET", done["result"]["url"], headers={"Range": "bytes=4-7"})
    assert mp4.status_code == 206 and mp4.content == b"ftyp"
    form = openai_fake.requests_to("create")[0].form()
    assert form["seconds"].text == "8" and form["size"].text == "720x1280"
    assert len(openai_fake.requests_to("create")) == 1
    assert len(openai_fake.requests_to("content")) == 1


def test_veo_image_to_video_from_an_upload(real_stack: Stack, gemini: FakeGemini) -> None:
    real_stack.svc.db.settings.update_one({"_id": "providers"}, {"$set": {"video_provider": "veo"}}, upsert=True)
    token = real_stack.register()
    buf = io.BytesIO()
    Image.new("RGB", (320, 180), (200, 30, 90)).save(buf, format="JPEG")
    up = real_stack.api("POST", "/api/ai/uploads", token=token, files={"file": ("frame.jpg", buf.getvalue(), "image/jpeg")})
    assert up.status_code == 201, up.text
    task = _post(real_stack, token, "video", prompt="it moves", image_url=up.json()["url"])
    assert task["provider"] == "veo"
    assert task["params"]["mode"] == "image-to-video"
    done = real_stack.wait_task(token, task["id"])
    assert done["status"] == "COMPLETED", done
    body = gemini.requests_to("predict")[0].json()
    assert body["instances"][0]["image"]["mimeType"] == "image/jpeg"


def test_rotated_key_is_used_without_restart(real_stack: Stack, gemini: FakeGemini) -> None:
    token = real_stack.register()
    gemini.accept_only("gem-key-2")
    failed = real_stack.wait_task(token, _post(real_stack, token, "image", prompt="before rotation")["id"])
    assert failed["status"] == "FAILED"
    assert failed["error"]["code"] == "provider_auth"
    assert "API key" in failed["error"]["message"]
    real_stack.svc.secrets.put(GEMINI_API_KEY, "gem-key-2")  # what the admin panel does
    done = real_stack.wait_task(token, _post(real_stack, token, "image", prompt="after rotation")["id"])
    assert done["status"] == "COMPLETED", done


def test_safety_refusal_reaches_the_user_as_a_clean_message(real_stack: Stack, gemini: FakeGemini) -> None:
    gemini.script("generate", safety_stop())
    token = real_stack.register()
    failed = real_stack.wait_task(token, _post(real_stack, token, "image", prompt="something blocked")["id"])
    assert failed["status"] == "FAILED"
    assert failed["error"]["code"] == "safety_refusal"
    assert "safety" in failed["error"]["message"].lower()
    assert "candidates" not in failed["error"]["message"]
    me = real_stack.api("GET", "/api/auth/me", token=token).json()
    assert me["quota"]["image"]["used"] == 0  # refunded


def test_expired_result_fails_cleanly(real_stack: Stack, openai_fake: FakeOpenAIVideos) -> None:
    openai_fake.script("retrieve", video_status("expired"))
    token = real_stack.register()
    failed = real_stack.wait_task(token, _post(real_stack, token, "video", prompt="too late")["id"])
    assert failed["status"] == "FAILED"
    assert failed["error"]["code"] in ("result_expired", "provider_error")


def test_missing_key_fails_with_a_message_an_admin_can_act_on(settings: Settings) -> None:
    stack, server = start_stack(settings.model_copy(update={"IMAGE_PROVIDER": "gemini"}))
    try:
        token = stack.register()
        failed = stack.wait_task(token, _post(stack, token, "image", prompt="no key")["id"])
        assert failed["status"] == "FAILED"
        assert "administrator" in failed["error"]["message"]
    finally:
        stop_stack(stack, server)
