"""OpenAIVideoProvider through the real openai SDK against FakeOpenAIVideos (/v1/videos): what is Sora's own.

Credentials, model 404, 429/5xx, timeouts, malformed answers and cancel: test_provider_contract.py, for every adapter.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from PIL import Image

from common.clock import FrozenClock
from common.providers.base import (
    GenerationRequest,
    InvalidProviderRequest,
    MediaKind,
    ProviderError,
    ReferenceImage,
    ResultExpired,
    SafetyRefusal,
)
from common.providers.openai_video import OpenAIVideoProvider
from tests.fakes import FakeOpenAIVideos, mp4_bytes, png_bytes
from tests.fakes.media import MP4_HEIGHT, MP4_SECONDS, MP4_WIDTH
from tests.fakes.openai_videos import (
    moderation_rejected,
    openai_error,
    video_status,
)

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    """The one clock of the gateway and the adapter: moved by hand, never read from the wall."""
    return FrozenClock(T0)


@pytest.fixture
def fake(clock: FrozenClock) -> Iterator[FakeOpenAIVideos]:
    with FakeOpenAIVideos(clock=clock) as server:
        yield server


@pytest.fixture
def provider(fake: FakeOpenAIVideos, clock: FrozenClock) -> OpenAIVideoProvider:
    return OpenAIVideoProvider(api_key=lambda: "test-key", base_url=fake.base_url, timeout_s=5,
                               clock=lambda: clock.now().timestamp())


def video_request(*, aspect_ratio: str = "16:9", duration_s: int | None = 8, **kwargs: object) -> GenerationRequest:
    return GenerationRequest(
        kind=MediaKind.VIDEO,
        prompt="a paper boat in the rain",
        aspect_ratio=aspect_ratio,
        duration_s=duration_s,
        task_id="task-s",
        **kwargs,
    )


# ---- success -------------------------------------------------------------------------


def test_job_reports_provider_progress_then_fetches_a_real_mp4(
    provider: OpenAIVideoProvider, fake: FakeOpenAIVideos
) -> None:
    fake.script(
        "retrieve",
        video_status("queued", progress=0),
        video_status("in_progress", progress=40),
        video_status("in_progress", progress=80),
    )
    submitted = provider.submit(video_request())
    polls = [provider.poll(submitted.job_id, state=submitted.state) for _ in range(4)]

    assert (submitted.done, submitted.progress) == (False, 0)
    assert [(p.done, p.progress) for p in polls] == [(False, 0), (False, 40), (False, 80), (True, 100)]
    assert polls[-1].error is None
    result = provider.fetch(submitted.job_id, state=polls[-1].state)
    assert result.data == mp4_bytes() and result.data[4:8] == b"ftyp"
    assert (result.mime_type, result.width, result.height, result.duration_s) == (
        "video/mp4",
        MP4_WIDTH,
        MP4_HEIGHT,
        MP4_SECONDS,
    )
    [download] = fake.requests_to("content")
    assert download.path == f"/v1/videos/{submitted.job_id}/content"


def test_completed_job_keeps_expires_at_in_state(provider: OpenAIVideoProvider) -> None:
    submitted = provider.submit(video_request())

    finished = provider.poll(submitted.job_id, state=submitted.state)

    assert finished.state["expires_at"] == int(T0.timestamp()) + 3600  # the fake's default: an hour after completion
    assert finished.state["seconds"] == "8" and finished.state["size"] == "1280x720"


# ---- request shape ------------------------------------------------------------------------


def test_create_is_multipart_with_bearer_key_model_prompt_string_seconds_and_size(
    provider: OpenAIVideoProvider, fake: FakeOpenAIVideos
) -> None:
    provider.submit(video_request(aspect_ratio="9:16", duration_s=12))

    [sent] = fake.requests_to("create")
    assert sent.path == "/v1/videos"
    assert sent.headers["authorization"] == "Bearer test-key"
    assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")
    form = sent.form()
    assert {name: field.text for name, field in form.items()} == {
        "model": "sora-2",
        "prompt": "a paper boat in the rain",
        "seconds": "12",
        "size": "720x1280",
    }


@pytest.mark.parametrize(("requested", "seconds"), [(4, "4"), (8, "8"), (12, "12"), (6, "8"), (None, "8"), (20, "12")])
def test_durations_map_onto_sora_seconds_strings(
    provider: OpenAIVideoProvider, fake: FakeOpenAIVideos, requested: int | None, seconds: str
) -> None:
    provider.submit(video_request(duration_s=requested))

    assert fake.requests_to("create")[0].form()["seconds"].text == seconds


@pytest.mark.parametrize(
    ("aspect", "size"), [("16:9", "1280x720"), ("9:16", "720x1280"), ("1:1", "1280x720"), ("3:4", "720x1280")]
)
def test_aspect_ratios_map_onto_sora_sizes(
    provider: OpenAIVideoProvider, fake: FakeOpenAIVideos, aspect: str, size: str
) -> None:
    provider.submit(video_request(aspect_ratio=aspect))

    assert fake.requests_to("create")[0].form()["size"].text == size


def test_start_image_is_uploaded_as_input_reference_at_exactly_the_video_size(
    provider: OpenAIVideoProvider, fake: FakeOpenAIVideos
) -> None:
    provider.submit(video_request(model="sora-2-pro", start_image=ReferenceImage(png_bytes(300, 300), "image/png")))

    form = fake.requests_to("create")[0].form()
    reference = form["input_reference"]
    assert reference.filename == "reference.png" and reference.content_type == "image/png"
    assert Image.open(io.BytesIO(reference.data)).size == (1280, 720)
    assert form["model"].text == "sora-2-pro"


def test_start_image_of_the_right_size_is_sent_unchanged(provider: OpenAIVideoProvider, fake: FakeOpenAIVideos) -> None:
    exact = png_bytes(720, 1280)

    provider.submit(video_request(aspect_ratio="9:16", start_image=ReferenceImage(exact, "image/png")))

    assert fake.requests_to("create")[0].form()["input_reference"].data == exact


@pytest.mark.filterwarnings("error::DeprecationWarning")
def test_sdk_deprecation_warning_never_becomes_an_error(provider: OpenAIVideoProvider) -> None:
    submitted = provider.submit(video_request())
    finished = provider.poll(submitted.job_id, state=submitted.state)

    assert provider.fetch(submitted.job_id, state=finished.state).data == mp4_bytes()


# ---- job failures and terminal statuses ------------------------------------------------------


@pytest.mark.parametrize("code", ["moderation_blocked", "content_policy_violation", "output_moderation"])
def test_failed_job_with_a_moderation_code_is_a_clean_safety_refusal(
    provider: OpenAIVideoProvider, fake: FakeOpenAIVideos, code: str
) -> None:
    fake.script(
        "retrieve",
        video_status("failed", error={"code": code, "message": "Blocked by moderation (id video_68ab12cd34)."}),
    )
    submitted = provider.submit(video_request())

    status = provider.poll(submitted.job_id, state=submitted.state)

    assert status.done and isinstance(status.error, SafetyRefusal)
    assert status.error.message == SafetyRefusal.user_message


def test_failed_job_with_another_code_is_a_provider_error_with_the_sanitized_message(
    provider: OpenAIVideoProvider, fake: FakeOpenAIVideos
) -> None:
    message = "Generation failed for video_68ab12cd34ef: the renderer crashed, see https://status.example.test/req_9f8e7d6c5b4a"
    fake.script("retrieve", video_status("failed", error={"code": "generation_failed", "message": message}))
    submitted = provider.submit(video_request())

    status = provider.poll(submitted.job_id, state=submitted.state)

    assert status.done and type(status.error) is ProviderError
    assert "the renderer crashed" in status.error.message
    assert "video_68ab" not in status.error.message and "https://" not in status.error.message
    assert message in status.error.detail


def test_expired_status_is_terminal_result_expired(provider: OpenAIVideoProvider, fake: FakeOpenAIVideos) -> None:
    fake.script("retrieve", video_status("expired", progress=100))
    submitted = provider.submit(video_request())

    status = provider.poll(submitted.job_id, state=submitted.state)

    assert status.done and isinstance(status.error, ResultExpired)


@pytest.mark.parametrize("status_name", ["cancelled", "deleted", ""])
def test_unknown_status_is_a_terminal_failure_never_still_running(
    provider: OpenAIVideoProvider, fake: FakeOpenAIVideos, status_name: str
) -> None:
    fake.script("retrieve", video_status(status_name, progress=10))
    submitted = provider.submit(video_request())

    status = provider.poll(submitted.job_id, state=submitted.state)

    assert status.done and isinstance(status.error, ProviderError) and not status.error.retryable


def test_fetch_after_expires_at_is_result_expired_without_a_download(
    provider: OpenAIVideoProvider, fake: FakeOpenAIVideos, clock: FrozenClock
) -> None:
    submitted = provider.submit(video_request())
    finished = provider.poll(submitted.job_id, state=submitted.state)
    clock.advance(3600)  # exactly at expires_at: too late

    with pytest.raises(ResultExpired):
        provider.fetch(submitted.job_id, state=finished.state)
    assert fake.requests_to("content") == []


def test_download_answering_404_is_result_expired(provider: OpenAIVideoProvider, fake: FakeOpenAIVideos) -> None:
    fake.script("content", openai_error(404, "Video content has expired.", code="not_found"))

    with pytest.raises(ResultExpired):
        provider.fetch("video_gone", state={})


# ---- request errors and remix -----------------------------------------------------------------


def test_moderation_rejection_at_create_is_a_safety_refusal(
    provider: OpenAIVideoProvider, fake: FakeOpenAIVideos
) -> None:
    fake.script("create", moderation_rejected())

    with pytest.raises(SafetyRefusal) as caught:
        provider.submit(video_request())

    assert caught.value.message == SafetyRefusal.user_message


def test_other_bad_request_at_create_is_a_permanent_invalid_request(
    provider: OpenAIVideoProvider, fake: FakeOpenAIVideos
) -> None:
    fake.script("create", openai_error(400, "Invalid size '640x480'.", code="invalid_value"))

    with pytest.raises(InvalidProviderRequest) as caught:
        provider.submit(video_request())

    assert not caught.value.retryable


def test_remix_posts_the_new_prompt_to_the_source_videos_remix_endpoint(provider: OpenAIVideoProvider, fake: FakeOpenAIVideos) -> None:
    source = provider.submit(video_request())
    import dataclasses

    request = dataclasses.replace(video_request(), prompt="the same, at night", mode="remix", source_ref={"job_id": source.job_id})
    remix = provider.submit(request)
    [sent] = fake.requests_to("remix")
    assert sent.path == f"/v1/videos/{source.job_id}/remix"
    assert sent.json() == {"prompt": "the same, at night"}
    assert remix.job_id != source.job_id
    assert provider.fetch(remix.job_id, state=provider.poll(remix.job_id, state=remix.state).state).mime_type == "video/mp4"
