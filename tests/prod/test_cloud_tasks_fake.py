"""The Cloud Tasks fake schedules by its injected clock: a retry's backoff is clock time, not wall time."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from common.clock import FrozenClock
from common.queue import CloudTasksQueue
from tests.abuse_helpers import wait_until
from tests.prod.cloud_tasks import DeliveringCloudTasks

INVOKER = "tasks@p.iam.gserviceaccount.com"


@pytest.fixture
def worker() -> Iterator[tuple[str, list[int]]]:
    """A target that answers 500 to the first delivery and 204 after; yields its URL and the answers given."""
    answers: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            answers.append(500 if not answers else 204)
            self.send_response(answers[-1])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/tasks/run", answers
    server.shutdown()
    server.server_close()


def test_a_failed_delivery_is_retried_after_the_backoff_in_clock_time(worker: tuple[str, list[int]]) -> None:
    url, answers = worker
    clock = FrozenClock(datetime(2026, 11, 1, 12, 0, tzinfo=UTC))
    with DeliveringCloudTasks(invokers={INVOKER}, min_backoff_s=30, max_backoff_s=60, clock=clock) as tasks:
        queue = CloudTasksQueue(project="p", location="l", queue="q", target_url=url, service_account=INVOKER,
                                audience=url, endpoint=tasks.endpoint)
        assert queue.enqueue({"task_id": "t1", "step": 0}, name="t1-0") is True

        wait_until(lambda: len(tasks.deliveries) == 1 and tasks.pending() == 1, what="the first delivery and its retry")
        assert tasks.deliveries[0].status == 500
        due = min(tasks._heap).at  # the retry: 30 s of clock time after the failure
        assert due == clock.now().timestamp() + 30
        assert len(answers) == 1  # the frozen clock has not reached it

        clock.advance(30)
        tasks.wake()
        wait_until(lambda: len(tasks.deliveries) == 2, what="the retry once the clock reached its schedule")
        assert [(d.attempt, d.status) for d in tasks.deliveries] == [(0, 500), (1, 204)]
        assert tasks.pending() == 0
