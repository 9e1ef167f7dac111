"""The worker under at-least-once delivery: duplicates, concurrency, failures, refunds, auth."""

from __future__ import annotations

import threading
from typing import Any

from common.models import TaskStatus
from tests.conftest import WORKER_SECRET, Stack, start_stack, stop_stack
from tests.fakes.oidc import forwarded_token, google_claims


def _create_pending(stack: Stack, token: str, prompt: str = "p", kind: str = "image") -> dict[str, Any]:
    """A task whose first delivery is withheld, so the test controls every delivery itself."""
    swap_queue(stack, _RecordingQueue())  # nothing is delivered by the local queue from now on
    r = stack.api("POST", f"/api/ai/{kind}", token=token, json={"prompt": prompt})
    assert r.status_code == 202, r.text
    return dict(r.json())


def set_pricing(stack: Stack, **fields: dict[str, int]) -> None:
    """What the admin panel does: write the `pricing` settings document."""
    stack.svc.db.settings.update_one({"_id": "pricing"}, {"$set": fields}, upsert=True)


def swap_queue(stack: Stack, queue: Any) -> None:
    stack.svc.queue.close()
    stack.svc.__dict__["queue"] = queue
    stack.svc.generation.queue = queue


class _RecordingQueue:
    def __init__(self) -> None:
        self.sent: list[tuple[dict[str, Any], str | None, float]] = []
        self._names: set[str] = set()

    def enqueue(self, payload: dict[str, Any], *, name: str | None = None, delay_s: float = 0.0,
                group: str | None = None) -> bool:
        if name in self._names:
            return False
        if name:
            self._names.add(name)
        self.sent.append((payload, name, delay_s))
        return True

    def ping(self) -> bool:
        return True

    def close(self) -> None:
        pass


def _objects(stack: Stack, user_id: str) -> list[str]:
    return sorted(b.name for b in stack.svc.storage.client.list_blobs(stack.svc.storage.bucket_name, prefix=f"media/{user_id}/"))


def test_worker_rejects_calls_without_the_queue_identity(stack: Stack) -> None:
    r = stack.api("POST", "/api/tasks/run", json={"task_id": "x"})
    assert r.status_code == 403
    r = stack.api("POST", "/api/tasks/run", json={"task_id": "x"}, headers={"X-Worker-Secret": "guess"})
    assert r.status_code == 403


INVOKER = "sora-tasks@proj.iam.gserviceaccount.com"
WORKER_URL = "https://sora-worker-abc-uc.a.run.app"


def _as_production(stack: Stack) -> None:
    """The worker's caller check as deployed (the rest of the stack stays local)."""
    stack.svc.settings = stack.svc.settings.model_copy(
        update={"ENV": "production", "TASKS_SERVICE_ACCOUNT": INVOKER, "WORKER_AUDIENCE": WORKER_URL})


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_production_worker_accepts_the_token_cloud_run_forwards(stack: Stack) -> None:
    """Cloud Run verified the token and removed its signature: the claims decide (a re-verification fails)."""
    _as_production(stack)
    token = forwarded_token(google_claims(email=INVOKER, audience=WORKER_URL))
    r = stack.api("POST", "/api/tasks/run", json={"task_id": "does-not-exist"}, headers=_bearer(token))
    assert r.status_code == 200, r.text
    assert r.json() == {"outcome": "nothing_to_do"}
    r = stack.api("POST", "/api/tasks/sweep", json={}, headers=_bearer(token))
    assert r.status_code == 200, r.text


def test_production_worker_refuses_no_token_wrong_caller_and_the_local_secret(stack: Stack) -> None:
    _as_production(stack)
    stranger = forwarded_token(google_claims(email="someone@proj.iam.gserviceaccount.com", audience=WORKER_URL))
    other_service = forwarded_token(google_claims(email=INVOKER, audience="https://sora-generate-abc-uc.a.run.app"))
    expired = forwarded_token(google_claims(email=INVOKER, audience=WORKER_URL, now=1_000_000_000))  # 2001: long expired whatever the clock
    for path in ("/api/tasks/run", "/api/tasks/sweep"):
        for headers in ({}, {"X-Worker-Secret": WORKER_SECRET}, _bearer(stranger), _bearer(other_service),
                        _bearer(expired), _bearer("not-a-jwt")):
            r = stack.api("POST", path, json={"task_id": "x"}, headers=headers)
            assert r.status_code == 403, (path, headers, r.text)
            assert r.json()["error"]["code"] == "forbidden"


def test_unknown_task_is_nothing_to_do_and_bad_payload_is_400(stack: Stack) -> None:
    assert stack.worker({"task_id": "does-not-exist"}).json() == {"outcome": "nothing_to_do"}
    assert stack.worker({"nope": 1}).status_code == 400


