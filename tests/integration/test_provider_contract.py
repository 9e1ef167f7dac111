"""One contract for every provider adapter, each through its official SDK against its fake on 127.0.0.1.

The worker (`common/generation.py`) and the chat turn rely on the same few promises from every adapter
in `common/providers/`; this suite states them once and runs them for each:

- the happy path gives real media (PNG / MP4 bytes whose own size and length are what the adapter
  reports), a JSON-serialisable job state, an idempotent fetch; or, for chat, text chunks;
- a refused credential (401/403, Google's 400 API_KEY_INVALID) is the permanent `provider_auth`;
- a model the vendor does not serve (404) is the permanent `model_unavailable`, naming the setting;
- 429 and 5xx are retryable, the SDK does not retry on its own, and the next call succeeds;
- an answer that never comes (the client's timeout) or a closed port is retryable;
- a malformed or empty 200 answer is a permanent `ProviderError` with a clean message, never a crash;
- no key: `ProviderNotConfigured` and nothing sent; a rotated key is used on the next call;
- `cancel` exists exactly where the vendor's API can stop a job, and confirms it.

An adapter is a `Case`; each HTTP call it makes is a `Call` (the phase of a job and the fake's endpoint).
Failures are scripted on the endpoint of the phase under test after the earlier phases ran for real.
Provider-specific behaviour (request shapes, progress estimates, safety mapping, expiry) stays in
test_provider_gemini.py, test_provider_veo.py and test_provider_openai_video.py.
"""

from __future__ import annotations

import base64
import io
import json
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from common.clock import FrozenClock
from common.media_probe import mp4_facts
from common.providers.base import (
    GenerationRequest,
    JobStatus,
    MediaKind,
    MediaResult,
    ModelUnavailable,
    ProviderAuthError,
    ProviderError,
    ProviderNotConfigured,
    ProviderRateLimited,
    ProviderUnavailable,
    SafetyRefusal,
)
from common.providers.gemini import GeminiChat, GeminiImageProvider
from common.providers.openai_video import OpenAIVideoProvider
from common.providers.sim import SimProvider
from common.providers.sim_chat import SimChat
from common.providers.veo import VeoVideoProvider
from tests.fakes.gemini import (
    FakeGemini,
    api_key_invalid,
    fake_service_account,
    google_error,
    internal_error,
    model_not_found,
    quota_exhausted,
)
from tests.fakes.openai_videos import (
    FakeOpenAIVideos,
    invalid_api_key,
    openai_error,
    rate_limited,
    server_error,
)
from tests.fakes.server import FakeServer, Reply, slow

KEY = "test-key"
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # the fakes' and adapters' clock: no wall-clock arithmetic
TIMEOUT_S = 0.2  # the client timeout of the call under test only; the fake holds its answer until it stops: no race
NEVER_S = 3600.0
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
HTML = b"<html><body><h1>502 Bad Gateway</h1></body></html>"

# ---- the vendors' own failure replies -------------------------------------------------------------------------


@dataclass(frozen=True)
class Failures:
    """What a vendor answers for each failure the contract covers (its wire format: PROVIDERS.md)."""

    auth: tuple[Reply, ...]
    model_not_found: Reply
    rate_limited: Reply
    server_errors: tuple[Reply, ...]


GOOGLE = Failures(
    auth=(api_key_invalid(), google_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."),
          google_error(403, "PERMISSION_DENIED", "Permission denied on resource project.")),
    model_not_found=model_not_found("gemini-9-retired"),
    rate_limited=quota_exhausted(),
    server_errors=(internal_error(), google_error(503, "UNAVAILABLE", "The service is currently unavailable."),
                   Reply(status=502, body=HTML, content_type="text/html")),
)
OPENAI = Failures(
    auth=(invalid_api_key(), openai_error(403, "Country, region, or territory not supported.",
                                          code="unsupported_country_region_territory")),
    model_not_found=openai_error(404, "The model `sora-9` does not exist or you do not have access to it.",
                                 code="model_not_found"),
    rate_limited=rate_limited(),
    server_errors=(server_error(), openai_error(503, "The engine is currently overloaded.", type="server_error"),
                   Reply(status=502, body=HTML, content_type="text/html")),
)

