"""`Generation` (common/generation.py) without a stack: create, every branch of `run_step`, cancel, sweep, retry.

Built from in-memory parts: the task store fake (tests/fakes/memory/tasks.py, held to the adapter's contract),
an in-memory object store and queue, a scripted provider (or the sim provider rendering real PNGs at zero
duration), and the real `Accounting` on the in-memory ledger (tests/fakes/memory/money.py). The clock is frozen (`common.clock.now`).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from common import clock
from common.accounting import Accounting, Charge, Pricing
from common.clock import FrozenClock
from common.errors import Conflict, NotFound, PaymentRequired, ServiceUnavailable
from common.generation import MAX_TRANSIENT_ATTEMPTS, Generation, GenerationConfig, StepOutcome
from common.media import MediaSigner
from common.models import CreateImageRequest
from common.models.documents import TaskDocument
from common.providers.base import (
    GenerationRequest,
    JobStatus,
    MediaKind,
    MediaResult,
    ProviderUnavailable,
    SafetyRefusal,
)
from common.providers.sim import SimProvider, render_png
from tests.fakes.memory.money import MemoryLedgerStore
from tests.fakes.memory.storage import MemoryQueue, MemoryStorage
from tests.fakes.memory.tasks import MemoryTaskStore

T0 = datetime(2030, 5, 6, 7, 0, 0, tzinfo=UTC)
LEASE_S, POLL_S, DEADLINE_S = 30, 5.0, 3600
IMAGE_COST = 2
USER = "u1"


class Scripted:
    """A provider whose answers the test scripts: `statuses` are what submit/poll return in turn (a ProviderError
    instance is raised instead); fetch renders a real PNG. Counts every call."""

    name = "scripted"

    def __init__(self, *statuses: JobStatus | Exception, cancels: bool = True) -> None:
        self.statuses = list(statuses)
        self.calls: list[str] = []
        self.canceled: list[str] = []
        self.on_submit: Callable[[], None] = lambda: None
        self.on_fetch: Callable[[], None] = lambda: None
        if not cancels:
            self.cancel = None  # type: ignore[method-assign,assignment]

    def _next(self) -> JobStatus:
        answer = self.statuses.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def submit(self, request: GenerationRequest) -> JobStatus:
        """Scripted answer to a submit."""
        self.calls.append("submit")
        self.on_submit()
        return self._next()

    def poll(self, job_id: str, *, state: dict[str, object]) -> JobStatus:
        """Scripted answer to a poll."""
        self.calls.append("poll")
        return self._next()

    def fetch(self, job_id: str, *, state: dict[str, object]) -> MediaResult:
        """A real 64x64 PNG."""
        self.calls.append("fetch")
        self.on_fetch()
        data, w, h = _png()
        return MediaResult(data=data, mime_type="image/png", width=w, height=h)

    def cancel(self, job_id: str, *, state: dict[str, object]) -> bool:
        """The provider stops the job."""
        self.canceled.append(job_id)
        return True


@functools.cache
def _png() -> tuple[bytes, int, int]:
    return render_png("scripted", "1:1", 1)


def running(progress: int = 10) -> JobStatus:
    return JobStatus("job-1", done=False, progress=progress, state={"n": progress})


def finished() -> JobStatus:
    return JobStatus("job-1", done=True, progress=100, state={"n": 100})


class Providers:
    """The two calls Generation makes of a ProviderRegistry: the name for a kind, and the provider by name."""

    def __init__(self, provider: Any) -> None:
        self.provider = provider

    def name_for(self, kind: MediaKind | str) -> str:
        """The configured provider's name for every kind."""
        return str(self.provider.name)

    def get(self, name: str) -> Any:
        """The one provider."""
        assert name == self.provider.name
        return self.provider


