"""GeminiImageProvider and GeminiChat through the real google-genai SDK against FakeGemini: what is Gemini's own.

Credentials, model 404, 429/5xx, timeouts and malformed answers: test_provider_contract.py, for every adapter.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator

import pytest
from PIL import Image

from common.providers.base import (
    GenerationRequest,
    InvalidProviderRequest,
    MediaKind,
    ProviderError,
    ProviderNotConfigured,
    ProviderUnavailable,
    ReferenceImage,
    SafetyRefusal,
)
from common.providers.gemini import GeminiChat, GeminiImageProvider
from tests.fakes import FakeGemini, png_bytes
from tests.fakes.gemini import (
    bad_request,
    image_size_for,
    prompt_blocked,
    safety_stop,
    sse,
    text_only_answer,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def fake() -> Iterator[FakeGemini]:
    with FakeGemini() as server:
        yield server


@pytest.fixture
def provider(fake: FakeGemini) -> GeminiImageProvider:
    return GeminiImageProvider(api_key=lambda: "test-key", base_url=fake.base_url, timeout_s=5)


def image_request(*, aspect_ratio: str = "16:9", task_id: str = "task-1", **kwargs: object) -> GenerationRequest:
    return GenerationRequest(
        kind=MediaKind.IMAGE, prompt="a neon cat on a rooftop", aspect_ratio=aspect_ratio, task_id=task_id, **kwargs
    )


def decode_blob(part: dict[str, dict[str, str]]) -> bytes:
    """Bytes of an inline-data part; the SDK sends URL-safe base64 (the API takes both alphabets)."""
    blob = part.get("inlineData") or part["inline_data"]
    return base64.b64decode(blob["data"], altchars=b"-_")


def assert_clean(error: ProviderError) -> None:
    """A user-facing message: the class's own text, no provider ids or payloads."""
    assert error.message == type(error).user_message
    assert "req-" not in error.message and "{" not in error.message


# ---- image: success and request shape -----------------------------------------------


@pytest.mark.parametrize("aspect_ratio", ["16:9", "9:16", "1:1", "21:9"])
def test_submit_returns_finished_job_and_fetch_gives_real_png_of_the_requested_aspect(
    provider: GeminiImageProvider, aspect_ratio: str
) -> None:
    status = provider.submit(image_request(aspect_ratio=aspect_ratio, task_id="t-42"))

    assert (status.job_id, status.done, status.progress, status.error, status.state) == (
        "gemini-t-42",
        True,
        100,
        None,
        {},
    )
    result = provider.fetch(status.job_id, state=status.state)
    assert result.data.startswith(PNG_SIGNATURE)
    assert Image.open(io.BytesIO(result.data)).size == image_size_for(aspect_ratio)
    assert (result.mime_type, result.width, result.height) == ("image/png", *image_size_for(aspect_ratio))


def test_request_sends_key_header_prompt_reference_images_and_image_config(
    provider: GeminiImageProvider, fake: FakeGemini
) -> None:
    reference = png_bytes(8, 8, (255, 0, 0))
    provider.submit(image_request(aspect_ratio="3:4", reference_images=(ReferenceImage(reference, "image/png"),)))

    [sent] = fake.requests_to("generate")
    assert sent.path == "/v1beta/models/gemini-3-pro-image:generateContent"  # the default model
    assert sent.headers["x-goog-api-key"] == "test-key"
    body = sent.json()
    [content] = body["contents"]
    assert content["role"] == "user"
    text_part, image_part = content["parts"]
    assert text_part == {"text": "a neon cat on a rooftop"}
    assert decode_blob(image_part) == reference
    assert body["generationConfig"]["responseModalities"] == ["IMAGE"]
    assert body["generationConfig"]["imageConfig"] == {"aspectRatio": "3:4"}


def test_model_named_in_the_request_overrides_the_configured_one(
    provider: GeminiImageProvider, fake: FakeGemini
) -> None:
    provider.submit(image_request(model="gemini-3-pro-image-preview"))

    assert fake.requests_to("generate")[0].path == "/v1beta/models/gemini-3-pro-image-preview:generateContent"


def test_poll_and_repeated_fetch_never_call_the_model_again(provider: GeminiImageProvider, fake: FakeGemini) -> None:
    status = provider.submit(image_request())

    assert provider.poll(status.job_id, state={}).done
    first = provider.fetch(status.job_id, state={})
    second = provider.fetch(status.job_id, state={})

    assert first.data == second.data
    assert len(fake.requests_to("generate")) == 1


def test_fetch_in_a_fresh_process_raises_retryable_result_lost(fake: FakeGemini) -> None:
    submitted_by = GeminiImageProvider(api_key=lambda: "test-key", base_url=fake.base_url)
    status = submitted_by.submit(image_request())
    restarted = GeminiImageProvider(api_key=lambda: "test-key", base_url=fake.base_url)

    with pytest.raises(ProviderUnavailable) as caught:
        restarted.fetch(status.job_id, state=status.state)

    assert caught.value.retryable
    polled = restarted.poll(status.job_id, state=status.state)
    assert polled.done and isinstance(polled.error, ProviderUnavailable)
    assert len(fake.requests_to("generate")) == 1


