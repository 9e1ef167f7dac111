"""A fake Cloud Tasks that also plays Cloud Run's IAM in front of the private worker.

`create_task` arrives over the REST wire format the official client speaks
(tests/integration/gcp_fakes.FakeCloudTasks). Each task is then DELIVERED at
its `scheduleTime`: an HTTP POST of its body to its URL with the
`X-CloudTasks-*` headers, retried with backoff while the answer is not 2xx, as
Cloud Tasks does. The OIDC token is what Cloud Run forwards to the container
after its IAM check: Google's claims for `oidcToken.serviceAccountEmail` and
`oidcToken.audience`, signature replaced by `SIGNATURE_REMOVED_BY_GOOGLE`. A
caller without `roles/run.invoker` on the worker (`invokers`) is refused with
403 before the container, as Cloud Run's front end would.

When a task is due (its `scheduleTime`, and the backoff of its retries) is read
from an injected `common.clock.Clock`, the system clock by default; a test with
a `FrozenClock` moves it and calls `wake()` to let the dispatcher look again.
"""

from __future__ import annotations

import base64
import heapq
import itertools
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests

from common.clock import SYSTEM_CLOCK, Clock
from tests.fakes.oidc import forwarded_token, google_claims
from tests.integration.gcp_fakes import FakeCloudTasks


@dataclass(order=True)
class _Due:
    at: float
    seq: int
    name: str = field(compare=False)
    attempt: int = field(compare=False, default=0)


@dataclass
class Delivery:
    name: str
    attempt: int
    status: int


class DeliveringCloudTasks(FakeCloudTasks):
    """Stores tasks like FakeCloudTasks and delivers them to their HTTP target."""

    def __init__(self, *, invokers: set[str], max_attempts: int = 30, min_backoff_s: float = 0.1,
                 max_backoff_s: float = 1.0, clock: Clock = SYSTEM_CLOCK) -> None:
        """`invokers`: service accounts holding run.invoker on the target; a failed delivery is retried after
        min(`max_backoff_s`, `min_backoff_s` * 2**attempt) seconds of `clock` time, `max_attempts` times at most."""
        super().__init__()
        self.clock = clock
        self.invokers = invokers
        self.max_attempts = max_attempts
        self.min_backoff_s = min_backoff_s
        self.max_backoff_s = max_backoff_s
        self.deliveries: list[Delivery] = []
        self._heap: list[_Due] = []
        self._seq = itertools.count()
        self._cv = threading.Condition()
        self._stopping = False
        self._http = requests.Session()
        self._http.trust_env = False
        self._dispatcher = threading.Thread(target=self._loop, daemon=True, name="fake-cloud-tasks")

    def handle(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        status, answer = super().handle(method, path, body)
        if status == 200:
            due = _parse_time(answer.get("scheduleTime"), default=self._now())
            with self._cv:
                heapq.heappush(self._heap, _Due(due, next(self._seq), answer["name"]))
                self._cv.notify()
        return status, answer

    def __enter__(self) -> DeliveringCloudTasks:
        super().__enter__()
        self._dispatcher.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._cv:
            self._stopping = True
            self._cv.notify_all()
        self._dispatcher.join(timeout=10)
        super().__exit__(*exc)

    def pending(self) -> int:
        """How many tasks wait for a (first or retried) delivery."""
        with self._cv:
            return len(self._heap)

    def wake(self) -> None:
        """Make the dispatcher read the clock again (after a test moved a frozen clock)."""
        with self._cv:
            self._cv.notify_all()

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def _loop(self) -> None:
        while True:
            with self._cv:
                while not self._stopping and (not self._heap or self._heap[0].at > self._now()):
                    self._cv.wait(timeout=None if not self._heap else max(0.0, self._heap[0].at - self._now()))
                if self._stopping:
                    return
                due = heapq.heappop(self._heap)
            threading.Thread(target=self._deliver, args=(due,), daemon=True).start()

    def _deliver(self, due: _Due) -> None:
        task = self.tasks[due.name]
        http = task["httpRequest"]
        headers = dict(http.get("headers") or {})
        headers.update({
            "X-CloudTasks-QueueName": due.name.split("/queues/")[1].split("/")[0],
            "X-CloudTasks-TaskName": due.name.rsplit("/", 1)[1],
            "X-CloudTasks-TaskRetryCount": str(due.attempt),
            "X-CloudTasks-TaskExecutionCount": str(due.attempt),
        })
        oidc = http.get("oidcToken") or {}
        status = 403
        email = oidc.get("serviceAccountEmail", "")
        if email in self.invokers:  # Cloud Run IAM: run.invoker on the worker
            token = forwarded_token(google_claims(email=email, audience=oidc.get("audience") or http["url"]))
            headers["Authorization"] = f"Bearer {token}"
            try:
                response = self._http.post(http["url"], data=base64.b64decode(http.get("body", "")), headers=headers,
                                           timeout=60)
                status = response.status_code
            except requests.RequestException:
                status = 599
        self.deliveries.append(Delivery(due.name, due.attempt, status))
        if 200 <= status < 300 or due.attempt + 1 >= self.max_attempts:
            return
        backoff = min(self.max_backoff_s, self.min_backoff_s * 2 ** due.attempt)
        with self._cv:
            heapq.heappush(self._heap, _Due(self._now() + backoff, next(self._seq), due.name, due.attempt + 1))
            self._cv.notify()


def _parse_time(value: str | None, *, default: float) -> float:
    if not value:
        return default
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