class World:
    """A Generation on in-memory parts, and what the tests look at."""

    def __init__(self, provider: Any, frozen: FrozenClock) -> None:
        self.provider, self.clock = provider, frozen
        self.tasks, self.storage, self.queue = MemoryTaskStore(), MemoryStorage(), MemoryQueue()
        self.money = MemoryLedgerStore()
        self.accounting = Accounting(store=self.money, clock=frozen, pricing=lambda: Pricing(
            quotas={"image": 0, "video": 0, "chat": 0}, costs={"image": IMAGE_COST, "video": 10, "chat": 1}))
        self.signer = MediaSigner(bucket="media", keys=lambda: ["unit-test-signing-key-0123456789"])
        self.gen = Generation(tasks=self.tasks, accounting=self.accounting, storage=self.storage,
                              queue=self.queue, providers=Providers(provider), signer=self.signer,
                              config=GenerationConfig(poll_interval_s=POLL_S, lease_s=LEASE_S, deadline_s=DEADLINE_S))
        self.money.add_user(USER, credits=10)

    def credits(self) -> int:
        return int(self.money.users[USER]["credits"])

    def ledger(self, key: str) -> int:
        return sum(entry["key"] == key for _, entry in self.money.ledger)

    def create(self, prompt: str = "a lighthouse at dusk", **body: Any) -> dict[str, Any]:
        docs = self.gen.create_image(user_id=USER, body=CreateImageRequest(prompt=prompt, **body))
        assert len(docs) == body.get("count", 1)
        return docs[0]

    def task(self, task_id: str) -> TaskDocument:
        doc = self.tasks.get(task_id)
        assert doc is not None
        return TaskDocument.model_validate(doc)

    def steps(self, task_id: str) -> list[int]:
        return [s.payload["step"] for s in self.queue.sent if s.payload["task_id"] == task_id]


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    at = FrozenClock(T0)
    monkeypatch.setattr(clock, "now", at.now)
    return at


@pytest.fixture
def world(frozen: FrozenClock) -> Callable[..., World]:
    return lambda provider: World(provider, frozen)


# ---- create -----------------------------------------------------------------------------


def test_create_charges_once_stores_the_params_and_enqueues_step_zero(world: Callable[..., World]) -> None:
    w = world(Scripted())
    doc = w.create(aspect_ratio="16:9", seed=7, negative_prompt="fog")
    t = w.task(doc["_id"])
    assert (t.status.value, t.step, t.provider, t.cost.credits, t.cost.from_quota) == ("PENDING", 0, "scripted", IMAGE_COST, False)
    assert t.params == {"aspect_ratio": "16:9", "reference_objects": [], "negative_prompt": "fog", "seed": 7}
    assert w.credits() == 10 - IMAGE_COST and w.ledger(f"charge:{doc['_id']}") == 1
    assert [(s.payload, s.name, s.group) for s in w.queue.sent] == [({"task_id": doc["_id"], "step": 0}, f"{doc['_id']}-0", USER)]


def test_variations_are_all_or_nothing(world: Callable[..., World]) -> None:
    w = world(Scripted())
    docs = w.gen.create_image(user_id=USER, body=CreateImageRequest(prompt="two", count=2, seed=5))
    assert [d["params"]["seed"] for d in docs] == [5, 6] and w.credits() == 10 - 2 * IMAGE_COST
    with pytest.raises(PaymentRequired):  # 6 credits left, 4 variations cost 8
        w.gen.create_image(user_id=USER, body=CreateImageRequest(prompt="four", count=4))
    assert w.credits() == 10 - 2 * IMAGE_COST and len(w.tasks.all()) == 2


def test_an_unreachable_queue_fails_the_task_and_refunds_it(world: Callable[..., World]) -> None:
    w = world(Scripted())
    w.queue.fail = True
    with pytest.raises(ServiceUnavailable):
        w.create()
    (stored,) = w.tasks.all()
    assert stored["status"] == "FAILED" and stored["refund"] == "done" and w.credits() == 10


# ---- run_step ------------------------------------------------------------------------------