def test_result_cache_is_bounded_and_evicts_the_oldest_image(fake: FakeGemini) -> None:
    provider = GeminiImageProvider(api_key=lambda: "test-key", base_url=fake.base_url, cache_entries=2)
    jobs = [provider.submit(image_request(task_id=f"t{i}")).job_id for i in range(3)]

    with pytest.raises(ProviderUnavailable):
        provider.fetch(jobs[0], state={})
    assert provider.fetch(jobs[2], state={}).data.startswith(PNG_SIGNATURE)


def test_unsupported_aspect_ratio_is_refused_without_calling_the_model(
    provider: GeminiImageProvider, fake: FakeGemini
) -> None:
    with pytest.raises(InvalidProviderRequest):
        provider.submit(image_request(aspect_ratio="5:1"))
    assert fake.requests == []


# ---- image: refusals and errors -------------------------------------------------------


@pytest.mark.parametrize("finish_reason", ["IMAGE_SAFETY", "SAFETY", "PROHIBITED_CONTENT"])
def test_safety_stop_becomes_a_clean_safety_refusal(
    provider: GeminiImageProvider, fake: FakeGemini, finish_reason: str
) -> None:
    fake.script("generate", safety_stop(finish_reason))

    with pytest.raises(SafetyRefusal) as caught:
        provider.submit(image_request())

    assert_clean(caught.value)
    assert not caught.value.retryable
    assert finish_reason in caught.value.detail


def test_blocked_prompt_becomes_a_clean_safety_refusal(provider: GeminiImageProvider, fake: FakeGemini) -> None:
    fake.script("generate", prompt_blocked("PROHIBITED_CONTENT"))

    with pytest.raises(SafetyRefusal) as caught:
        provider.submit(image_request())

    assert_clean(caught.value)


def test_answer_without_an_image_is_a_permanent_error_that_says_so(
    provider: GeminiImageProvider, fake: FakeGemini
) -> None:
    fake.script("generate", text_only_answer())

    with pytest.raises(InvalidProviderRequest) as caught:
        provider.submit(image_request())

    assert caught.value.message.startswith("The model answered without an image")
    assert not caught.value.retryable


def test_other_bad_request_is_a_permanent_invalid_request(provider: GeminiImageProvider, fake: FakeGemini) -> None:
    fake.script("generate", bad_request())

    with pytest.raises(InvalidProviderRequest) as caught:
        provider.submit(image_request())

    assert not caught.value.retryable


# ---- chat ---------------------------------------------------------------------------


@pytest.fixture
def chat(fake: FakeGemini) -> GeminiChat:
    return GeminiChat(api_key=lambda: "test-key", base_url=fake.base_url, model="gemini-2.5-flash", timeout_s=5)


def test_chat_streams_the_reply_chunks_over_sse_with_history_in_gemini_roles(
    chat: GeminiChat, fake: FakeGemini
) -> None:
    fake.script("stream", sse("Neon ", "cats ", "glow."))

    chunks = list(chat.stream_text([("user", "hi"), ("assistant", "Hello!")], "Describe a neon cat", []))

    assert chunks == ["Neon ", "cats ", "glow."]
    [sent] = fake.requests_to("stream")
    assert sent.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    assert sent.query["alt"] == ["sse"]
    assert sent.headers["x-goog-api-key"] == "test-key"
    contents = sent.json()["contents"]
    assert [(c["role"], c["parts"][0]["text"]) for c in contents] == [
        ("user", "hi"),
        ("model", "Hello!"),
        ("user", "Describe a neon cat"),
    ]


def test_chat_sends_attachments_inline_with_the_message(chat: GeminiChat, fake: FakeGemini) -> None:
    photo = png_bytes(4, 4)

    list(chat.stream_text([], "What is this?", [ReferenceImage(photo, "image/png")]))

    last = fake.requests_to("stream")[0].json()["contents"][-1]
    assert decode_blob(last["parts"][1]) == photo


def test_chat_safety_stop_in_the_stream_raises_a_clean_safety_refusal(chat: GeminiChat, fake: FakeGemini) -> None:
    fake.script("stream", sse("I can't", finish_reason="SAFETY"))

    with pytest.raises(SafetyRefusal) as caught:
        list(chat.stream_text([], "something unsafe", []))

    assert_clean(caught.value)


def test_chat_without_a_key_fails_at_the_call_before_streaming(fake: FakeGemini) -> None:
    """The turn reads the first chunk before answering; a missing key must not even get that far."""
    unconfigured = GeminiChat(api_key=lambda: None, base_url=fake.base_url)
    with pytest.raises(ProviderNotConfigured):
        unconfigured.stream_text([], "hi", [])  # raises on the call, not on first iteration