def test_duplicate_delivery_after_completion_neither_generates_again_nor_corrupts(stack: Stack) -> None:
    token = stack.register()
    task = _create_pending(stack, token)
    assert stack.worker({"task_id": task["id"], "step": 0}).json()["outcome"] == "completed"
    first = stack.api("GET", f"/api/ai/tasks/{task['id']}", token=token).json()
    for _ in range(3):
        assert stack.worker({"task_id": task["id"], "step": 0}).json()["outcome"] == "nothing_to_do"
    again = stack.api("GET", f"/api/ai/tasks/{task['id']}", token=token).json()
    assert again == first
    user_id = stack.svc.db.tasks.find_one({"_id": task["id"]})["user_id"]
    assert _objects(stack, user_id) == sorted([f"media/{user_id}/{task['id']}.png", f"media/{user_id}/{task['id']}.thumb.jpg"])


def test_five_concurrent_deliveries_generate_once(stack: Stack) -> None:
    token = stack.register()
    task = _create_pending(stack, token, kind="video")
    calls: list[str] = []
    provider = stack.svc.providers.get("sim")
    original = provider.submit

    def counting_submit(request: Any) -> Any:
        calls.append(request.task_id)
        return original(request)

    provider.submit = counting_submit  # type: ignore[method-assign]
    outcomes: list[int] = []
    barrier = threading.Barrier(5)

    def deliver() -> None:
        barrier.wait()
        outcomes.append(stack.worker({"task_id": task["id"], "step": 0}).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [task["id"]]  # exactly one generation
    assert sorted(outcomes).count(200) >= 1
    assert set(outcomes) <= {200, 503}  # the others were told to retry later or that nothing was left
    done = stack.api("GET", f"/api/ai/tasks/{task['id']}", token=token).json()
    assert done["status"] == "COMPLETED"
    user_id = stack.svc.db.tasks.find_one({"_id": task["id"]})["user_id"]
    assert len([o for o in _objects(stack, user_id) if o.endswith(".mp4")]) == 1


def test_provider_refusal_fails_with_clean_message_and_refunds_quota(stack: Stack) -> None:
    token = stack.register()
    before = stack.api("GET", "/api/auth/me", token=token).json()["quota"]["image"]["used"]
    task = stack.api("POST", "/api/ai/image", token=token, json={"prompt": "bad [sim:unsafe]"}).json()
    done = stack.wait_task(token, task["id"])
    assert done["status"] == "FAILED"
    assert done["error"]["code"] == "safety_refusal"
    assert "safety" in done["error"]["message"]
    assert stack.api("GET", "/api/auth/me", token=token).json()["quota"]["image"]["used"] == before


def test_transient_provider_failure_is_retried_then_completes(stack: Stack) -> None:
    token = stack.register()
    task = stack.api("POST", "/api/ai/image", token=token, json={"prompt": "flaky [sim:flaky]"}).json()
    stack.svc.generation._backoff = type(stack.svc.generation._backoff)(min_backoff_s=0.05, max_backoff_s=0.1)
    done = stack.wait_task(token, task["id"])
    assert done["status"] == "COMPLETED", done


def test_provider_down_fails_after_retries_with_readable_message(stack: Stack) -> None:
    stack.svc.generation._backoff = type(stack.svc.generation._backoff)(min_backoff_s=0.01, max_backoff_s=0.02)
    token = stack.register()
    task = stack.api("POST", "/api/ai/image", token=token, json={"prompt": "[sim:down]"}).json()
    done = stack.wait_task(token, task["id"])
    assert done["status"] == "FAILED"
    assert done["error"]["code"] == "provider_unavailable"
    assert "temporarily unavailable" in done["error"]["message"]


def test_quota_then_credits_then_402_and_refund_is_exactly_once(stack: Stack) -> None:
    token = stack.register()
    user = stack.svc.db.users.find_one({}, sort=[("created_at", -1)])
    set_pricing(stack, quotas={"image": 1}, costs={"image": 5})
    first = stack.api("POST", "/api/ai/image", token=token, json={"prompt": "free"}).json()
    assert first["cost"] == {"credits": 0, "from_quota": True}
    broke = stack.api("POST", "/api/ai/image", token=token, json={"prompt": "no credits"})
    assert broke.status_code == 402
    assert broke.json()["error"]["code"] == "insufficient_credits"
    assert broke.json()["error"]["details"]["quota"]["used"] == 1
    stack.svc.accounting.apply_credits(user_id=user["_id"], delta=7, key="gift:1", reason="test")
    paid = stack.api("POST", "/api/ai/image", token=token, json={"prompt": "paid [sim:unsafe]"}).json()
    assert paid["cost"] == {"credits": 5, "from_quota": False}
    stack.wait_task(token, paid["id"])
    assert stack.svc.db.users.find_one({"_id": user["_id"]})["credits"] == 7  # refunded
    # A refund replayed (sweep after a crash, duplicate delivery) changes nothing.
    doc = stack.svc.db.tasks.find_one({"_id": paid["id"]})
    stack.svc.generation._refund(doc)
    stack.svc.generation._refund(doc)
    assert stack.svc.db.users.find_one({"_id": user["_id"]})["credits"] == 7
    assert stack.svc.db.ledger.count_documents({"key": f"refund:{paid['id']}"}) == 1


def test_race_on_the_last_credits_charges_only_what_exists(stack: Stack) -> None:
    token = stack.register()
    user = stack.svc.db.users.find_one({}, sort=[("created_at", -1)])
    set_pricing(stack, quotas={"video": 0}, costs={"video": 10})
    stack.svc.accounting.apply_credits(user_id=user["_id"], delta=30, key="gift:race", reason="test")
    codes: list[int] = []
    barrier = threading.Barrier(8)

    def post() -> None:
        barrier.wait()
        codes.append(stack.api("POST", "/api/ai/video", token=token, json={"prompt": "race"}).status_code)

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [202, 202, 202, 402, 402, 402, 402, 402]
    assert stack.svc.db.users.find_one({"_id": user["_id"]})["credits"] == 0


def test_stalled_task_is_picked_up_by_the_sweep(stack: Stack) -> None:
    token = stack.register()
    _create_pending(stack, token)
    queue = stack.svc.queue
    counts = stack.svc.generation.sweep(idle_s=0)
    assert counts["requeued"] == 1
    payload, _, _ = queue.sent[-1]  # type: ignore[attr-defined]
    assert stack.worker(payload).json()["outcome"] == "completed"


def test_overdue_task_is_failed_and_refunded_by_the_sweep(stack: Stack) -> None:
    token = stack.register()
    task = _create_pending(stack, token)
    stack.svc.db.tasks.update_one({"_id": task["id"]}, {"$set": {"deadline_at": stack.svc.db.tasks.find_one({"_id": task["id"]})["created_at"]}})
    counts = stack.svc.generation.sweep()
    assert counts["failed"] == 1
    done = stack.api("GET", f"/api/ai/tasks/{task['id']}", token=token).json()
    assert done["status"] == "FAILED" and done["error"]["code"] == "timeout"
    assert stack.api("GET", "/api/auth/me", token=token).json()["quota"]["image"]["used"] == 0
    assert stack.worker({"task_id": task["id"], "step": 0}).json()["outcome"] == "nothing_to_do"


def test_enqueue_failure_answers_503_and_leaves_no_charge(stack: Stack) -> None:
    token = stack.register()

    class DownQueue(_RecordingQueue):
        def enqueue(self, payload: dict[str, Any], *, name: str | None = None, delay_s: float = 0.0,
                group: str | None = None) -> bool:
            raise ConnectionError("queue down")

    swap_queue(stack, DownQueue())
    r = stack.api("POST", "/api/ai/image", token=token, json={"prompt": "p"})
    assert r.status_code == 503 and r.json()["error"]["code"] == "provider_unavailable"
    assert stack.api("GET", "/api/auth/me", token=token).json()["quota"]["image"]["used"] == 0
    (only,) = stack.api("GET", "/api/ai/tasks", token=token).json()["items"]
    assert only["status"] == "FAILED"


def test_restart_keeps_users_tasks_media_and_resumes_interrupted_work(settings: Any, tmp_path: Any) -> None:
    """The embedded store's snapshot survives a restart; the start-up sweep resumes PENDING work."""
    settings = settings.model_copy(update={"DB_SNAPSHOT": True, "SIM_DURATION_S": 0.0})
    snapshot = tmp_path / "db.json"
    stack1, server1 = start_stack(settings)
    if stack1.svc.db.embedded:  # a real server keeps its data by itself
        stack1.svc.db.enable_snapshot(snapshot, interval_s=0.05)
    token = stack1.register("keep@example.com")
    done = stack1.wait_task(token, stack1.api("POST", "/api/ai/image", token=token, json={"prompt": "kept"}).json()["id"])
    swap_queue(stack1, _RecordingQueue())  # the next task is accepted, never delivered: the "crash"
    pending = stack1.api("POST", "/api/ai/video", token=token, json={"prompt": "interrupted"}).json()
    stop_stack(stack1, server1, drop=False)

    stack2, server2 = start_stack(settings)
    try:
        if stack2.svc.db.embedded:
            stack2.svc.db.enable_snapshot(snapshot, interval_s=0.05)
        login = stack2.api("POST", "/api/auth/login", json={"email": "keep@example.com", "password": "password-123"})
        assert login.status_code == 200
        token2 = login.json()["token"]
        again = stack2.api("GET", f"/api/ai/tasks/{done['id']}", token=token2).json()
        assert again["status"] == "COMPLETED"
        assert stack2.api("GET", again["result"]["url"]).content[:4] == b"\x89PNG"
        assert stack2.svc.generation.sweep(idle_s=0)["requeued"] == 1
        resumed = stack2.wait_task(token2, pending["id"])
        assert resumed["status"] == TaskStatus.COMPLETED.value
    finally:
        stop_stack(stack2, server2)
