"""VeoVideoProvider through the real google-genai SDK against FakeGemini's Veo endpoints: what is Veo's own.

Credentials, model 404, 429/5xx, timeouts and malformed answers: test_provider_contract.py, for every adapter.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from common.providers.base import (
    GenerationRequest,
    InvalidProviderRequest,
    JobStatus,
    MediaKind,
    ProviderRateLimited,
    ProviderUnavailable,
    ReferenceImage,
    ResultExpired,
    SafetyRefusal,
)
from common.providers.veo import VeoVideoProvider
from tests.fakes import FakeGemini, mp4_bytes, png_bytes
from tests.fakes.gemini import (
    not_found,
    veo_done,
    veo_failed,
    veo_filtered,
    veo_no_videos,
    veo_running,
)
from tests.fakes.media import MP4_HEIGHT, MP4_SECONDS, MP4_WIDTH


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake() -> Iterator[FakeGemini]:
    with FakeGemini() as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def provider(fake: FakeGemini, clock: FakeClock) -> VeoVideoProvider:
    return VeoVideoProvider(
        api_key=lambda: "test-key", base_url=fake.base_url, timeout_s=5, typical_runtime_s=100, clock=clock
    )


def video_request(*, aspect_ratio: str = "16:9", duration_s: int | None = 8, **kwargs: object) -> GenerationRequest:
    return GenerationRequest(
        kind=MediaKind.VIDEO,
        prompt="a drone shot over a neon city",
        aspect_ratio=aspect_ratio,
        duration_s=duration_s,
        task_id="task-v",
        **kwargs,
    )


def assert_clean(status_or_error: JobStatus | Exception) -> None:
    error = status_or_error.error if isinstance(status_or_error, JobStatus) else status_or_error
    assert error is not None
    assert error.message == type(error).user_message
    assert "operations/" not in error.message and "58061214" not in error.message


# ---- success -------------------------------------------------------------------------


def test_job_runs_with_estimated_progress_then_fetches_a_real_mp4(
    provider: VeoVideoProvider, fake: FakeGemini, clock: FakeClock
) -> None:
    fake.script("operation", veo_running(), veo_running(), veo_done())
    submitted = provider.submit(video_request())
    assert (submitted.done, submitted.progress) == (False, 0)
    assert submitted.job_id.startswith("models/veo-3.1-generate-preview/operations/")

    clock.now += 30
    early = provider.poll(submitted.job_id, state=submitted.state)
    clock.now += 1_000  # far past the typical runtime: still only an estimate
    late = provider.poll(submitted.job_id, state=early.state)
    finished = provider.poll(submitted.job_id, state=late.state)

    assert (early.done, early.progress) == (False, 30)
    assert (late.done, late.progress) == (False, 95)
    assert (finished.done, finished.progress, finished.error) == (True, 100, None)
    result = provider.fetch(submitted.job_id, state=finished.state)
    assert result.data == mp4_bytes()
    assert result.data[4:8] == b"ftyp"
    assert (result.mime_type, result.width, result.height, result.duration_s) == (
        "video/mp4",
        MP4_WIDTH,
        MP4_HEIGHT,
        MP4_SECONDS,
    )


def test_poll_and_download_go_to_the_configured_base_url_with_the_key(
    provider: VeoVideoProvider, fake: FakeGemini
) -> None:
    submitted = provider.submit(video_request())
    finished = provider.poll(submitted.job_id, state=submitted.state)
    provider.fetch(submitted.job_id, state=finished.state)

    [poll] = fake.requests_to("operation")
    [download] = fake.requests_to("download")
    assert poll.path == f"/v1beta/{submitted.job_id}"
    assert download.path.startswith("/v1beta/files/") and download.query["alt"] == ["media"]
    assert poll.headers["x-goog-api-key"] == download.headers["x-goog-api-key"] == "test-key"
    assert len(fake.requests_to("media")) == 1  # the storage redirect was followed


def test_fetch_without_saved_state_reads_the_operation_again(provider: VeoVideoProvider, fake: FakeGemini) -> None:
    submitted = provider.submit(video_request())

    result = provider.fetch(submitted.job_id, state={})

    assert result.data == mp4_bytes()
    assert len(fake.requests_to("operation")) == 1


# ---- request shape ------------------------------------------------------------------------


def test_submit_posts_predict_long_running_with_prompt_start_image_and_parameters(
    provider: VeoVideoProvider, fake: FakeGemini
) -> None:
    start = png_bytes(16, 9)
    provider.submit(
        video_request(start_image=ReferenceImage(start, "image/png"), model="veo-3.1-fast-generate-preview")
    )

    [sent] = fake.requests_to("predict")
    assert sent.path == "/v1beta/models/veo-3.1-fast-generate-preview:predictLongRunning"
    assert sent.headers["x-goog-api-key"] == "test-key"
    body = sent.json()
    [instance] = body["instances"]
    assert instance["prompt"] == "a drone shot over a neon city"
    assert instance["image"]["mimeType"] == "image/png"
    assert base64.b64decode(instance["image"]["bytesBase64Encoded"]) == start
    assert body["parameters"] == {"aspectRatio": "16:9", "durationSeconds": 8}


@pytest.mark.parametrize(("requested", "sent"), [(4, 4), (8, 8), (12, 8), (6, 6), (None, 8)])
def test_durations_map_onto_veo_lengths(
    provider: VeoVideoProvider, fake: FakeGemini, requested: int | None, sent: int
) -> None:
    status = provider.submit(video_request(duration_s=requested))

    assert fake.requests_to("predict")[0].json()["parameters"]["durationSeconds"] == sent
    assert status.state["duration_s"] == sent


@pytest.mark.parametrize(("aspect", "sent"), [("16:9", "16:9"), ("9:16", "9:16"), ("1:1", "16:9"), ("3:4", "9:16")])
def test_aspect_ratios_map_onto_veo_orientations(
    provider: VeoVideoProvider, fake: FakeGemini, aspect: str, sent: str
) -> None:
    provider.submit(video_request(aspect_ratio=aspect))

    assert fake.requests_to("predict")[0].json()["parameters"]["aspectRatio"] == sent


# ---- refusals and job errors ---------------------------------------------------------------


def test_filtered_video_is_a_clean_safety_refusal(provider: VeoVideoProvider, fake: FakeGemini) -> None:
    fake.script("operation", veo_filtered())
    submitted = provider.submit(video_request())

    status = provider.poll(submitted.job_id, state=submitted.state)

    assert status.done and isinstance(status.error, SafetyRefusal)
    assert_clean(status)
    assert "58061214" in status.error.detail  # kept for the logs


def test_finished_operation_without_videos_is_a_safety_refusal(provider: VeoVideoProvider, fake: FakeGemini) -> None:
    fake.script("operation", veo_no_videos())
    submitted = provider.submit(video_request())

    status = provider.poll(submitted.job_id, state=submitted.state)

    assert isinstance(status.error, SafetyRefusal)


@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        (3, "The prompt could not be submitted. It violates our usage guidelines.", SafetyRefusal),
        (3, "durationSeconds must be one of 4, 6, 8", InvalidProviderRequest),
        (13, "Internal error encountered.", ProviderUnavailable),
        (8, "Quota exceeded for video generation.", ProviderRateLimited),
    ],
)
def test_operation_errors_map_to_provider_errors(
    provider: VeoVideoProvider, fake: FakeGemini, code: int, message: str, expected: type
) -> None:
    fake.script("operation", veo_failed(code, message))
    submitted = provider.submit(video_request())

    status = provider.poll(submitted.job_id, state=submitted.state)

    assert status.done and type(status.error) is expected
    assert message not in status.error.message


def test_download_of_an_expired_file_is_result_expired(provider: VeoVideoProvider, fake: FakeGemini) -> None:
    submitted = provider.submit(video_request())
    finished = provider.poll(submitted.job_id, state=submitted.state)
    fake.script("download", not_found())

    with pytest.raises(ResultExpired):
        provider.fetch(submitted.job_id, state=finished.state)


# ---- creative controls --------------------------------------------------------------------------


def test_seed_negative_prompt_last_frame_and_extension_reach_the_request(provider: VeoVideoProvider, fake: FakeGemini) -> None:
    start, end = png_bytes(16, 9), png_bytes(16, 9, (255, 0, 0))
    provider.submit(video_request(start_image=ReferenceImage(start, "image/png"), end_image=ReferenceImage(end, "image/png"),
                                  seed=42, negative_prompt="blur"))
    body = fake.requests_to("predict")[-1].json()
    assert body["parameters"]["seed"] == 42 and body["parameters"]["negativePrompt"] == "blur"
    assert base64.b64decode(body["instances"][0]["lastFrame"]["bytesBase64Encoded"]) == end
    provider.submit(video_request(mode="extend", source_ref={"job_id": "op", "video_uri": "https://example/v1beta/files/abc:download"}))
    body = fake.requests_to("predict")[-1].json()
    assert body["instances"][0]["video"] == {"uri": "https://example/v1beta/files/abc:download"}
    assert "durationSeconds" not in body["parameters"]
    with pytest.raises(InvalidProviderRequest):
        provider.submit(video_request(mode="extend", source_ref={"job_id": "sim-1"}))
