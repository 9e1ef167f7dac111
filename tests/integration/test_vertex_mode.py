"""Vertex AI mode: Gemini and Veo through google-genai with vertexai=True, the service account's credentials
(no API key), chosen in the admin settings; Veo through the SDK's public generate_videos."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from localstack.emulator import StorageEmulator
from tests.conftest import Stack, make_settings, start_stack, stop_stack
from tests.fakes import FakeGemini
from tests.fakes.gemini import VERTEX_TOKEN, fake_service_account
from tests.integration.test_admin import admin_token


@pytest.fixture
def gemini() -> Iterator[FakeGemini]:
    fake = FakeGemini(accepted_keys=()).start()  # no API key works: only the service account's token
    yield fake
    fake.stop()


@pytest.fixture
def vertex_stack(emulator: StorageEmulator, tmp_path: Path, gemini: FakeGemini) -> Iterator[Stack]:
    stack, server = start_stack(make_settings(emulator, tmp_path, GEMINI_BASE_URL=gemini.base_url,
                                              IMAGE_PROVIDER="gemini", VIDEO_PROVIDER="veo"))
    stack.svc.vertex_credentials = fake_service_account()
    yield stack
    stop_stack(stack, server)


def test_admin_switches_to_vertex_and_image_and_video_complete_without_a_key(
        vertex_stack: Stack, gemini: FakeGemini) -> None:
    admin = admin_token(vertex_stack)
    r = vertex_stack.api("PUT", "/api/admin/settings", token=admin, json={
        "providers": {"gemini_mode": "vertex", "vertex_project": "sora-test-proj", "vertex_location": "europe-west4"}})
    assert r.status_code == 200, r.text
    assert r.json()["providers"]["gemini_mode"] == "vertex"
    user = vertex_stack.register()

    image = vertex_stack.api("POST", "/api/ai/image", token=user, json={"prompt": "vertex image"}).json()
    assert vertex_stack.wait_task(user, image["id"])["status"] == "COMPLETED"
    sent = gemini.requests_to("vertex_generate")[-1]
    assert "/projects/sora-test-proj/locations/europe-west4/publishers/google/models/gemini-3-pro-image:" in sent.path
    assert sent.headers["authorization"] == f"Bearer {VERTEX_TOKEN}" and "x-goog-api-key" not in sent.headers

    video = vertex_stack.api("POST", "/api/ai/video", token=user, json={"prompt": "vertex video", "duration_s": 8}).json()
    done = vertex_stack.wait_task(user, video["id"])
    assert done["status"] == "COMPLETED", done
    predict = gemini.requests_to("vertex_predict")[-1].json()  # what the public generate_videos sent
    assert predict["instances"][0]["prompt"] == "vertex video"
    assert predict["parameters"]["durationSeconds"] == 8
    assert gemini.requests_to("vertex_operation")
    assert not gemini.requests_to("predict") and not gemini.requests_to("generate")  # nothing on the API-key path
    media = vertex_stack.api("GET", done["result"]["url"], headers={"Range": "bytes=0-1"})
    assert media.status_code == 206


def test_settings_refuse_a_malformed_vertex_project(vertex_stack: Stack) -> None:
    admin = admin_token(vertex_stack)
    r = vertex_stack.api("PUT", "/api/admin/settings", token=admin,
                         json={"providers": {"gemini_mode": "vertex", "vertex_project": "Bad Project!"}})
    assert r.status_code == 400
    assert r.json()["error"]["details"]["field"] == "providers.vertex_project"


def test_the_panel_can_send_every_provider_field_back_unchanged(vertex_stack: Stack) -> None:
    """The admin panel PUTs the whole providers object it read: that must always be accepted."""
    admin = admin_token(vertex_stack)
    providers = vertex_stack.api("GET", "/api/admin/settings", token=admin).json()["providers"]
    r = vertex_stack.api("PUT", "/api/admin/settings", token=admin, json={"providers": providers})
    assert r.status_code == 200, r.text
    r = vertex_stack.api("PUT", "/api/admin/settings", token=admin,
                         json={"providers": {**providers, "vertex_project": "", "vertex_location": ""}})
    assert r.status_code == 200, r.text
