"""The generation pipeline: create a task, run its worker steps, sweep what got stuck.

Persistence first: a task is COMPLETED only after its media are in storage
and its result is in the database. Each worker step is short (submit, or one
poll, or fetch+upload) and idempotent under duplicate or concurrent delivery.
"""

from __future__ import annotations

import enum
import functools
import logging
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from common import clock
from common.accounting import Accounting, Charge
from common.errors import AppError, Conflict, InvalidRequest, NotFound, ServiceUnavailable
from common.ids import delivery_name, plausible_id
from common.media import MAX_PIXELS, MediaSigner, decode_image, media_object_name
from common.models import (
    MAX_SEED,
    CreateImageRequest,
    CreateVideoRequest,
    Task,
    TaskCost,
    TaskError,
    TaskResult,
    TaskStatus,
    TaskType,
)
from common.models.documents import TaskDocument
from common.provenance import SigningCredentials
from common.providers.base import (
    CAPABILITIES,
    GenerationRequest,
    InvalidProviderRequest,
    JobStatus,
    MediaKind,
    MediaResult,
    Provider,
    ProviderError,
    ReferenceImage,
    supporting,
)
from common.queue import Queue, RetryPolicy
from common.storage import ObjectInfo
from common.tasks import TaskStore, new_task_id
from common.thumbnails import image_thumbnail, video_poster
from common.uploads import Uploads

log = logging.getLogger(__name__)

MAX_TRANSIENT_ATTEMPTS = 6
MAX_REFERENCE_BYTES = 20 * 1024 * 1024
MAX_SOURCE_VIDEO_BYTES = 512 * 1024 * 1024
ETA_CACHE_S = 60.0  # how long the recent median duration per kind/provider is reused


def task_whereabouts(doc: dict[str, Any], *, now: datetime, median_s: float | None) -> dict[str, Any]:
    """`{stage, eta_s}` of a running task document; `{}` for a finished one (API.md `Task`).

    The stage comes from what the worker stored: no provider job yet → queued,
    a job at 0 % → submitted, progressing → rendering, the provider done and the
    media being stored (progress 99) → storing. The ETA (whole seconds, ≥ 1)
    extrapolates the provider's own progress once it reports some; before that
    it is `median_s` (the recent median duration of the same kind and provider,
    creation to completion) less the time already spent; None when neither is known.
    """
    if doc["status"] not in (TaskStatus.PENDING.value, TaskStatus.GENERATING.value):
        return {}
    progress = int(doc.get("progress") or 0)
    if doc.get("job") is None:
        stage = "queued"
    elif progress >= 99:
        stage = "storing"
    elif progress > 0:
        stage = "rendering"
    else:
        stage = "submitted"
    eta: float | None = None
    started = clock.as_utc(doc["started_at"]) if doc.get("started_at") else None
    if 0 < progress < 99 and started is not None:
        eta = max(0.0, (now - started).total_seconds()) * (100 - progress) / progress
    elif median_s is not None:
        eta = median_s - max(0.0, (now - clock.as_utc(doc["created_at"])).total_seconds())
    return {"stage": stage, "eta_s": None if eta is None else max(1, round(eta))}


class MediaStore(Protocol):
    """The object store as the pipeline uses it (common/storage.py StorageService in production; an in-memory one in
    tests/fakes/memory/storage.py): object names, bytes, MIME types."""

    def upload_bytes(self, name: str, data: bytes, *, content_type: str) -> ObjectInfo:
        """Write `data` as object `name` (replacing any); its metadata. Transient errors propagate."""
        ...

    def stat(self, name: str, *, fresh: bool = False) -> ObjectInfo:
        """Metadata of `name`; NotFound when absent."""
        ...

    def exists(self, name: str) -> bool:
        """Whether `name` exists now."""
        ...

    def read_bytes(self, name: str, *, max_bytes: int) -> bytes:
        """The whole object; NotFound when absent or larger than `max_bytes`."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object whose name starts with `prefix`; how many."""
        ...


class ProviderLookup(Protocol):
    """Which provider serves a kind, and the provider by name (common/providers/registry.py ProviderRegistry)."""

    def name_for(self, kind: MediaKind | str) -> str:
        """The configured provider name for `kind`."""
        ...

    def get(self, name: str) -> Provider:
        """The media provider `name`; ProviderNotConfigured for an unknown name."""
        ...


class InvalidInput(AppError):
    """A task's input cannot be used (damaged or missing image): the task fails at once, refunded."""

    status, code = 400, "invalid_input"