def test_a_step_on_the_sim_provider_completes_with_stored_media_and_a_thumbnail(
        world: Callable[..., World], tmp_path: Path) -> None:
    w = world(SimProvider(duration_s=0, work_dir=tmp_path))
    doc = w.create()
    assert w.gen.run_step(doc["_id"], step=0) is StepOutcome.COMPLETED
    t = w.task(doc["_id"])
    assert t.status.value == "COMPLETED" and t.progress == 100 and t.lease_id is None and t.result is not None
    data, mime = w.storage.objects[t.result.object]
    assert mime == "image/png" and Image.open(io.BytesIO(data)).size == (t.result.width, t.result.height)
    assert t.result.bytes == len(data) and t.result.thumbnail_object is not None
    thumb, thumb_mime = w.storage.objects[t.result.thumbnail_object]
    assert thumb_mime == "image/jpeg" and thumb[:3] == b"\xff\xd8\xff"
    api = w.gen.to_api(w.tasks.get(doc["_id"]))  # type: ignore[arg-type]
    assert api.result is not None and api.result.url.startswith("/api/ai/proxy?") and api.result.thumbnail_url
    assert w.steps(doc["_id"]) == [0] and w.credits() == 10 - IMAGE_COST  # charged once, nothing more enqueued
    assert w.gen.run_step(doc["_id"], step=0) is StepOutcome.NOTHING_TO_DO  # a duplicate delivery
    assert w.storage.uploads == 2


def test_a_running_job_is_polled_at_the_next_step_and_then_completes(world: Callable[..., World]) -> None:
    p = Scripted(running(30), running(60), finished())
    w = world(p)
    doc = w.create()
    assert w.gen.run_step(doc["_id"], step=0) is StepOutcome.WAITING
    t = w.task(doc["_id"])
    assert (t.step, t.progress, t.lease_id, t.job and t.job.id) == (1, 30, None, "job-1")
    assert [(s.payload["step"], s.delay_s) for s in w.queue.sent] == [(0, 0.0), (1, POLL_S)]
    assert w.gen.run_step(doc["_id"], step=0) is StepOutcome.NOTHING_TO_DO  # step 0 delivered again: already ran
    assert w.gen.run_step(doc["_id"], step=1) is StepOutcome.WAITING
    assert w.task(doc["_id"]).progress == 60
    assert w.gen.run_step(doc["_id"], step=2) is StepOutcome.COMPLETED
    assert p.calls == ["submit", "poll", "poll", "fetch"] and w.task(doc["_id"]).status.value == "COMPLETED"


def test_a_step_held_by_a_live_lease_is_busy_and_a_stale_lease_is_taken_over(world: Callable[..., World]) -> None:
    p = Scripted(finished())
    w = world(p)
    doc = w.create()
    dead = w.tasks.claim_step(doc["_id"], step=0, lease_s=LEASE_S)  # a worker that then died
    assert dead is not None
    assert w.gen.run_step(doc["_id"], step=0) is StepOutcome.BUSY
    assert p.calls == []
    w.clock.advance(LEASE_S + 1)
    assert w.gen.run_step(doc["_id"], step=0) is StepOutcome.COMPLETED
    assert w.tasks.complete(dead, result={"object": "x", "mime_type": "image/png", "bytes": 1}) is None
    assert w.task(doc["_id"]).result.object.startswith(f"media/{USER}/")  # type: ignore[union-attr]


def test_a_transient_provider_error_retries_the_step_with_backoff(world: Callable[..., World]) -> None:
    p = Scripted(ProviderUnavailable(detail="503"), finished())
    w = world(p)
    doc = w.create()
    assert w.gen.run_step(doc["_id"], step=0) is StepOutcome.RETRYING
    t = w.task(doc["_id"])
    assert (t.status.value, t.step, t.attempts, t.lease_id) == ("GENERATING", 1, 1, None)
    retry = w.queue.sent[-1]
    assert retry.payload == {"task_id": doc["_id"], "step": 1} and retry.name == f"{doc['_id']}-1" and retry.delay_s > 0
    assert w.gen.run_step(doc["_id"], step=1) is StepOutcome.COMPLETED
    assert p.calls == ["submit", "submit", "fetch"] and w.credits() == 10 - IMAGE_COST


def test_transient_errors_fail_the_task_after_the_last_attempt_with_one_refund(world: Callable[..., World]) -> None:
    w = world(Scripted(*[ProviderUnavailable(detail="503") for _ in range(MAX_TRANSIENT_ATTEMPTS)]))
    doc = w.create()
    outcomes = [w.gen.run_step(doc["_id"], step=n) for n in range(MAX_TRANSIENT_ATTEMPTS)]
    assert outcomes == [StepOutcome.RETRYING] * (MAX_TRANSIENT_ATTEMPTS - 1) + [StepOutcome.FAILED]
    t = w.task(doc["_id"])
    assert t.status.value == "FAILED" and t.error is not None and t.error.code == "provider_unavailable"
    assert f"tried {MAX_TRANSIENT_ATTEMPTS} times" in t.error.message
    assert t.refund == "done" and w.credits() == 10 and w.ledger(f"refund:{doc['_id']}") == 1


