"""Issue 10, free work: canceling or deleting a running task never gets provider work for free."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from common.secrets import GEMINI_API_KEY, OPENAI_API_KEY
from localstack.emulator import StorageEmulator
from tests.abuse_helpers import error_of, stack_with, wait_task, wait_until
from tests.conftest import Stack
from tests.fakes import FakeGemini, FakeOpenAIVideos
from tests.fakes.fixtures import GEMINI_KEY, OPENAI_KEY
from tests.fakes.gemini import veo_running
from tests.fakes.openai_videos import video_status
from tests.integration.test_abuse_media import HeldQueue


def video(stack: Stack, token: str, **body: Any) -> Any:
    return stack.api("POST", "/api/ai/video", token=token, json={"prompt": "a cat", **body})


def me(stack: Stack, token: str) -> dict[str, Any]:
    return dict(stack.api("GET", "/api/auth/me", token=token).json())


def test_deleting_running_veo_videos_does_not_give_free_renders(emulator: StorageEmulator, tmp_path: Path,
                                                               gemini: FakeGemini) -> None:
    """The issue's example: 0 credits, a quota of 3, start-and-delete 6 videos once GENERATING."""
    gemini.script("operation", *[veo_running()] * 10_000)
    with stack_with(emulator, tmp_path, VIDEO_PROVIDER="veo", GEMINI_BASE_URL=gemini.base_url, POLL_INTERVAL_S=0.2) as stack:
        stack.svc.secrets.put(GEMINI_API_KEY, GEMINI_KEY)
        token = stack.register()
        answers = []
        for _ in range(6):
            r = video(stack, token)
            answers.append(r.status_code)
            if r.status_code != 202:
                continue
            task = r.json()
            running = wait_task(stack, token, task["id"], until=("GENERATING",))
            assert running["refund_on_cancel"] is False  # Veo's API cannot stop a job: the UI says so
            assert stack.api("DELETE", f"/api/ai/tasks/{task['id']}", token=token).status_code == 204
        # Each deleted task had already been claimed by the worker, whose submission goes on: 3 renders, paid.
        wait_until(lambda: len(gemini.requests_to("predict")) == 3, what="the three submissions to Veo")


def test_cancel_at_an_openai_style_gateway_stops_the_job_and_refunds(emulator: StorageEmulator, tmp_path: Path,
                                                                     openai_fake: FakeOpenAIVideos) -> None:
    """Second member: a provider whose API can cancel (DELETE /v1/videos/{id})."""
    openai_fake.script("retrieve", *[video_status("in_progress", progress=10)] * 10_000)
    with stack_with(emulator, tmp_path, VIDEO_PROVIDER="sora", OPENAI_BASE_URL=openai_fake.base_url,
                    POLL_INTERVAL_S=0.2) as stack:
        stack.svc.secrets.put(OPENAI_API_KEY, OPENAI_KEY)
        token = stack.register()
        task = video(stack, token).json()
        running = wait_task(stack, token, task["id"], until=("GENERATING",))
        wait_until(lambda: (stack.svc.db.tasks.find_one({"_id": task["id"]}) or {}).get("job") is not None,
                   what="the gateway's job id stored on the task")
        assert running["refund_on_cancel"] is True
        r = stack.api("POST", f"/api/ai/tasks/{task['id']}/cancel", token=token)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "FAILED" and body["error"]["code"] == "canceled"
        assert "refunded" in body["error"]["message"]
        assert me(stack, token)["quota"]["video"]["used"] == 0
        deleted = openai_fake.requests_to("delete")
        assert len(deleted) == 1 and deleted[0].path.endswith(stack.svc.db.tasks.find_one({"_id": task["id"]})["job"]["id"])
        again = stack.api("POST", f"/api/ai/tasks/{task['id']}/cancel", token=token)
        assert again.status_code == 409 and error_of(again)["code"] == "conflict"
        assert me(stack, token)["quota"]["video"]["used"] == 0  # refunded once


def test_a_task_that_never_reached_a_provider_is_refunded(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    held = HeldQueue()
    monkeypatch.setattr(stack.svc.generation, "queue", held)
    token = stack.register()
    task = video(stack, token).json()
    assert task["refund_on_cancel"] is True
    assert me(stack, token)["quota"]["video"]["used"] == 1
    r = stack.api("POST", f"/api/ai/tasks/{task['id']}/cancel", token=token)
    assert r.status_code == 200 and "before it reached" in r.json()["error"]["message"]
    assert me(stack, token)["quota"]["video"]["used"] == 0
    assert stack.worker(held.payloads[0]).json()["outcome"] == "nothing_to_do"  # the late delivery does nothing


def test_a_job_submitted_while_the_task_was_canceled_is_stopped_at_the_provider(
    emulator: StorageEmulator, tmp_path: Path, openai_fake: FakeOpenAIVideos, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race: cancel while the worker is submitting. The charge is kept (the job may exist) and
    the job the worker got back is deleted at the gateway."""
    openai_fake.script("retrieve", *[video_status("in_progress", progress=10)] * 10_000)
    with stack_with(emulator, tmp_path, VIDEO_PROVIDER="sora", OPENAI_BASE_URL=openai_fake.base_url) as stack:
        stack.svc.secrets.put(OPENAI_API_KEY, OPENAI_KEY)
        held = HeldQueue()
        monkeypatch.setattr(stack.svc.generation, "queue", held)
        token = stack.register()
        task = video(stack, token).json()
        provider = stack.svc.providers.get("sora")
        real_submit = provider.submit

        def submit_then_user_cancels(request: Any) -> Any:
            status = real_submit(request)
            r = stack.api("POST", f"/api/ai/tasks/{task['id']}/cancel", token=token)
            assert r.status_code == 200 and "charge is kept" in r.json()["error"]["message"], r.text
            return status

        monkeypatch.setattr(provider, "submit", submit_then_user_cancels)
        assert stack.worker(held.payloads[0]).status_code == 200
        assert len(openai_fake.requests_to("delete")) == 1
        assert me(stack, token)["quota"]["video"]["used"] == 1