def _reached_provider(doc: dict[str, Any]) -> bool:
    """True once a job may exist at the provider: a stored job id, or a worker step holding the lease
    (it may be submitting right now)."""
    if doc.get("job") is not None:
        return True
    until = doc.get("lease_until")
    return until is not None and clock.as_utc(until) > clock.now()


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: the network, storage or database failed, not the input.

    Image decoding errors (Pillow raises OSError "image file is truncated"), a render that ffmpeg
    refuses, and programming errors (ValueError, TypeError, KeyError) are permanent.
    """
    import subprocess

    from PIL import UnidentifiedImageError
    from pymongo.errors import PyMongoError

    try:
        import requests

        network: tuple[type[BaseException], ...] = (requests.ConnectionError, requests.Timeout)
    except ImportError:  # pragma: no cover
        network = ()
    if isinstance(exc, (UnidentifiedImageError, subprocess.CalledProcessError, ValueError, TypeError, KeyError,
                        AttributeError, IndexError, SyntaxError, EOFError)):
        return False
    if isinstance(exc, OSError) and _raised_in(exc, ("PIL.", "imageio")):
        return False
    return isinstance(exc, (PyMongoError, ConnectionError, TimeoutError, OSError, *network)) or _is_google_transient(exc)


def _raised_in(exc: BaseException, prefixes: tuple[str, ...]) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        if str(tb.tb_frame.f_globals.get("__name__", "")).startswith(prefixes):
            return True
        tb = tb.tb_next
    return False


def _is_google_transient(exc: BaseException) -> bool:
    try:
        from google.api_core import exceptions as gexc
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, (gexc.ServerError, gexc.TooManyRequests, gexc.RetryError))


class StepOutcome(str, enum.Enum):
    """What one worker delivery of a task step did; the worker maps it to the HTTP answer Cloud Tasks sees
    (BUSY asks for a redelivery, every other outcome acknowledges).
    """
    NOTHING_TO_DO = "nothing_to_do"  # finished, deleted, or a step that already ran
    BUSY = "busy"  # another delivery holds the lease: ask the queue to retry later
    WAITING = "waiting"  # provider still working: next poll enqueued
    RETRYING = "retrying"  # transient failure: next attempt enqueued with backoff
    COMPLETED = "completed"
    FAILED = "failed"


@dataclass
class GenerationConfig:
    """Worker timing: `poll_interval_s` seconds between provider polls, `lease_s` seconds a step holds its task,
    `deadline_s` seconds from creation after which an active task is failed and refunded.
    """
    poll_interval_s: float
    lease_s: int
    deadline_s: int


class Generation:
    """Image/video generation end to end: validate and charge on create (one task per variation), then run each task
    as worker steps (submit, poll, store the result in GCS, complete or fail-and-refund), and present tasks to the API.
    """
    def __init__(
        self,
        *,
        tasks: TaskStore,
        accounting: Accounting,
        storage: MediaStore,
        queue: Queue,
        providers: ProviderLookup,
        signer: MediaSigner,
        config: GenerationConfig,
        watermark_text: Callable[[], str | None] = lambda: None,
        c2pa_credentials: Callable[[], SigningCredentials | None] = lambda: None,
        uploads: Uploads | None = None,
        max_input_pixels: int = MAX_PIXELS,
    ) -> None:
        self.watermark_text = watermark_text  # the admin's visible watermark, None when off
        self.c2pa_credentials = c2pa_credentials  # C2PA signing credentials, None when provenance is off
        self.uploads = uploads  # marks the uploads a new task uses (orphan cleanup keeps them)
        self.max_input_pixels = max_input_pixels
        self.tasks = tasks
        self.accounting = accounting
        self.storage = storage
        self.queue = queue
        self.providers = providers
        self.signer = signer
        self.config = config
        self._backoff = RetryPolicy(min_backoff_s=1.0, max_backoff_s=60.0)
        self._durations: dict[tuple[str, str], tuple[datetime, float | None]] = {}

    # ---- create -------------------------------------------------------------------

    def create_image(self, *, user_id: str, body: CreateImageRequest) -> list[dict[str, Any]]:
        """One task per variation (`count`), each charged on its own; all or nothing."""
        provider = self.providers.name_for(MediaKind.IMAGE)
        refs = [self.signer.verify_url(u, owner=user_id).name for u in body.reference_urls]
        if self.uploads is not None:
            self.uploads.touch(refs, field="reference_urls")
        params: dict[str, Any] = {"aspect_ratio": body.aspect_ratio, "reference_objects": refs}
        if body.negative_prompt:
            params["negative_prompt"] = body.negative_prompt
        return self._create_many(user_id=user_id, kind=TaskType.IMAGE, prompt=body.prompt, params=params,
                                 provider=provider, count=body.count, seed=body.seed)

    def create_video(self, *, user_id: str, body: CreateVideoRequest) -> list[dict[str, Any]]:
        """Text/image-to-video, first+last frame, remix or extend; one task per variation (`count`)."""
        sent = body.model_fields_set
        if body.remix_of or body.extend_of:
            mode = "remix" if body.remix_of else "extend"
            source = self._source_video(user_id, str(body.remix_of or body.extend_of))
            provider = source["provider"]
            self._require(provider, mode)
            src = source["params"]
            params: dict[str, Any] = {
                "aspect_ratio": src.get("aspect_ratio", body.aspect_ratio),
                "duration_s": body.duration_s if (mode == "extend" or "duration_s" in sent) else src.get("duration_s", body.duration_s),
                "mode": mode, "source_task_id": source["_id"], "source_object": source["result"]["object"],
                "source_ref": {k: str(v) for k, v in (source["result"].get("provider_ref") or {}).items()},
                "source_duration_s": source["result"].get("duration_s"),
            }
            negative = body.negative_prompt if "negative_prompt" in sent else src.get("negative_prompt")
            if negative:
                params["negative_prompt"] = negative
            seed = body.seed if body.seed is not None else src.get("seed")  # a remix keeps the seed unless changed
        else:
            provider = self.providers.name_for(MediaKind.VIDEO)
            start = self.signer.verify_url(body.image_url, owner=user_id).name if body.image_url else None
            end = self.signer.verify_url(body.last_frame_url, owner=user_id).name if body.last_frame_url else None
            if end:
                self._require(provider, "last_frame")
            if self.uploads is not None:
                self.uploads.touch([n for n in (start, end) if n], field="image_url")
            params = {"aspect_ratio": body.aspect_ratio, "duration_s": body.duration_s, "start_object": start,
                      "mode": "image-to-video" if start else "text-to-video"}
            if end:
                params["end_object"] = end
            if body.negative_prompt:
                params["negative_prompt"] = body.negative_prompt
            seed = body.seed
        return self._create_many(user_id=user_id, kind=TaskType.VIDEO, prompt=body.prompt, params=params,
                                 provider=provider, count=body.count, seed=seed)

    def _source_video(self, user_id: str, task_id: str) -> dict[str, Any]:
        """The caller's finished video `task_id`, or 404 (someone else's, unfinished or not a video alike)."""
        doc = self.tasks.get_owned(task_id, user_id)
        if doc["type"] != TaskType.VIDEO.value or doc["status"] != TaskStatus.COMPLETED.value or not doc.get("result"):
            raise NotFound("Task not found.", details={"reason": "remix and extend take a finished video of yours"})
        return doc

    @staticmethod
    def _require(provider: str, feature: str) -> None:
        if feature not in CAPABILITIES.get(provider, frozenset()):
            names = supporting(feature)
            what = {"remix": "Remix", "extend": "Extending a video", "last_frame": "A last frame"}.get(feature, feature)
            raise InvalidRequest(
                f"{what} is not supported by the {provider} provider; it is supported by: {', '.join(names)}.",
                code="not_supported", details={"feature": feature, "provider": provider, "supported_by": names},
            )

    def _create_many(self, *, user_id: str, kind: TaskType, prompt: str, params: dict[str, Any], provider: str,
                     count: int, seed: int | None) -> list[dict[str, Any]]:
        ids = [new_task_id() for _ in range(count)]
        base_seed = seed if seed is not None else secrets.randbelow(2**31)
        charges: list[Charge] = []
        try:
            for task_id in ids:
                charges.append(self.accounting.charge_for_task(user_id=user_id, kind=kind.value, task_id=task_id))
        except Exception:
            # All or nothing: the variations already charged are given back before the error leaves.
            for task_id, charge in zip(ids, charges, strict=False):
                self.accounting.refund_task(user_id=user_id, kind=kind.value, task_id=task_id, charge=charge,
                                            created_at=clock.now())
            raise
        docs = []
        for i, (task_id, charge) in enumerate(zip(ids, charges, strict=True)):
            own = {**params, "seed": (base_seed + i) % (MAX_SEED + 1)}
            if count > 1:
                own.update({"group_id": ids[0], "variation": i + 1, "variations": count})
            docs.append(self._create(user_id=user_id, kind=kind, prompt=prompt, params=own, provider=provider,
                                     task_id=task_id, charge=charge))
        return docs

    def _create(self, *, user_id: str, kind: TaskType, prompt: str, params: dict[str, Any], provider: str,
                task_id: str, charge: Charge) -> dict[str, Any]:
        cost = {"credits": charge.credits, "from_quota": charge.from_quota}
        try:
            doc = self.tasks.insert(task_id=task_id, user_id=user_id, kind=kind, prompt=prompt, params=params,
                                    provider=provider, cost=cost, deadline_s=self.config.deadline_s)
        except Exception:
            self.accounting.refund_task(user_id=user_id, kind=kind.value, task_id=task_id, charge=charge,
                                        created_at=clock.now())
            raise
        try:
            self.queue.enqueue({"task_id": task_id, "step": 0}, name=delivery_name(task_id, 0), group=user_id)
        except Exception as exc:
            log.exception("enqueue failed", extra={"task_id": task_id})
            self._fail(task_id, code="provider_unavailable", message="The generation queue is unavailable. You were not charged.")
            raise ServiceUnavailable("The generation queue is unavailable. Please try again.", code="provider_unavailable") from exc
        log.info("task created", extra={"task_id": task_id, "user_id": user_id, "kind": kind.value, "provider": provider})
        return doc

    # ---- views ----------------------------------------------------------------------

    def retry_failed(self, task_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The task-retry operation: a FAILED task back to PENDING at a fresh step, free (one atomic update,
        TaskStore.reset_for_retry), then its step enqueued. A refund the failure still owes (refund "pending":
        the worker fails, then refunds) is paid first, so a retry right after the failure is not refused.
        Returns (before, after). Raises NotFound (no such task) or Conflict (not FAILED)."""
        current = self.tasks.get(task_id) if plausible_id(task_id) else None
        if current is None:
            raise NotFound("Task not found.")
        if current["status"] == TaskStatus.FAILED.value and current.get("refund") == "pending":
            self._refund(current)  # the refund the failure owes goes through first (idempotent by key)
        doc = self.tasks.reset_for_retry(task_id)
        if doc is None:
            raise Conflict(f"Only failed tasks can be retried; this one is {current['status'].lower()}.",
                           details={"status": current["status"]})
        step = int(doc["step"])
        self.queue.enqueue({"task_id": task_id, "step": step}, name=delivery_name(task_id, step))
        return current, doc

    def to_api(self, doc: dict[str, Any]) -> Task:
        """The API shape of a stored task (read through TaskDocument, so a malformed document fails here, typed).
        Media URLs are signed now, so a rotated key re-signs every link."""
        t = TaskDocument.from_stored(doc)
        result = None
        if t.result is not None:
            r = t.result
            result = TaskResult(
                url=self.signer.url_for(r.object),
                thumbnail_url=self.signer.url_for(r.thumbnail_object) if r.thumbnail_object else None,
                mime_type=r.mime_type, bytes=r.bytes, width=r.width, height=r.height, duration_s=r.duration_s,
            )
        hidden = ("start_object", "reference_objects", "end_object", "source_object", "source_ref")
        params = {k: v for k, v in t.params.items() if k not in hidden}
        if t.params.get("start_object"):
            params["image_url"] = self.signer.url_for(t.params["start_object"])
        if t.params.get("end_object"):
            params["last_frame_url"] = self.signer.url_for(t.params["end_object"])
        if t.params.get("reference_objects"):
            params["reference_urls"] = [self.signer.url_for(n) for n in t.params["reference_objects"]]
        return Task(
            id=t.id, type=t.type, status=t.status, progress=t.progress, prompt=t.prompt, params=params,
            provider=t.provider, result=result,
            error=TaskError(code=t.error.code, message=t.error.message) if t.error else None,
            cost=TaskCost(credits=t.cost.credits, from_quota=t.cost.from_quota),
            created_at=t.created_at, updated_at=t.updated_at, started_at=t.started_at, completed_at=t.completed_at,
            shared=bool(t.share_token),
            refund_on_cancel=self.refund_on_cancel(doc),
            **self._whereabouts(doc),
        )

    def _whereabouts(self, doc: dict[str, Any]) -> dict[str, Any]:
        if doc["status"] not in (TaskStatus.PENDING.value, TaskStatus.GENERATING.value):
            return {}
        now = clock.now()
        return task_whereabouts(doc, now=now, median_s=self._median_duration(doc["type"], doc["provider"], now))

    def _median_duration(self, kind: str, provider: str, now: datetime) -> float | None:
        """The median creation→completion seconds of the latest completed tasks of a kind/provider, cached ETA_CACHE_S."""
        key = (kind, provider)
        hit = self._durations.get(key)
        if hit is None or (now - hit[0]).total_seconds() > ETA_CACHE_S:
            samples = sorted(self.tasks.recent_durations(kind=kind, provider=provider))
            median = samples[len(samples) // 2] if samples else None
            hit = (now, median)
            self._durations[key] = hit
        return hit[1]

    # ---- delete -------------------------------------------------------------------

    def delete(self, doc: dict[str, Any]) -> None:
        """Delete a task and its media; a task still running is canceled first (same money rule as `cancel`)."""
        if doc["status"] in (TaskStatus.PENDING.value, TaskStatus.GENERATING.value):
            try:
                self.cancel(doc)
            except Conflict:
                pass  # it finished meanwhile: nothing left to stop
        self.tasks.delete(doc["_id"])
        self.storage.delete_prefix(f"media/{doc['user_id']}/{doc['_id']}.")

    # ---- cancel -------------------------------------------------------------------

    def refund_on_cancel(self, doc: dict[str, Any]) -> bool | None:
        """Would canceling now refund the charge? None when the task is not running.

        Yes while the job never reached a provider (no job, no submit in flight), or when the
        provider's API can stop the job (OpenAI-style DELETE /v1/videos/{id}, the sim). Otherwise the
        provider renders (and bills the operator) anyway, so the charge is kept.
        """
        if doc["status"] not in (TaskStatus.PENDING.value, TaskStatus.GENERATING.value):
            return None
        return not _reached_provider(doc) or self._can_cancel(doc["provider"])

    def _can_cancel(self, provider_name: str) -> bool:
        try:
            return callable(getattr(self.providers.get(provider_name), "cancel", None))
        except ProviderError:
            return False

    def cancel(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Stop a running task: FAILED with code `canceled`. Refunds only what never reached a provider,
        or what the provider confirms it stopped. Conflict (409) when the task is not running."""
        stopped = False
        for _ in range(5):
            if doc["status"] not in (TaskStatus.PENDING.value, TaskStatus.GENERATING.value):
                raise Conflict("This task is not running any more.", details={"status": doc["status"]})
            if not _reached_provider(doc):
                failed = self.tasks.cancel(doc, refund=True, message="Canceled before it reached the AI provider. "
                                           "Your quota or credits were refunded.", only_if_unsubmitted=True)
            else:
                stopped = stopped or self._cancel_at_provider(doc)
                message = ("Canceled; the AI provider stopped the job. Your quota or credits were refunded." if stopped else
                           "Canceled. The AI provider had already started this job, so the charge is kept.")
                failed = self.tasks.cancel(doc, refund=stopped, message=message)
            if failed is not None:
                if failed.get("refund") == "pending":
                    self._refund(failed)
                log.info("task canceled", extra={"task_id": doc["_id"], "refund": failed.get("refund")})
                return self.tasks.get(doc["_id"]) or failed
            current = self.tasks.get(doc["_id"])
            if current is None:
                raise Conflict("This task is not running any more.")
            doc = current  # it moved on (submitted, finished) meanwhile: decide again
        raise Conflict("The task is changing right now. Please try again.")

    def _cancel_at_provider(self, doc: dict[str, Any]) -> bool:
        job = doc.get("job")
        if not job:
            return False
        try:
            cancel = getattr(self.providers.get(doc["provider"]), "cancel", None)
            return bool(cancel(job["id"], state=job.get("state") or {})) if callable(cancel) else False
        except ProviderError as exc:
            log.warning("cancel at the provider failed: %s", exc.detail or exc.code, extra={"task_id": doc["_id"]})
            return False

    # ---- worker step --------------------------------------------------------------

    def run_step(self, task_id: str, *, step: int) -> StepOutcome:
        """Run step `step` of task `task_id` under a lease (one Cloud Tasks delivery).

        Returns NOTHING_TO_DO for a finished/deleted task or a step that already ran, BUSY while another delivery holds
        the lease, else the step's outcome. Provider and application errors fail the task (with a refund) or schedule a
        retry; an unexpected transient error (storage, database) releases the lease and is re-raised so the queue retries,
        up to MAX_TRANSIENT_ATTEMPTS after which the task fails.
        """
        doc = self.tasks.claim_step(task_id, step=step, lease_s=self.config.lease_s)
        if doc is None:
            current = self.tasks.get(task_id)
            if current is None or current["status"] in (TaskStatus.COMPLETED.value, TaskStatus.FAILED.value):
                return StepOutcome.NOTHING_TO_DO
            if current["step"] != step:
                return StepOutcome.NOTHING_TO_DO
            return StepOutcome.BUSY
        log_extra = {"task_id": task_id, "user_id": doc["user_id"], "step": step}
        try:
            return self._advance(doc, step=step)
        except ProviderError as exc:
            return self._provider_failed(doc, exc, step=step)
        except AppError as exc:
            log.warning("step failed permanently: %s", exc.code, extra=log_extra)
            return self._fail_owned(doc, code=exc.code, message=exc.message)
        except Exception as exc:
            if not is_transient(exc):
                # Bad input (an image that does not decode, a render that cannot start): retrying cannot help.
                log.warning("step failed permanently: %r", exc, extra=log_extra)
                return self._fail_owned(doc, code="invalid_input", message=(
                    "The generation could not use its input (an image may be damaged). "
                    "Your quota or credits were refunded."))
            attempts = int(doc.get("attempts", 0)) + 1
            if attempts >= MAX_TRANSIENT_ATTEMPTS:
                log.exception("step crashed %s times; failing the task", attempts, extra=log_extra)
                return self._fail_owned(doc, code="internal", message=(
                    f"The generation failed on our side {attempts} times. Your quota or credits were refunded."))
            # Storage or database trouble: give the lease back and let the queue retry this step.
            log.exception("step crashed; releasing lease for a retry", extra=log_extra)
            self.tasks.finish_step(doc, next_step=step, transient_failure=True)
            raise

    def _advance(self, doc: dict[str, Any], *, step: int) -> StepOutcome:
        """One step of a claimed task: submit (no job yet) or poll, then wait, or fetch, store and complete.
        The claimed document is read through TaskDocument: a malformed one fails the step (pydantic's
        ValidationError is a ValueError: permanent, refunded) before any provider is called."""
        stored = TaskDocument.from_stored(doc)
        provider = self.providers.get(stored.provider)
        if stored.job is None:
            status = provider.submit(self._request(doc))
        else:
            status = provider.poll(stored.job.id, state=dict(stored.job.state))
        if status.error is not None:
            raise status.error
        job: dict[str, Any] = {"id": status.job_id, "state": status.state,
                               "fetch_failures": stored.job.fetch_failures if stored.job else 0}
        if not status.done:
            if self.tasks.save_job(doc, job=job, progress=status.progress) is None and stored.job is None:
                self._stop_orphan(provider, doc, status.job_id, status.state)  # canceled while we submitted
            return self._next(doc, step=step, delay_s=self.config.poll_interval_s)
        # Done at the provider: remember the job first, so a crash while
        # fetching re-fetches instead of generating (and paying) again.
        if stored.job is None:
            self.tasks.save_job(doc, job=job, progress=status.progress)
        try:
            media = provider.fetch(status.job_id, state=status.state)
        except ProviderError as exc:
            if exc.retryable:
                failures = job["fetch_failures"] + 1
                # A result lost at the provider side (e.g. a synchronous image held in memory) is re-submitted.
                self.tasks.save_job(doc, job=None if failures >= 2 else {**job, "fetch_failures": failures}, progress=0)
            raise
        # What a later remix/extend needs at the provider: its job id and (Veo) the video's file URI.
        ref = {"job_id": status.job_id}
        if isinstance(status.state.get("video_uri"), str):
            ref["video_uri"] = str(status.state["video_uri"])
        return self._store_and_complete(doc, media, provider_ref=ref)

    def _stop_orphan(self, provider: Any, doc: dict[str, Any], job_id: str, state: dict[str, object]) -> None:
        """A job submitted for a task canceled meanwhile: stop it at the provider where its API can."""
        cancel = getattr(provider, "cancel", None)
        if callable(cancel):
            try:
                cancel(job_id, state=state)
            except ProviderError:
                log.warning("could not stop an orphaned provider job", extra={"task_id": doc["_id"], "job_id": job_id})

    def _store_and_complete(self, doc: dict[str, Any], media: MediaResult, *,
                            provider_ref: dict[str, str] | None = None) -> StepOutcome:
        media = self._with_provenance(doc, self._watermarked(media))
        name = media_object_name(user_id=doc["user_id"], task_id=doc["_id"], mime_type=media.mime_type)
        # The thumbnail is made and uploaded while the media uploads (both are mostly waiting on storage).
        thumb_job = _side_work().submit(self._store_thumbnail, doc, media)
        try:
            info = self.storage.upload_bytes(name, media.data, content_type=media.mime_type)
        finally:
            thumb_name = thumb_job.result()
        result = {"object": name, "thumbnail_object": thumb_name, "mime_type": media.mime_type, "bytes": info.size,
                  "width": media.width, "height": media.height, "duration_s": media.duration_s,
                  "provider_ref": provider_ref or {}}
        if self.tasks.complete(doc, result=result) is None:
            if self.tasks.get(doc["_id"]) is None:  # deleted by its owner meanwhile: keep no orphans
                self.storage.delete_prefix(f"media/{doc['user_id']}/{doc['_id']}.")
            return StepOutcome.NOTHING_TO_DO
        log.info("task completed", extra={"task_id": doc["_id"], "user_id": doc["user_id"], "bytes": info.size})
        return StepOutcome.COMPLETED

    def _store_thumbnail(self, doc: dict[str, Any], media: MediaResult) -> str | None:
        """Make and upload the preview; None (the task completes without one) if that fails."""
        try:
            thumb = image_thumbnail(media.data) if media.mime_type.startswith("image/") else video_poster(media.data)
            thumb_name = media_object_name(user_id=doc["user_id"], task_id=doc["_id"], mime_type="image/jpeg", thumbnail=True)
            self.storage.upload_bytes(thumb_name, thumb, content_type="image/jpeg")
            return thumb_name
        except (ValueError, OSError):
            log.warning("thumbnail failed; the task completes without one", extra={"task_id": doc["_id"]})
            return None

    def _watermarked(self, media: MediaResult) -> MediaResult:
        """The media with the admin's visible watermark burned in (when enabled), before anything is stored."""
        text = self.watermark_text()
        if not text:
            return media
        from dataclasses import replace

        from common.watermark import watermark_image, watermark_video

        if media.mime_type.startswith("image/"):
            return replace(media, data=watermark_image(media.data, text))
        if media.mime_type == "video/mp4" and media.width and media.height:
            return replace(media, data=watermark_video(media.data, text, width=media.width, height=media.height))
        return media

    def _with_provenance(self, doc: dict[str, Any], media: MediaResult) -> MediaResult:
        """The media with a signed C2PA manifest (AI-generated; the task's provider and model) when the admin
        configured one (common/provenance.py); last before storage, so it covers the watermarked pixels.
        A signing failure (a bad certificate, a format c2pa cannot parse) is logged and the media stored unsigned:
        the user paid for the output, and the admin sees the error in the worker's log."""
        credentials = self.c2pa_credentials()
        if credentials is None:
            return media
        from dataclasses import replace

        from common.provenance import ProvenanceError, sign_media

        provider = str(doc["provider"])
        model = _model_name(self.providers.get(provider)) or provider
        try:
            return replace(media, data=sign_media(media.data, media.mime_type, credentials=credentials, provider=provider,
                                                  model=model))
        except ProvenanceError:
            log.exception("C2PA signing failed; the result is stored without a manifest", extra={"task_id": doc["_id"]})
            return media

    def _next(self, doc: dict[str, Any], *, step: int, delay_s: float, transient: bool = False) -> StepOutcome:
        if self.tasks.finish_step(doc, next_step=step + 1, transient_failure=transient) is None:
            return StepOutcome.NOTHING_TO_DO
        self.queue.enqueue({"task_id": doc["_id"], "step": step + 1}, name=delivery_name(doc["_id"], step + 1), delay_s=delay_s,
                           group=doc["user_id"])
        return StepOutcome.RETRYING if transient else StepOutcome.WAITING

    def _provider_failed(self, doc: dict[str, Any], exc: ProviderError, *, step: int) -> StepOutcome:
        attempts = int(doc.get("attempts", 0)) + 1
        log.warning("provider error %s (retryable=%s, attempt %s): %s", exc.code, exc.retryable, attempts, exc.detail,
                    extra={"task_id": doc["_id"], "user_id": doc["user_id"]})
        if exc.retryable and attempts < MAX_TRANSIENT_ATTEMPTS:
            return self._next(doc, step=step, delay_s=self._backoff.backoff(attempts), transient=True)
        message = exc.message
        if exc.retryable:
            message = f"{exc.message} We tried {attempts} times; your quota or credits were refunded."
        return self._fail_owned(doc, code=exc.code, message=message)

    def _fail_owned(self, doc: dict[str, Any], *, code: str, message: str) -> StepOutcome:
        failed = self.tasks.fail(doc["_id"], code=code, message=message, lease_id=doc["lease_id"])
        if failed is not None:
            self._refund(failed)
        return StepOutcome.FAILED

    def _fail(self, task_id: str, *, code: str, message: str) -> None:
        failed = self.tasks.fail(task_id, code=code, message=message)
        if failed is not None:
            self._refund(failed)

    def _refund(self, doc: dict[str, Any]) -> None:
        cost = doc.get("cost") or {}
        charge = Charge(credits=int(cost.get("credits", 0)), from_quota=bool(cost.get("from_quota")))
        self.accounting.refund_task(user_id=doc["user_id"], kind=doc["type"], task_id=doc["_id"], charge=charge,
                                    created_at=doc["created_at"])
        self.tasks.mark_refunded(doc["_id"])

    def _request(self, doc: dict[str, Any]) -> GenerationRequest:
        params = doc["params"]

        def load(name: str) -> ReferenceImage:
            """The stored input image `name` as a ReferenceImage, fully decoded once to prove it is intact.

            Raises InvalidInput when the object is gone or does not decode (the task fails and is refunded).
            """
            try:
                info = self.storage.stat(name)
                data = self.storage.read_bytes(name, max_bytes=MAX_REFERENCE_BYTES)
            except NotFound:
                raise InvalidInput("An input image of this task is no longer available. Upload it again.") from None
            try:  # every pixel must decode before a provider (or the operator's money) is involved
                decode_image(data, max_pixels=self.max_input_pixels).close()
            except AppError:
                raise InvalidInput("An input image of this task is damaged or incomplete, so it cannot be used. "
                                   "Upload it again. Your quota or credits were refunded.") from None
            return ReferenceImage(data=data, mime_type=info.content_type)

        return GenerationRequest(
            kind=MediaKind(doc["type"]),
            prompt=doc["prompt"],
            aspect_ratio=params.get("aspect_ratio", "16:9"),
            duration_s=params.get("duration_s"),
            start_image=load(params["start_object"]) if params.get("start_object") else None,
            reference_images=tuple(load(n) for n in params.get("reference_objects") or []),
            task_id=doc["_id"],
            seed=params.get("seed"),
            negative_prompt=params.get("negative_prompt"),
            end_image=load(params["end_object"]) if params.get("end_object") else None,
            mode=params.get("mode") if params.get("mode") in ("remix", "extend") else "generate",
            source_video=self._source_bytes(params["source_object"]) if params.get("source_object") else None,
            source_ref=dict(params.get("source_ref") or {}),
        )

    def _source_bytes(self, name: str) -> ReferenceImage:
        """The source video of a remix/extend; a source deleted meanwhile fails the task (no retry loop)."""
        if not self.storage.exists(name):
            raise InvalidProviderRequest("The source video was deleted before it could be used.")
        return ReferenceImage(data=self.storage.read_bytes(name, max_bytes=MAX_SOURCE_VIDEO_BYTES), mime_type="video/mp4")

    # ---- sweep (reaper) -----------------------------------------------------------

    def sweep(self, *, idle_s: float = 60.0) -> dict[str, int]:
        """Fail overdue tasks, re-enqueue stalled ones, finish refunds a crash interrupted."""
        counts = {"failed": 0, "requeued": 0, "refunded": 0}
        for doc in self.tasks.overdue():
            failed = self.tasks.fail(doc["_id"], code="timeout",
                                     message="The generation took too long and was stopped. Your quota or credits were refunded.")
            if failed is not None:
                self._refund(failed)
                counts["failed"] += 1
        for doc in self.tasks.stalled(idle_s=idle_s):
            name = f"{doc['_id']}-{doc['step']}-sweep-{int(clock.now().timestamp())}"
            if self.queue.enqueue({"task_id": doc["_id"], "step": doc["step"]}, name=name, group=doc["user_id"]):
                counts["requeued"] += 1
        for doc in self.tasks.refunds_pending():
            self._refund(doc)
            counts["refunded"] += 1
        if any(counts.values()):
            log.info("sweep", extra=counts)
        return counts


def _model_name(provider: object) -> str | None:
    """The model a provider adapter is configured with (Gemini, Veo, OpenAI keep it as `_model`); None for sim."""
    model = getattr(provider, "model", None) or getattr(provider, "_model", None)
    return str(model) if model else None


@functools.cache
def _side_work() -> ThreadPoolExecutor:
    """Threads for work a step runs beside its own (the thumbnail while the media uploads)."""
    return ThreadPoolExecutor(max_workers=8, thread_name_prefix="side-work")


__all__ = ["Generation", "GenerationConfig", "JobStatus", "StepOutcome"]