def test_a_refusal_fails_at_once_and_refunds_exactly_once(world: Callable[..., World]) -> None:
    p = Scripted(JobStatus("job-1", done=True, error=SafetyRefusal(detail="unsafe")))
    w = world(p)
    doc = w.create()
    assert w.gen.run_step(doc["_id"], step=0) is StepOutcome.FAILED
    t = w.task(doc["_id"])
    assert (t.status.value, t.error.code if t.error else None, t.refund) == ("FAILED", "safety_refusal", "done")
    assert w.gen.run_step(doc["_id"], step=0) is StepOutcome.NOTHING_TO_DO
    assert w.gen.sweep() == {"failed": 0, "requeued": 0, "refunded": 0}
    w.accounting.refund_task(user_id=USER, kind="image", task_id=doc["_id"], charge=Charge(IMAGE_COST, False),
                             created_at=T0)  # a replayed refund changes nothing
    assert w.credits() == 10 and w.ledger(f"refund:{doc['_id']}") == 1
    assert p.calls == ["submit"] and w.steps(doc["_id"]) == [0]


def test_a_damaged_input_image_fails_before_the_provider_is_paid(world: Callable[..., World]) -> None:
    p = Scripted(finished())
    w = world(p)
    w.storage.upload_bytes(f"uploads/{USER}/ref.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 40, content_type="image/png")
    doc = w.create(reference_urls=[w.signer.url_for(f"uploads/{USER}/ref.png")])
    assert w.gen.run_step(doc["_id"], step=0) is StepOutcome.FAILED
    t = w.task(doc["_id"])
    assert t.error is not None and t.error.code == "invalid_input" and t.refund == "done"
    assert p.calls == [] and w.credits() == 10


def test_a_malformed_stored_document_fails_the_step_before_any_provider_call(world: Callable[..., World]) -> None:
    p = Scripted(finished())
    w = world(p)
    doc = w.create()
    w.tasks._docs[doc["_id"]]["job"] = {"state": {}}  # a job without its id: written by no code of ours
    assert w.gen.run_step(doc["_id"], step=0) is StepOutcome.FAILED
    assert p.calls == [] and w.tasks.get(doc["_id"])["refund"] == "done" and w.credits() == 10  # type: ignore[index]


def test_a_storage_failure_releases_the_step_and_the_retry_fetches_without_resubmitting(
        world: Callable[..., World]) -> None:
    p = Scripted(finished(), finished())
    w = world(p)
    doc = w.create()
    w.storage.fail_uploads = 2  # the media and the thumbnail
    with pytest.raises(ConnectionError):
        w.gen.run_step(doc["_id"], step=0)  # re-raised: the queue redelivers the same step
    t = w.task(doc["_id"])
    assert (t.status.value, t.step, t.attempts, t.lease_id, t.job and t.job.id) == ("GENERATING", 0, 1, None, "job-1")
    assert w.gen.run_step(doc["_id"], step=0) is StepOutcome.COMPLETED
    assert p.calls == ["submit", "fetch", "poll", "fetch"]  # the stored job was polled, not generated again
    assert w.credits() == 10 - IMAGE_COST


def test_repeated_crashes_fail_the_task_with_a_refund(world: Callable[..., World]) -> None:
    w = world(Scripted(*[finished()] * (MAX_TRANSIENT_ATTEMPTS + 1)))
    doc = w.create()
    w.storage.fail_uploads = 10 ** 6
    for _ in range(MAX_TRANSIENT_ATTEMPTS - 1):
        with pytest.raises(ConnectionError):
            w.gen.run_step(doc["_id"], step=0)
    assert w.gen.run_step(doc["_id"], step=0) is StepOutcome.FAILED
    t = w.task(doc["_id"])
    assert t.error is not None and t.error.code == "internal" and t.refund == "done" and w.credits() == 10


# ---- cancel ------------------------------------------------------------------------------


def test_cancel_before_submission_refunds_and_the_step_then_does_nothing(world: Callable[..., World]) -> None:
    p = Scripted(finished())
    w = world(p)
    doc = w.create()
    assert w.gen.refund_on_cancel(doc) is True
    out = w.gen.cancel(doc)
    assert out["status"] == "FAILED" and out["error"]["code"] == "canceled" and out["refund"] == "done"
    assert w.credits() == 10
    assert w.gen.run_step(doc["_id"], step=0) is StepOutcome.NOTHING_TO_DO and p.calls == []
    with pytest.raises(Conflict):
        w.gen.cancel(out)


@pytest.mark.parametrize(("cancels", "refund", "credits"), [(True, "done", 10), (False, "kept", 10 - IMAGE_COST)])
def test_cancel_after_submission_refunds_only_when_the_provider_stops_the_job(
        world: Callable[..., World], cancels: bool, refund: str, credits: int) -> None:
    p = Scripted(running(), cancels=cancels)
    w = world(p)
    doc = w.create()
    assert w.gen.run_step(doc["_id"], step=0) is StepOutcome.WAITING
    current = w.tasks.get(doc["_id"])
    assert current is not None and w.gen.refund_on_cancel(current) is cancels
    out = w.gen.cancel(current)
    assert (out["refund"], w.credits()) == (refund, credits)
    assert p.canceled == (["job-1"] if cancels else [])
    assert w.gen.run_step(doc["_id"], step=1) is StepOutcome.NOTHING_TO_DO and p.calls == ["submit"]


def test_a_cancel_while_submitting_stops_the_orphaned_job(world: Callable[..., World]) -> None:
    p = Scripted(running())
    w = world(p)
    doc = w.create()
    canceled: list[dict[str, Any]] = []
    p.on_submit = lambda: canceled.append(w.gen.cancel(w.tasks.get(doc["_id"])))  # type: ignore[arg-type]
    assert w.gen.run_step(doc["_id"], step=0) is StepOutcome.NOTHING_TO_DO
    assert canceled[0]["refund"] == "kept"  # a submit was in flight: it may bill the operator
    assert p.canceled == ["job-1"] and w.steps(doc["_id"]) == [0]
    assert w.task(doc["_id"]).job is None


# ---- sweep and retry ----------------------------------------------------------------------------


def test_the_sweep_fails_overdue_tasks_once_and_requeues_stalled_ones(world: Callable[..., World]) -> None:
    w = world(Scripted(running()))
    stuck, late = w.create(), w.create()
    assert w.gen.run_step(late["_id"], step=0) is StepOutcome.WAITING
    w.clock.advance(120)
    assert w.gen.sweep(idle_s=60) == {"failed": 0, "requeued": 2, "refunded": 0}
    requeued = w.queue.sent[-2:]
    assert {(s.payload["task_id"], s.payload["step"]) for s in requeued} == {(stuck["_id"], 0), (late["_id"], 1)}
    w.clock.advance(DEADLINE_S)
    assert w.gen.sweep(idle_s=10 ** 6) == {"failed": 2, "requeued": 0, "refunded": 0}
    assert w.gen.sweep(idle_s=10 ** 6) == {"failed": 0, "requeued": 0, "refunded": 0}
    for doc in (stuck, late):
        t = w.task(doc["_id"])
        assert t.error is not None and t.error.code == "timeout" and t.refund == "done"
        assert w.ledger(f"refund:{doc['_id']}") == 1
    assert w.credits() == 10


def test_a_task_that_runs_past_its_deadline_mid_step_stays_failed_and_refunded(world: Callable[..., World]) -> None:
    p = Scripted(finished())
    w = world(p)
    doc = w.create()

    def deadline_passes() -> None:  # while the step fetches, the clock passes the deadline and the sweep runs
        w.clock.advance(DEADLINE_S + 1)
        assert w.gen.sweep(idle_s=10 ** 6)["failed"] == 1

    p.on_fetch = deadline_passes
    assert w.gen.run_step(doc["_id"], step=0) is StepOutcome.NOTHING_TO_DO  # its completion matched nothing
    t = w.task(doc["_id"])
    assert (t.status.value, t.error.code if t.error else None, t.result, t.refund) == ("FAILED", "timeout", None, "done")
    assert w.credits() == 10 and w.ledger(f"refund:{doc['_id']}") == 1


def test_a_task_deleted_mid_step_leaves_no_media_behind(world: Callable[..., World]) -> None:
    p = Scripted(finished())
    w = world(p)
    doc = w.create()
    p.on_fetch = lambda: w.gen.delete(w.tasks.get(doc["_id"]))  # type: ignore[arg-type]
    assert w.gen.run_step(doc["_id"], step=0) is StepOutcome.NOTHING_TO_DO
    assert w.tasks.get(doc["_id"]) is None and w.storage.uploads == 2  # media and thumbnail were written...
    assert not [n for n in w.storage.objects if doc["_id"] in n]  # ...and removed again
    assert w.credits() == 10  # deleting a running task cancels it first; the provider stopped the job: refunded


def test_the_sweep_finishes_a_refund_a_crash_interrupted(world: Callable[..., World]) -> None:
    w = world(Scripted())
    doc = w.create()
    w.tasks.fail(doc["_id"], code="internal", message="crashed before refunding")  # refund pending, not paid
    assert w.credits() == 10 - IMAGE_COST
    assert w.gen.sweep() == {"failed": 0, "requeued": 0, "refunded": 1}
    assert w.credits() == 10 and w.task(doc["_id"]).refund == "done"
    assert w.gen.sweep() == {"failed": 0, "requeued": 0, "refunded": 0}


def test_retry_runs_a_failed_task_again_for_free(world: Callable[..., World]) -> None:
    p = Scripted(JobStatus("job-1", done=True, error=SafetyRefusal()), finished())
    w = world(p)
    doc = w.create()
    assert w.gen.run_step(doc["_id"], step=0) is StepOutcome.FAILED
    before, after = w.gen.retry_failed(doc["_id"])
    assert before["status"] == "FAILED" and (after["status"], after["step"]) == ("PENDING", 1)
    assert after["cost"] == {"credits": 0, "from_quota": False}
    assert w.queue.sent[-1].payload == {"task_id": doc["_id"], "step": 1} and w.queue.sent[-1].name == f"{doc['_id']}-1"
    assert w.gen.run_step(doc["_id"], step=1) is StepOutcome.COMPLETED
    assert w.credits() == 10  # charged, refunded, then retried free
    with pytest.raises(Conflict):
        w.gen.retry_failed(doc["_id"])
    with pytest.raises(NotFound):
        w.gen.retry_failed("0" * 24)


def test_a_retry_before_the_failures_refund_went_through_pays_the_refund_first(world: Callable[..., World]) -> None:
    """The worker fails a task, then refunds it: an admin's retry in between is not refused (a real race that
    the database tier caught) and the user is refunded exactly once."""
    w = world(Scripted())
    doc = w.create()
    w.tasks.fail(doc["_id"], code="internal", message="failed; refund not yet paid")
    assert w.task(doc["_id"]).refund == "pending" and w.credits() == 10 - IMAGE_COST
    before, after = w.gen.retry_failed(doc["_id"])
    assert (before["status"], after["status"]) == ("FAILED", "PENDING")
    assert w.credits() == 10 and w.ledger(f"refund:{doc['_id']}") == 1
    assert w.gen.sweep()["refunded"] == 0


def test_every_document_written_is_a_valid_task_document(world: Callable[..., World], tmp_path: Path) -> None:
    w = world(SimProvider(duration_s=0, work_dir=tmp_path))
    done = w.create()
    w.gen.run_step(done["_id"], step=0)
    w.gen.cancel(w.create())
    assert len(w.tasks.all()) == 2
    for doc in w.tasks.all():
        assert set(doc) <= TaskDocument.stored_keys()
        TaskDocument.model_validate(doc)


def test_the_sim_providers_progress_follows_the_injected_clock(frozen: FrozenClock, tmp_path: Path) -> None:
    sim = SimProvider(duration_s=10, work_dir=tmp_path, clock=frozen)
    request = GenerationRequest(kind=MediaKind.IMAGE, prompt="a lighthouse", aspect_ratio="1:1", task_id="t-sim-clock")
    job = sim.submit(request)
    assert (job.done, job.progress) == (False, 0)
    frozen.advance(5)
    halfway = sim.poll(job.job_id, state=job.state)
    assert (halfway.progress, halfway.done) == (50, False)
    frozen.advance(5)
    assert sim.poll(job.job_id, state=job.state).done