# Malformed 200 answers, per endpoint: what a broken gateway or a changed API might send.
NOT_JSON = Reply(body=HTML, content_type="text/html")
EMPTY_JSON = Reply.json({})
EMPTY_BODY = Reply(body=b"", content_type="application/octet-stream")
NOT_AN_IMAGE = Reply.json({"candidates": [{"content": {"role": "model", "parts": [
    {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(b"not a png").decode()}}]}, "finishReason": "STOP"}]})
MALFORMED: dict[str, tuple[Reply, ...]] = {
    "generate": (NOT_JSON, EMPTY_JSON, Reply.json({"candidates": []}), NOT_AN_IMAGE),
    "vertex_generate": (NOT_JSON, EMPTY_JSON),
    "predict": (NOT_JSON, EMPTY_JSON),
    "vertex_predict": (NOT_JSON, EMPTY_JSON),
    "operation": (NOT_JSON,),
    "vertex_operation": (NOT_JSON,),
    "download": (EMPTY_BODY, Reply(body=HTML, content_type="video/mp4")),
    "stream": (Reply(body=b"data: not json\r\n\r\n", content_type="text/event-stream"),
               Reply(body=b"", content_type="text/event-stream")),
    "create": (NOT_JSON, EMPTY_JSON),
    "retrieve": (NOT_JSON, EMPTY_JSON),
    "content": (EMPTY_BODY, Reply(body=HTML, content_type="video/mp4")),
    "delete": (NOT_JSON,),
}

# ---- the adapters -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One HTTP call of an adapter: the job phase that makes it and the fake's endpoint that serves it."""

    phase: str  # "submit" | "poll" | "fetch" | "cancel" | "stream"
    endpoint: str
    names_model: bool = False  # its 404 means "no such model"


@dataclass(frozen=True)
class Case:
    """One adapter under the contract: how to build it against its fake, and what it calls over HTTP."""

    id: str
    build: Callable[..., Any]  # (fake, api_key=, timeout_s=, base_url=, work_dir=) -> adapter
    fake: Callable[[], FakeServer] | None = None
    calls: tuple[Call, ...] = ()
    failures: Failures | None = None
    request: GenerationRequest | None = None  # None: a chat provider
    setting: str = ""  # the settings field a model_unavailable error names
    cancels: bool = False  # the vendor's API can stop a job
    key_header: Callable[[dict[str, str]], str] | None = None  # the key as sent; None: no API key (sim, Vertex)
    transient_prompt: str = ""  # sim: prompts that make it fail, in place of HTTP failures
    refused_prompt: str = ""

    @property
    def is_chat(self) -> bool:
        return self.request is None


def image(prompt: str = "a neon cat on a rooftop") -> GenerationRequest:
    return GenerationRequest(kind=MediaKind.IMAGE, prompt=prompt, aspect_ratio="16:9", task_id="contract-1")


def video(prompt: str = "a drone shot over a neon city") -> GenerationRequest:
    return GenerationRequest(kind=MediaKind.VIDEO, prompt=prompt, aspect_ratio="16:9", duration_s=4,
                             task_id="contract-1")


def unix_clock() -> Callable[[], float]:
    return lambda: T0.timestamp()


def vertex() -> dict[str, Any]:
    return {"project": "contract-proj", "location": "europe-west4", "credentials": fake_service_account()}


def google_key(headers: dict[str, str]) -> str:
    return headers.get("x-goog-api-key", "")


def bearer(headers: dict[str, str]) -> str:
    return headers.get("authorization", "").removeprefix("Bearer ")


