"""The admin's live model lists and key checks through the providers' SDKs; an unavailable model fails at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from localstack.emulator import StorageEmulator
from tests.conftest import Stack, make_settings, start_stack, stop_stack
from tests.fakes import FakeGemini, FakeOpenAIVideos
from tests.fakes.gemini import model_not_found
from tests.integration.test_admin import admin_token

GEMINI_KEY, OPENAI_KEY = "AIzaGeminiKey-0123456789", "sk-openai-key-0123456789"


@pytest.fixture
def fakes() -> Iterator[tuple[FakeGemini, FakeOpenAIVideos]]:
    gemini = FakeGemini(accepted_keys=(GEMINI_KEY,)).start()
    openai = FakeOpenAIVideos(accepted_keys=(OPENAI_KEY,)).start()
    yield gemini, openai
    gemini.stop()
    openai.stop()


@pytest.fixture
def live(emulator: StorageEmulator, tmp_path: Path, fakes: tuple[FakeGemini, FakeOpenAIVideos]) -> Iterator[Stack]:
    gemini, openai = fakes
    stack, server = start_stack(make_settings(emulator, tmp_path, GEMINI_BASE_URL=gemini.base_url,
                                              OPENAI_BASE_URL=openai.base_url))
    yield stack
    stop_stack(stack, server)


def test_models_come_from_the_providers_own_lists(live: Stack, fakes: tuple[FakeGemini, FakeOpenAIVideos]) -> None:
    admin = admin_token(live)
    r = live.api("GET", "/api/admin/models?provider=gemini", token=admin)
    assert r.status_code == 400 and "No gemini API key" in r.json()["error"]["message"]
    live.svc.secrets.put("gemini-api-key", GEMINI_KEY)
    live.svc.secrets.put("openai-api-key", OPENAI_KEY)

    items = live.api("GET", "/api/admin/models?provider=veo", token=admin).json()["items"]  # veo → the Gemini list
    assert {m["id"]: m["kinds"] for m in items} == {
        "gemini-3-pro-image": ["image"], "gemini-3.1-pro-preview": ["chat"], "text-embedding-004": [],
        "veo-3.1-generate-preview": ["video"]}
    assert len(fakes[0].requests_to("models")) == 2  # both pages, through the SDK's pager
    items = live.api("GET", "/api/admin/models?provider=sora", token=admin).json()["items"]
    assert [(m["id"], m["kinds"]) for m in items] == [("gpt-5", []), ("sora-2", ["video"]), ("sora-2-pro", ["video"])]
    r = live.api("GET", "/api/admin/models?provider=stripe", token=admin)
    assert r.status_code == 400 and r.json()["error"]["details"]["field"] == "provider"
    user = live.register()
    assert live.api("GET", "/api/admin/models?provider=gemini", token=user).status_code == 403


def test_key_check_before_and_after_saving(live: Stack) -> None:
    admin = admin_token(live)
    r = live.api("POST", "/api/admin/keys/gemini_api_key/test", token=admin, json={"key": "AIza-wrong-key-000"})
    assert r.status_code == 200 and r.json()["ok"] is False
    assert "credentials" in r.json()["message"]
    r = live.api("POST", "/api/admin/keys/gemini_api_key/test", token=admin, json={"key": GEMINI_KEY})
    assert r.json() == {"ok": True, "message": "The key works: 4 models available, 3 usable here."}
    assert live.api("POST", "/api/admin/keys/openai_api_key/test", token=admin).json()["ok"] is False  # none saved
    live.svc.secrets.put("openai-api-key", OPENAI_KEY)
    assert live.api("POST", "/api/admin/keys/openai_api_key/test", token=admin).json()["ok"] is True
    assert live.api("POST", "/api/admin/keys/stripe_secret_key/test", token=admin).status_code == 400


def test_unavailable_model_fails_the_task_at_once_and_says_where_to_change_it(
        live: Stack, fakes: tuple[FakeGemini, FakeOpenAIVideos]) -> None:
    gemini = fakes[0]
    live.svc.secrets.put("gemini-api-key", GEMINI_KEY)
    live.svc.db.settings.update_one({"_id": "providers"}, {"$set": {"image_provider": "gemini",
                                                                    "image_model": "gemini-9-retired"}}, upsert=True)
    gemini.script("generate", model_not_found())
    token = live.register()
    task = live.api("POST", "/api/ai/image", token=token, json={"prompt": "a retired model"}).json()
    done = live.wait_task(token, task["id"])
    assert done["status"] == "FAILED"
    assert done["error"]["code"] == "model_unavailable"
    assert "gemini-9-retired" in done["error"]["message"] and "Admin → Settings → Providers" in done["error"]["message"]
    assert len(gemini.requests_to("generate")) == 1  # permanent: no retry
