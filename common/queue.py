"""Task queue port: Cloud Tasks in production, an in-process dispatcher locally.

Both deliver a JSON payload by HTTP POST to the worker route, at least once:
a named task is accepted once (de-duplicated for about an hour), delivery may
be delayed, and any non-2xx answer (or a dropped connection) is retried with
exponential backoff, exactly as Cloud Tasks does. The worker is idempotent.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import requests

log = logging.getLogger(__name__)

DEDUP_WINDOW_S = 3600.0
MAX_TASK_BYTES = 1_000_000


class Queue(Protocol):
    """What generation needs of a task queue (Cloud Tasks in production, LocalQueue locally): at-least-once delivery of
    JSON payloads as HTTP POSTs, named tasks de-duplicated.
    """
    def enqueue(self, payload: dict[str, Any], *, name: str | None = None, delay_s: float = 0.0,
                group: str | None = None) -> bool:
        """Accept a delivery. False when a task of that name was already accepted (de-duplicated).

        `group` (the user a task belongs to) lets a dispatcher share its slots fairly between
        groups; Cloud Tasks has no such notion and ignores it.
        """

    def ping(self) -> bool: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class RetryPolicy:
    """Cloud Tasks' retry semantics for the local stack's in-process queue.

    Production's numbers are owned by terraform/queue.tf (8 attempts by
    default, backoff 5-300 s, 4 doublings, at most 3600 s of retries); these
    defaults are deliberately faster (30 attempts, 0.2-30 s) so a local run
    or a test recovers in seconds. In both, a task whose step keeps failing
    is failed and refunded by the sweep after TASK_DEADLINE_S, not by the
    last attempt. tests/unit/test_terraform.py checks this text against
    queue.tf.
    """

    max_attempts: int = 30
    min_backoff_s: float = 0.2
    max_backoff_s: float = 30.0
    max_doublings: int = 8

    def backoff(self, attempt: int) -> float:
        """Delay before retry number `attempt` (1-based), as Cloud Tasks computes it."""
        doublings = min(attempt - 1, self.max_doublings)
        return float(min(self.max_backoff_s, self.min_backoff_s * (2**doublings)))


@dataclass(order=True)
class _Delivery:
    due: float
    seq: int
    name: str = field(compare=False)
    body: bytes = field(compare=False)
    attempt: int = field(compare=False, default=0)
    group: str = field(compare=False, default="")


class LocalQueue:
    """In-process dispatcher with Cloud Tasks' semantics, delivering over real HTTP.

    At most `concurrency` deliveries are in flight. Among deliveries that are due,
    groups (users) take turns: each group has its own queue ordered by due time,
    and the dispatcher serves the groups round-robin, so one user's 200 tasks
    do not make another user's single task wait behind all of them.
    """

    def __init__(
        self,
        *,
        target_url: str,
        headers: dict[str, str],
        queue_name: str = "generation",
        retry: RetryPolicy | None = None,
        concurrency: int = 8,
        dispatch_deadline_s: float = 600.0,
    ) -> None:
        self._url = target_url
        self._headers = {"Content-Type": "application/json", **headers}
        self._queue_name = queue_name
        self._retry = retry or RetryPolicy()
        self._deadline = dispatch_deadline_s
        self._concurrency = concurrency
        self._groups: dict[str, list[_Delivery]] = {}  # group -> heap by (due, seq)
        self._ring: deque[str] = deque()  # groups with scheduled deliveries, in serving order
        self._seq = itertools.count()
        self._names: dict[str, float] = {}
        self._inflight = 0
        self._cond = threading.Condition()
        self._closed = False
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="queue-delivery")
        self._session = requests.Session()
        self._thread = threading.Thread(target=self._dispatch_loop, daemon=True, name="queue-dispatcher")
        self._thread.start()

    def enqueue(self, payload: dict[str, Any], *, name: str | None = None, delay_s: float = 0.0,
                group: str | None = None) -> bool:
        """Schedule `payload` (JSON, at most 1 MB) for delivery after `delay_s` seconds. False if a task `name` was accepted
        in the last DEDUP_WINDOW_S seconds. Raises ValueError for an oversized payload, RuntimeError once closed.
        """
        body = json.dumps(payload).encode()
        if len(body) > MAX_TASK_BYTES:
            raise ValueError("task payload exceeds 1 MB")
        now = time.monotonic()
        with self._cond:
            if self._closed:
                raise RuntimeError("queue is closed")
            self._names = {n: t for n, t in self._names.items() if now - t < DEDUP_WINDOW_S}
            task_name = name or f"auto-{next(self._seq)}-{time.time_ns()}"
            if task_name in self._names:
                return False
            self._names[task_name] = now
            self._schedule(_Delivery(now + max(0.0, delay_s), next(self._seq), task_name, body, group=group or ""))
            self._cond.notify_all()
        return True

    def ping(self) -> bool:
        """True while the dispatcher thread runs and the queue is open."""
        return self._thread.is_alive() and not self._closed

    def pending(self) -> int:
        """Deliveries scheduled or in flight."""
        with self._cond:
            return self._scheduled() + self._inflight

    def wait_idle(self, timeout_s: float = 30.0) -> bool:
        """Tests and benchmarks: wait until nothing is scheduled or in flight."""
        end = time.monotonic() + timeout_s
        with self._cond:
            while self._groups or self._inflight:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    def close(self) -> None:
        """Stop accepting and dispatching; scheduled deliveries are dropped, in-flight ones are not awaited."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _scheduled(self) -> int:
        return sum(len(h) for h in self._groups.values())

    def _schedule(self, d: _Delivery) -> None:
        """Under the lock: add a delivery to its group's queue (a new group joins the end of the ring)."""
        heap = self._groups.get(d.group)
        if heap is None:
            heap = self._groups[d.group] = []
            self._ring.append(d.group)
        heapq.heappush(heap, d)

    def _next_due(self, now: float) -> _Delivery | float | None:
        """Under the lock: the next delivery in round-robin order among due ones (its group moves to the
        end of the ring), else the earliest due time, else None when nothing is scheduled."""
        earliest: float | None = None
        for _ in range(len(self._ring)):
            group = self._ring[0]
            heap = self._groups[group]
            if heap[0].due <= now:
                d = heapq.heappop(heap)
                self._ring.popleft()
                if heap:
                    self._ring.append(group)
                else:
                    del self._groups[group]
                return d
            earliest = heap[0].due if earliest is None else min(earliest, heap[0].due)
            self._ring.rotate(-1)
        return earliest

    def _dispatch_loop(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._closed:
                        return
                    if self._inflight >= self._concurrency:
                        self._cond.wait()
                        continue
                    found = self._next_due(time.monotonic())
                    if isinstance(found, _Delivery):
                        delivery = found
                        break
                    self._cond.wait(None if found is None else max(0.0, found - time.monotonic()))
                self._inflight += 1
            try:
                self._pool.submit(self._deliver, delivery)
            except RuntimeError:  # pool shut down
                return

    def _deliver(self, d: _Delivery) -> None:
        headers = {
            **self._headers,
            "X-CloudTasks-QueueName": self._queue_name,
            "X-CloudTasks-TaskName": d.name,
            "X-CloudTasks-TaskRetryCount": str(d.attempt),
            "X-CloudTasks-TaskExecutionCount": str(d.attempt),
        }
        ok = False
        try:
            response = self._session.post(self._url, data=d.body, headers=headers, timeout=self._deadline)
            ok = 200 <= response.status_code < 300
            if not ok:
                log.warning("queue delivery answered %s", response.status_code, extra={"task_name": d.name})
        except requests.RequestException as exc:
            log.warning("queue delivery failed: %s", exc.__class__.__name__, extra={"task_name": d.name})
        with self._cond:
            self._inflight -= 1
            if not ok and not self._closed:
                d.attempt += 1
                if d.attempt < self._retry.max_attempts:
                    d.due = time.monotonic() + self._retry.backoff(d.attempt)
                    d.seq = next(self._seq)
                    self._schedule(d)
                else:
                    log.error("queue delivery dropped after %s attempts", d.attempt, extra={"task_name": d.name})
            self._cond.notify_all()


def _already_exists(exc: Exception) -> bool:
    """409 is ALREADY_EXISTS (a de-duplicated name) or ABORTED (transient); only the body tells them apart."""
    from google.api_core import exceptions as gexc

    if isinstance(exc, gexc.AlreadyExists):
        return True
    response = getattr(exc, "response", None)
    try:
        return bool(response is not None and response.json()["error"]["status"] == "ALREADY_EXISTS")
    except (ValueError, KeyError, TypeError, AttributeError):
        return "already exists" in str(exc).lower()


class CloudTasksQueue:
    """Google Cloud Tasks through the official client: HTTP target with an OIDC token."""

    def __init__(
        self,
        *,
        project: str,
        location: str,
        queue: str,
        target_url: str,
        service_account: str,
        audience: str,
        endpoint: str = "",
        dispatch_deadline_s: int = 600,
    ) -> None:
        from google.cloud import tasks_v2

        kwargs: dict[str, Any] = {"transport": "rest"}
        if endpoint:
            from google.auth.credentials import AnonymousCredentials

            kwargs["client_options"] = {"api_endpoint": endpoint}
            kwargs["credentials"] = AnonymousCredentials()  # type: ignore[no-untyped-call]
        self._client = tasks_v2.CloudTasksClient(**kwargs)
        self._tasks_v2 = tasks_v2
        self._parent = self._client.queue_path(project, location, queue)
        self._url = target_url
        self._sa = service_account
        self._audience = audience or target_url
        self._deadline = max(15, min(1800, dispatch_deadline_s))

    def enqueue(self, payload: dict[str, Any], *, name: str | None = None, delay_s: float = 0.0,
                group: str | None = None) -> bool:
        """Create an HTTP task (Cloud Tasks v2 create_task) POSTing `payload` to the worker, with an OIDC token when a
        service account is set and schedule_time for `delay_s` (at most 30 days). `name` becomes the task id, so a
        repeat within Cloud Tasks' de-duplication window answers ALREADY_EXISTS and this returns False.
        Raises ValueError for a payload over 1 MB (Cloud Tasks' task size limit); other API errors propagate.
        """
        from google.api_core import exceptions as gexc
        from google.protobuf import duration_pb2, timestamp_pb2

        body = json.dumps(payload).encode()
        if len(body) > MAX_TASK_BYTES:
            raise ValueError("task payload exceeds 1 MB")
        http_request: dict[str, Any] = {
            "http_method": self._tasks_v2.HttpMethod.POST,
            "url": self._url,
            "headers": {"Content-Type": "application/json"},
            "body": body,
        }
        if self._sa:
            http_request["oidc_token"] = {"service_account_email": self._sa, "audience": self._audience}
        task: dict[str, Any] = {
            "http_request": http_request,
            "dispatch_deadline": duration_pb2.Duration(seconds=self._deadline),
        }
        if name:
            task["name"] = f"{self._parent}/tasks/{name}"
        if delay_s > 0:
            ts = timestamp_pb2.Timestamp()
            ts.FromDatetime(datetime.now(UTC) + timedelta(seconds=min(delay_s, 30 * 86400)))
            task["schedule_time"] = ts
        try:
            self._client.create_task(request={"parent": self._parent, "task": task}, timeout=15)
        except gexc.Conflict as exc:
            if _already_exists(exc):
                return False
            raise
        return True

    def ping(self) -> bool:
        """Always True: no API call is made (Cloud Tasks is a managed service; a failing enqueue surfaces as an error)."""
        return True

    def close(self) -> None:
        """Nothing to release: the client is kept for the life of the process."""
        pass