CASES = (
    Case("sim-image", build=lambda fake, work_dir, **_: SimProvider(duration_s=0, work_dir=work_dir),
         request=image(), cancels=True, transient_prompt="[sim:down]", refused_prompt="[sim:unsafe]"),
    Case("sim-video", build=lambda fake, work_dir, **_: SimProvider(duration_s=0, work_dir=work_dir),
         request=video(), cancels=True, transient_prompt="[sim:down]", refused_prompt="[sim:unsafe]"),
    Case("gemini-image", fake=FakeGemini, failures=GOOGLE, request=image(), setting="image_model",
         key_header=google_key, calls=(Call("submit", "generate", names_model=True),),
         build=lambda fake, api_key, timeout_s, base_url, **_: GeminiImageProvider(
             api_key=api_key, base_url=base_url, timeout_s=timeout_s)),
    Case("gemini-image-vertex", fake=lambda: FakeGemini(accepted_keys=()), failures=GOOGLE, request=image(),
         setting="image_model", calls=(Call("submit", "vertex_generate", names_model=True),),
         build=lambda fake, api_key, timeout_s, base_url, **_: GeminiImageProvider(
             api_key=api_key, base_url=base_url, timeout_s=timeout_s, vertex=vertex())),
    Case("veo", fake=FakeGemini, failures=GOOGLE, request=video(), setting="veo_model", key_header=google_key,
         calls=(Call("submit", "predict", names_model=True), Call("poll", "operation"), Call("fetch", "download")),
         build=lambda fake, api_key, timeout_s, base_url, **_: VeoVideoProvider(
             api_key=api_key, base_url=base_url, timeout_s=timeout_s, clock=unix_clock())),
    Case("veo-vertex", fake=lambda: FakeGemini(accepted_keys=()), failures=GOOGLE, request=video(),
         setting="veo_model",
         calls=(Call("submit", "vertex_predict", names_model=True), Call("poll", "vertex_operation"),
                Call("fetch", "vertex_operation")),
         build=lambda fake, api_key, timeout_s, base_url, **_: VeoVideoProvider(
             api_key=api_key, base_url=base_url, timeout_s=timeout_s, clock=unix_clock(), vertex=vertex())),
    Case("sora", fake=lambda: FakeOpenAIVideos(clock=FrozenClock(T0)), failures=OPENAI, request=video(),
         setting="sora_model", cancels=True, key_header=bearer,
         calls=(Call("submit", "create", names_model=True), Call("poll", "retrieve"), Call("fetch", "content"),
                Call("cancel", "delete")),
         build=lambda fake, api_key, timeout_s, base_url, **_: OpenAIVideoProvider(
             api_key=api_key, base_url=base_url, timeout_s=timeout_s, clock=unix_clock())),
    Case("gemini-chat", fake=FakeGemini, failures=GOOGLE, setting="chat_model", key_header=google_key,
         calls=(Call("stream", "stream", names_model=True),),
         build=lambda fake, api_key, timeout_s, base_url, **_: GeminiChat(
             api_key=api_key, base_url=base_url, timeout_s=timeout_s)),
    Case("sim-chat", build=lambda fake, **_: SimChat(chunk_delay_s=0),
         transient_prompt="[sim:down]", refused_prompt="[sim:unsafe]"),
)
HTTP_CASES = tuple(case for case in CASES if case.fake is not None)
KEYED_CASES = tuple(case for case in HTTP_CASES if case.key_header is not None)
SIM_CASES = tuple(case for case in CASES if case.fake is None)


def calls_where(predicate: Callable[[Call], bool]) -> list[Any]:
    """pytest params (case, call) over every HTTP call of every adapter that `predicate` selects."""
    return [pytest.param(case, call, id=f"{case.id}-{call.phase}")
            for case in HTTP_CASES for call in case.calls if predicate(call)]


def with_replies(pick: Callable[[Case, Call], tuple[Reply, ...]], predicate: Callable[[Call], bool] = bool) -> list[Any]:
    """pytest params (case, call, reply) for each reply `pick` names for a selected call."""
    return [pytest.param(case, call, reply, id=f"{case.id}-{call.phase}-{reply.status}-{i}")
            for case in HTTP_CASES for call in case.calls if predicate(call)
            for i, reply in enumerate(pick(case, call))]


# ---- driving an adapter ---------------------------------------------------------------------------------------


