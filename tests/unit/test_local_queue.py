"""LocalQueue keeps Cloud Tasks' promises: HTTP delivery with its headers, delay, retry with backoff, names."""

from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from common.queue import LocalQueue, RetryPolicy


class Target:
    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.calls: list[tuple[float, dict[str, str], dict[str, Any]]] = []
        self.gate = threading.Event()  # cleared by a test to hold deliveries in the handler
        self.gate.set()
        target = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                target.calls.append((time.monotonic(), dict(self.headers), body))
                assert target.gate.wait(10), "the test never opened the gate"
                status = target.statuses.pop(0) if target.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/tasks/run"


@pytest.fixture
def target() -> Any:
    t = Target([])
    yield t
    t.server.shutdown()


def make_queue(target: Target, **kw: Any) -> LocalQueue:
    return LocalQueue(target_url=target.url, headers={"X-Worker-Secret": "s"}, **kw)


def test_delivers_payload_with_cloud_tasks_headers(target: Target) -> None:
    q = make_queue(target)
    assert q.enqueue({"task_id": "t1"}, name="t1-0")
    assert q.wait_idle(10)
    (_, headers, body), = target.calls
    assert body == {"task_id": "t1"}
    assert headers["X-Worker-Secret"] == "s"
    assert headers["X-CloudTasks-TaskName"] == "t1-0"
    assert headers["X-CloudTasks-QueueName"] == "generation"
    assert headers["X-CloudTasks-TaskRetryCount"] == "0"
    q.close()


def test_same_name_is_accepted_once(target: Target) -> None:
    q = make_queue(target)
    assert q.enqueue({"n": 1}, name="dup") is True
    assert q.enqueue({"n": 2}, name="dup") is False
    assert q.wait_idle(10)
    assert [c[2] for c in target.calls] == [{"n": 1}]
    q.close()


def test_non_2xx_is_retried_with_growing_retry_count_until_success(target: Target) -> None:
    target.statuses = [503, 500, 429]
    q = make_queue(target, retry=RetryPolicy(min_backoff_s=0.01, max_backoff_s=0.05))
    q.enqueue({"task_id": "r"})
    assert q.wait_idle(10)
    assert [c[1]["X-CloudTasks-TaskRetryCount"] for c in target.calls] == ["0", "1", "2", "3"]
    q.close()


def test_gives_up_after_max_attempts(target: Target) -> None:
    target.statuses = [500] * 10
    q = make_queue(target, retry=RetryPolicy(max_attempts=3, min_backoff_s=0.01, max_backoff_s=0.01))
    q.enqueue({"task_id": "x"})
    assert q.wait_idle(10)
    assert len(target.calls) == 3
    q.close()


def test_delayed_task_is_not_delivered_before_its_time(target: Target) -> None:
    q = make_queue(target)
    enqueued_at = time.monotonic()
    q.enqueue({"late": True}, delay_s=0.3)
    assert q.wait_idle(10)
    ((delivered_at, _, body),) = target.calls
    assert body == {"late": True}
    # A lower bound only: a slow machine delivers later, never earlier.
    assert delivered_at - enqueued_at >= 0.3
    q.close()


def test_unreachable_worker_is_retried(target: Target, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="common.queue")
    q = LocalQueue(target_url="http://127.0.0.1:1/api/tasks/run", headers={},
                   retry=RetryPolicy(max_attempts=3, min_backoff_s=0.01, max_backoff_s=0.01))
    q.enqueue({"x": 1}, name="unreachable")
    assert q.wait_idle(10)
    q.close()
    failed = [r for r in caplog.records if r.getMessage().startswith("queue delivery failed")]
    dropped = [r for r in caplog.records if r.getMessage().startswith("queue delivery dropped after 3 attempts")]
    assert len(failed) == 3, [r.getMessage() for r in caplog.records]  # the first try and two retries
    assert all(getattr(r, "task_name", None) == "unreachable" for r in failed + dropped)
    assert len(dropped) == 1


def test_backoff_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy(min_backoff_s=1, max_backoff_s=10, max_doublings=3)
    assert [policy.backoff(n) for n in range(1, 7)] == [1, 2, 4, 8, 8, 8]


def test_payload_over_one_megabyte_is_refused(target: Target) -> None:
    q = make_queue(target)
    with pytest.raises(ValueError):
        q.enqueue({"blob": "x" * 1_000_001})
    q.close()


def test_users_take_turns_one_users_burst_does_not_starve_another(target: Target) -> None:
    q = make_queue(target, concurrency=1)
    target.gate.clear()  # the first delivery blocks: everything below is scheduled before the next dispatch
    for i in range(20):
        assert q.enqueue({"task_id": f"a{i}"}, name=f"a{i}", group="alice")
    deadline = time.monotonic() + 10
    while not target.calls:
        assert time.monotonic() < deadline, "the first delivery never arrived"
        time.sleep(0.01)
    assert q.enqueue({"task_id": "b0"}, name="b0", group="bob")
    target.gate.set()
    assert q.wait_idle(20)
    order = [body["task_id"] for _, _, body in target.calls]
    assert sorted(order) == sorted([f"a{i}" for i in range(20)] + ["b0"])
    assert order.index("b0") == 2  # a0 (in flight), a1, then bob's turn: not after alice's other 19
    assert [t for t in order if t != "b0"] == [f"a{i}" for i in range(20)]  # each user's own order is kept


def test_at_most_concurrency_deliveries_in_flight(target: Target) -> None:
    q = make_queue(target, concurrency=2)
    target.gate.clear()
    for i in range(6):
        q.enqueue({"task_id": f"t{i}"}, name=f"t{i}", group=f"u{i}")
    deadline = time.monotonic() + 10
    while len(target.calls) < 2:
        assert time.monotonic() < deadline, "two deliveries never started"
        time.sleep(0.01)
    assert q.pending() == 6
    assert len(target.calls) == 2  # the other four wait for a slot, they are not queued in a thread pool
    target.gate.set()
    assert q.wait_idle(20)
    assert len(target.calls) == 6