class Bench:
    """The fakes and adapters of one test module (per xdist worker), shared by its tests.

    Each adapter is built once per (case, timeout, base URL) and its fake is started once and reset before
    each test; adapters read their key from `keys` on every call, as they read the secret store in production.
    """

    def __init__(self, work_dir: Path) -> None:
        self.work_dir = work_dir
        self.keys: dict[str, str | None] = {}
        self._fakes: dict[str, FakeServer] = {}
        self._adapters: dict[tuple[str, float, str | None], Any] = {}

    def fake(self, case: Case) -> FakeServer | None:
        """The running fake of `case` (None for sim), reset to its starting state."""
        if case.fake is None:
            return None
        if case.id not in self._fakes:
            self._fakes[case.id] = case.fake().start()
        fake = self._fakes[case.id]
        fake.reset()
        return fake

    def adapter(self, case: Case, *, timeout_s: float, base_url: str | None) -> Any:
        """The adapter of `case` built against `base_url` (default: its fake) with a client timeout of `timeout_s`."""
        origin = base_url or getattr(self._fakes.get(case.id), "base_url", None)
        slot = (case.id, timeout_s, origin)
        if slot not in self._adapters:
            self._adapters[slot] = case.build(self._fakes.get(case.id), api_key=lambda: self.keys.get(case.id),
                                              timeout_s=timeout_s, base_url=origin, work_dir=self.work_dir)
        return self._adapters[slot]

    def stop(self) -> None:
        for fake in self._fakes.values():
            fake.stop()


@dataclass
class Harness:
    """One test's view of its case: the reset fake (None for sim) and the shared adapters."""

    case: Case
    fake: FakeServer | None
    bench: Bench

    def set_key(self, key: str | None) -> None:
        """The API key the adapters read from now on (the secret store's current value)."""
        self.bench.keys[self.case.id] = key

    def adapter(self, *, timeout_s: float = 5.0, base_url: str | None = None) -> Any:
        """The adapter as the registry would build it, reading its key on every call."""
        return self.bench.adapter(self.case, timeout_s=timeout_s, base_url=base_url)

    def reach(self, adapter: Any, phase: str, request: GenerationRequest | None = None, *,
              then: Any = None) -> Callable[[], Any]:
        """Run the phases before `phase` for real with `adapter` and return the call that makes `phase`, by `then`
        (default: the same adapter; the job id and state carry over, as between worker steps)."""
        last = then or adapter
        if self.case.is_chat:
            message = request.prompt if request else "Describe a neon cat"
            return lambda: list(last.stream_text([("user", "hi"), ("assistant", "Hello!")], message, []))
        request = request or self.case.request
        if phase == "submit":
            return lambda: last.submit(request)
        submitted = adapter.submit(request)
        if phase == "cancel":
            return lambda: last.cancel(submitted.job_id, state=submitted.state)
        if phase == "poll":
            return lambda: last.poll(submitted.job_id, state=submitted.state)
        finished = finish(adapter, submitted)
        return lambda: last.fetch(finished.job_id, state=finished.state)


def finish(adapter: Any, status: JobStatus, *, polls: int = 5) -> JobStatus:
    """Poll until the job is done (the fakes finish at once): fails loudly if it is not within `polls` polls."""
    for _ in range(polls):
        if status.done:
            assert status.error is None, f"the job failed: {status.error!r} ({status.error.detail})"
            return status
        status = adapter.poll(status.job_id, state=status.state)
    raise AssertionError(f"job {status.job_id} not done after {polls} polls: {status}")


def outcome(call: Callable[[], Any]) -> ProviderError | None:
    """The ProviderError a call raised or reported on its JobStatus; None on success. Anything else propagates."""
    try:
        result = call()
    except ProviderError as exc:
        return exc
    return result.error if isinstance(result, JobStatus) else None


def assert_clean(error: ProviderError) -> None:
    """A message fit for a user: non-empty, one line, no payload, markup, URL or request id."""
    assert error.message and "\n" not in error.message
    for leak in ("{", "<", "http", "req-", "video_", "operations/"):
        assert leak not in error.message, f"{leak!r} leaked into {error.message!r}"


def assert_permanent(error: ProviderError | None, kind: type[ProviderError] = ProviderError) -> ProviderError:
    assert isinstance(error, kind), f"expected {kind.__name__}, got {error!r}"
    assert not error.retryable, f"{error!r} must not be retried"
    assert_clean(error)
    return error


def assert_transient(error: ProviderError | None, kind: type[ProviderError]) -> ProviderError:
    assert isinstance(error, kind), f"expected {kind.__name__}, got {error!r}"
    assert error.retryable, f"{error!r} must be retried"
    assert_clean(error)
    return error


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bench]:
    shared = Bench(tmp_path_factory.mktemp("provider-contract"))
    yield shared
    shared.stop()


@pytest.fixture
def harness(request: pytest.FixtureRequest, bench: Bench) -> Harness:
    """The case of the test (its `case` parameter) with its fake reset and the key `KEY` configured."""
    case = request.node.callspec.params["case"]
    harness = Harness(case, bench.fake(case), bench)
    harness.set_key(KEY)
    return harness


# ---- the happy path -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES if not c.is_chat])
def test_a_job_gives_real_media_of_the_size_and_length_the_adapter_reports(case: Case, harness: Harness) -> None:
    adapter = harness.adapter()
    assert case.request is not None

    submitted = adapter.submit(case.request)
    assert isinstance(submitted.job_id, str) and submitted.job_id
    finished = finish(adapter, submitted)
    assert finished.progress == 100
    json.dumps(finished.state)  # the worker stores it on the task document
    result = adapter.fetch(finished.job_id, state=json.loads(json.dumps(finished.state)))

    assert_real_media(result, case.request.kind)
    again = adapter.fetch(finished.job_id, state=finished.state)  # a retried step fetches again
    assert again.data == result.data


def assert_real_media(result: MediaResult, kind: MediaKind) -> None:
    """The bytes are a PNG / an MP4 whose own dimensions (and length) are what the MediaResult declares."""
    if kind is MediaKind.IMAGE:
        assert result.data.startswith(PNG_MAGIC) and result.mime_type == "image/png"
        with Image.open(io.BytesIO(result.data)) as decoded:
            assert (result.width, result.height) == decoded.size
        return
    assert result.data[4:8] == b"ftyp" and result.mime_type == "video/mp4"
    width, height, seconds = mp4_facts(result.data)
    assert (result.width, result.height) == (width, height) and width and height
    assert seconds and result.duration_s == pytest.approx(seconds, abs=0.01)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES if c.is_chat])
def test_a_chat_reply_streams_text_chunks(case: Case, harness: Harness) -> None:
    chunks = harness.reach(harness.adapter(), "stream")()

    assert chunks and all(isinstance(chunk, str) for chunk in chunks)
    assert "".join(chunks).strip()


# ---- credentials ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "call", "reply"), with_replies(lambda case, call: case.failures.auth))  # type: ignore[union-attr]
def test_a_refused_credential_is_the_permanent_provider_auth(case: Case, call: Call, reply: Reply,
                                                             harness: Harness) -> None:
    run = harness.reach(harness.adapter(), call.phase)
    assert harness.fake is not None
    harness.fake.script(call.endpoint, reply)

    error = assert_permanent(outcome(run), ProviderAuthError)

    assert error.code == "provider_auth"


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in KEYED_CASES])
@pytest.mark.parametrize("missing", [None, ""])
def test_no_key_is_not_configured_and_sends_nothing(case: Case, missing: str | None, harness: Harness) -> None:
    harness.set_key(missing)
    adapter = harness.adapter()

    with pytest.raises(ProviderNotConfigured):
        harness.reach(adapter, case.calls[0].phase)()
    assert harness.fake is not None and harness.fake.requests == []


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in KEYED_CASES])
def test_a_rotated_key_is_used_on_the_next_call(case: Case, harness: Harness) -> None:
    fake = harness.fake
    assert isinstance(fake, (FakeGemini, FakeOpenAIVideos)) and case.key_header is not None
    fake.accept_only("key-1")
    harness.set_key("key-1")
    adapter = harness.adapter()
    first = case.calls[0]
    assert outcome(harness.reach(adapter, first.phase)) is None

    harness.set_key("key-2")  # the admin rotates the secret ...
    fake.accept_only("key-2")  # ... and the vendor revokes the old key
    assert outcome(harness.reach(adapter, first.phase)) is None

    sent = [case.key_header(r.headers) for r in fake.requests_to(first.endpoint)]
    assert sent == ["key-1", "key-2"]


# ---- the model ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "call"), calls_where(lambda call: call.names_model))
def test_an_unknown_model_is_the_permanent_model_unavailable_naming_the_setting(case: Case, call: Call,
                                                                                harness: Harness) -> None:
    assert harness.fake is not None and case.failures is not None
    harness.fake.script(call.endpoint, case.failures.model_not_found)

    error = assert_permanent(outcome(harness.reach(harness.adapter(), call.phase)), ModelUnavailable)

    assert error.code == "model_unavailable"
    assert case.setting in error.message


# ---- transient failures ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "call"), calls_where(bool))
def test_rate_limiting_is_retryable(case: Case, call: Call, harness: Harness) -> None:
    adapter = harness.adapter()
    run = harness.reach(adapter, call.phase)
    assert harness.fake is not None and case.failures is not None
    harness.fake.script(call.endpoint, case.failures.rate_limited)

    error = assert_transient(outcome(run), ProviderRateLimited)

    assert error.code == "provider_rate_limited"


@pytest.mark.parametrize(("case", "call", "reply"), with_replies(lambda case, call: case.failures.server_errors))  # type: ignore[union-attr]
def test_a_server_error_is_retryable_without_sdk_retries_and_the_next_call_succeeds(
    case: Case, call: Call, reply: Reply, harness: Harness
) -> None:
    adapter = harness.adapter()
    run = harness.reach(adapter, call.phase)
    fake = harness.fake
    assert fake is not None
    before = len(fake.requests_to(call.endpoint))
    fake.script(call.endpoint, reply)

    assert_transient(outcome(run), ProviderUnavailable)
    assert len(fake.requests_to(call.endpoint)) == before + 1  # Cloud Tasks owns retries, not the SDK

    assert outcome(run) is None  # the retry (the fake answers normally again)


@pytest.mark.parametrize(("case", "call"), calls_where(bool))
def test_an_answer_that_never_comes_is_a_retryable_timeout(case: Case, call: Call, harness: Harness) -> None:
    run = harness.reach(harness.adapter(), call.phase, then=harness.adapter(timeout_s=TIMEOUT_S))
    assert harness.fake is not None
    harness.fake.script(call.endpoint, slow(NEVER_S))

    assert_transient(outcome(run), ProviderUnavailable)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in HTTP_CASES])
def test_an_unreachable_provider_is_retryable(case: Case, harness: Harness) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    if isinstance(harness.fake, FakeOpenAIVideos):
        closed += "/v1"
    adapter = harness.adapter(base_url=closed, timeout_s=2)

    assert_transient(outcome(harness.reach(adapter, case.calls[0].phase)), ProviderUnavailable)


# ---- malformed answers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "call", "reply"), with_replies(lambda case, call: MALFORMED[call.endpoint]))
def test_a_malformed_or_empty_answer_is_a_clean_permanent_error(case: Case, call: Call, reply: Reply,
                                                                harness: Harness) -> None:
    adapter = harness.adapter()
    run = harness.reach(adapter, call.phase)
    assert harness.fake is not None
    harness.fake.script(call.endpoint, reply)

    if call.phase == "cancel":  # an answer that does not confirm is "not stopped" (no refund), never a crash
        try:
            confirmed = run()
        except ProviderError as error:
            assert_clean(error)
        else:
            assert confirmed is False
        return
    assert_permanent(outcome(run))


# ---- the sim's markers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in SIM_CASES])
def test_the_sim_fails_on_request_like_a_vendor(case: Case, harness: Harness) -> None:
    adapter = harness.adapter()
    phase = "stream" if case.is_chat else "submit"
    template = case.request or GenerationRequest(kind=MediaKind.IMAGE, prompt="", aspect_ratio="1:1")

    down = outcome(harness.reach(adapter, phase, replace(template, prompt=f"a cat {case.transient_prompt}")))
    refused = outcome(harness.reach(adapter, phase, replace(template, prompt=f"a cat {case.refused_prompt}")))

    assert_transient(down, ProviderUnavailable)
    assert_permanent(refused, SafetyRefusal)


# ---- cancel ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES if not c.is_chat])
def test_cancel_exists_exactly_where_the_vendor_can_stop_a_job_and_confirms_it(case: Case, harness: Harness) -> None:
    adapter = harness.adapter()
    cancel = getattr(adapter, "cancel", None)

    assert callable(cancel) == case.cancels  # the worker refunds a canceled task only where this is True
    if cancel is None:
        return
    assert case.request is not None
    submitted = adapter.submit(case.request)
    assert cancel(submitted.job_id, state=submitted.state) is True
    assert cancel(submitted.job_id, state=submitted.state) is True  # a job already stopped stays stopped
