"""The `TaskStore` contract (common/tasks.py): the in-memory fake and the MongoDB adapter keep the same promises.

Every test runs on both (`store` is parametrised); at teardown every document the store holds is validated
against `TaskDocument`, and may hold no key the model does not know. Time is a FrozenClock patched into
`common.clock.now`, which both adapters read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo.errors import DuplicateKeyError

from common import clock
from common.clock import FrozenClock
from common.db import Database
from common.errors import InvalidRequest, NotFound
from common.models import TaskType
from common.models.documents import TaskDocument
from common.tasks import TaskRepository, TaskStore, new_task_id
from tests.contract.conftest import assert_stored
from tests.fakes.memory.tasks import MemoryTaskStore

T0 = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
LEASE_S = 30
DEADLINE_S = 3600


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    """The clock both adapters read, frozen at T0."""
    at = FrozenClock(T0)
    monkeypatch.setattr(clock, "now", at.now)
    return at


@pytest.fixture(params=["memory", "mongo"])
def store(request: pytest.FixtureRequest, frozen: FrozenClock) -> Iterator[TaskStore]:
    """The store under test; afterwards, every document it holds must be a valid TaskDocument with no unknown key."""
    documents: Callable[[], list[dict[str, Any]]]
    s: TaskStore
    if request.param == "memory":
        fake = MemoryTaskStore()
        s, documents = fake, fake.all
    else:
        db: Database = request.getfixturevalue("mongo_db")
        s, documents = TaskRepository(db), lambda: list(db.tasks.find({}))
    yield s
    for doc in documents():
        assert_stored(TaskDocument, doc)


def add(store: TaskStore, *, user: str = "u1", kind: TaskType = TaskType.IMAGE, provider: str = "sim",
        credits: int = 0, deadline_s: int = DEADLINE_S) -> dict[str, Any]:
    return store.insert(task_id=new_task_id(), user_id=user, kind=kind, prompt="a lighthouse", params={"aspect_ratio": "1:1"},
                        provider=provider, cost={"credits": credits, "from_quota": credits == 0}, deadline_s=deadline_s)


def at(value: Any) -> datetime:
    return clock.as_utc(value)


def claimed(store: TaskStore, doc: dict[str, Any], step: int = 0) -> dict[str, Any]:
    got = store.claim_step(doc["_id"], step=step, lease_s=LEASE_S)
    assert got is not None
    return got


# ---- creation and reads -------------------------------------------------------------


def test_insert_writes_a_pending_task_at_step_zero(store: TaskStore) -> None:
    doc = add(store, credits=3)
    got = store.get(doc["_id"])
    assert got is not None
    t = TaskDocument.model_validate(got)
    assert (t.status.value, t.step, t.progress, t.attempts, t.job, t.lease_id, t.refund) == ("PENDING", 0, 0, 0, None, None, None)
    assert (t.created_at, t.updated_at, t.deadline_at) == (T0, T0, T0 + timedelta(seconds=DEADLINE_S))
    assert t.cost.credits == 3 and t.params == {"aspect_ratio": "1:1"}
    with pytest.raises(DuplicateKeyError):
        store.insert(task_id=doc["_id"], user_id="u2", kind=TaskType.VIDEO, prompt="x", params={}, provider="sim",
                     cost={"credits": 0, "from_quota": True}, deadline_s=1)
    assert store.get(doc["_id"])["user_id"] == "u1"  # type: ignore[index]


def test_get_owned_answers_not_found_for_another_users_missing_or_malformed_id(store: TaskStore) -> None:
    doc = add(store, user="u1")
    assert store.get_owned(doc["_id"], "u1")["_id"] == doc["_id"]
    for task_id, user in ((doc["_id"], "u2"), (new_task_id(), "u1"), ("x" * 65, "u1"), ("", "u1")):
        with pytest.raises(NotFound):
            store.get_owned(task_id, user)
    assert store.get("missing") is None


def test_page_is_newest_first_and_the_cursor_walks_every_task_once(store: TaskStore) -> None:
    mine = [add(store, user="u1")["_id"] for _ in range(5)]
    add(store, user="u2")
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(3):
        docs, cursor = store.page(user_id="u1", limit=2, cursor=cursor)
        seen += [d["_id"] for d in docs]
        if cursor is None:
            break
    assert seen == list(reversed(mine)) and cursor is None
    everyone, last = store.page(limit=10, cursor=None)
    assert len(everyone) == 6 and last is None
    with pytest.raises(InvalidRequest):
        store.page(limit=2, cursor="%%%not-a-cursor")


def test_page_filters_by_ids_type_and_status_and_never_shows_others_ids(store: TaskStore) -> None:
    image, video = add(store, user="u1"), add(store, user="u1", kind=TaskType.VIDEO)
    theirs = add(store, user="u2")
    docs, _ = store.page(user_id="u1", ids=[image["_id"], theirs["_id"]], limit=10, cursor=None)
    assert [d["_id"] for d in docs] == [image["_id"]]
    docs, _ = store.page(user_id="u1", kind="video", limit=10, cursor=None)
    assert [d["_id"] for d in docs] == [video["_id"]]
    claimed(store, video)
    docs, _ = store.page(status="GENERATING", limit=10, cursor=None)
    assert [d["_id"] for d in docs] == [video["_id"]]
    assert store.page(user_id="u1", status="COMPLETED", limit=10, cursor=None) == ([], None)


def test_delete_forgets_the_task_once(store: TaskStore) -> None:
    doc = add(store)
    assert store.delete(doc["_id"]) is True
    assert store.delete(doc["_id"]) is False
    assert store.get(doc["_id"]) is None


def test_recent_durations_are_the_latest_completed_of_that_kind_and_provider(store: TaskStore, frozen: FrozenClock) -> None:
    for seconds in (10, 20, 30):
        doc = add(store)
        frozen.advance(seconds)
        assert store.complete(claimed(store, doc), result=_result(doc)) is not None
    add(store)  # still pending: not counted
    other = add(store, provider="gemini")
    store.complete(claimed(store, other), result=_result(other))
    assert store.recent_durations(kind="image", provider="sim") == [30.0, 20.0, 10.0]
    assert store.recent_durations(kind="image", provider="sim", limit=2) == [30.0, 20.0]
    assert store.recent_durations(kind="video", provider="sim") == []


# ---- the worker's moves --------------------------------------------------------------


def test_claim_takes_the_lease_of_that_step_only(store: TaskStore, frozen: FrozenClock) -> None:
    doc = add(store)
    assert store.claim_step(doc["_id"], step=1, lease_s=LEASE_S) is None  # not that step yet
    got = claimed(store, doc)
    assert got["status"] == "GENERATING" and got["lease_id"]
    assert at(got["lease_until"]) == T0 + timedelta(seconds=LEASE_S) and at(got["started_at"]) == T0
    assert store.claim_step(doc["_id"], step=0, lease_s=LEASE_S) is None  # the same delivery again: lease held
    assert store.claim_step("missing", step=0, lease_s=LEASE_S) is None


def test_concurrent_claims_of_one_step_have_exactly_one_winner(store: TaskStore) -> None:
    for _ in range(10):
        doc = add(store)
        start = threading.Barrier(2)
        wins: list[dict[str, Any] | None] = []

        def claim(task_id: str = doc["_id"], start: threading.Barrier = start, wins: list[Any] = wins) -> None:
            start.wait(timeout=10)
            wins.append(store.claim_step(task_id, step=0, lease_s=LEASE_S))

        threads = [threading.Thread(target=claim) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=10)
            assert not t.is_alive(), "a claim did not return"
        assert len(wins) == 2 and sum(w is not None for w in wins) == 1


def test_a_stale_lease_can_be_taken_over_and_its_holder_can_change_nothing(store: TaskStore, frozen: FrozenClock) -> None:
    doc = add(store)
    first = claimed(store, doc)
    frozen.advance(LEASE_S - 1)
    assert store.claim_step(doc["_id"], step=0, lease_s=LEASE_S) is None  # still live
    frozen.advance(2)
    second = claimed(store, doc)
    assert second["lease_id"] != first["lease_id"] and at(second["started_at"]) == T0  # started once
    assert store.save_job(first, job={"id": "j", "state": {}}, progress=50) is None
    assert store.finish_step(first, next_step=1) is None
    assert store.complete(first, result=_result(doc)) is None
    assert store.fail(doc["_id"], code="x", message="y", lease_id=first["lease_id"]) is None
    assert store.get(doc["_id"])["status"] == "GENERATING"  # type: ignore[index]
    assert store.complete(second, result=_result(doc)) is not None


def test_save_job_records_the_job_and_progress_only_rises_below_100(store: TaskStore, frozen: FrozenClock) -> None:
    lease = claimed(store, add(store))
    frozen.advance(1)
    got = store.save_job(lease, job={"id": "job-1", "state": {"k": "v"}, "fetch_failures": 0}, progress=40)
    assert got is not None and got["job"]["id"] == "job-1" and got["progress"] == 40 and at(got["updated_at"]) == T0 + timedelta(seconds=1)
    assert store.save_job(lease, job=got["job"], progress=10)["progress"] == 40  # type: ignore[index]
    assert store.save_job(lease, job=got["job"], progress=250)["progress"] == 99  # type: ignore[index]
    assert store.save_job(lease, job=None, progress=0)["job"] is None  # type: ignore[index]


def test_finish_step_frees_the_lease_for_the_next_step_and_counts_transient_failures(store: TaskStore) -> None:
    doc = add(store)
    lease = claimed(store, doc)
    got = store.finish_step(lease, next_step=1, transient_failure=True)
    assert got is not None and (got["step"], got["lease_id"], got["lease_until"], got["attempts"]) == (1, None, None, 1)
    assert store.finish_step(lease, next_step=2) is None  # the lease is gone
    assert store.claim_step(doc["_id"], step=0, lease_s=LEASE_S) is None  # a late duplicate of step 0
    again = claimed(store, doc, step=1)
    assert store.finish_step(again, next_step=2)["attempts"] == 1  # type: ignore[index]


def test_complete_is_terminal(store: TaskStore, frozen: FrozenClock) -> None:
    doc = add(store)
    lease = claimed(store, doc)
    store.save_job(lease, job={"id": "j", "state": {}}, progress=10)
    frozen.advance(5)
    got = store.complete(lease, result=_result(doc))
    assert got is not None
    t = TaskDocument.model_validate(got)
    assert (t.status.value, t.progress, t.job, t.lease_id, t.completed_at) == ("COMPLETED", 100, None, None, T0 + timedelta(seconds=5))
    assert t.result is not None and t.result.object == f"media/u1/{doc['_id']}.png"
    assert store.complete(lease, result=_result(doc)) is None
    assert store.fail(doc["_id"], code="x", message="y") is None
    assert store.cancel(got, refund=True, message="m") is None
    assert store.claim_step(doc["_id"], step=0, lease_s=LEASE_S) is None
    assert store.reset_for_retry(doc["_id"]) is None


def test_fail_marks_the_refund_pending_and_honours_the_lease_when_given(store: TaskStore) -> None:
    doc = add(store)
    lease = claimed(store, doc)
    assert store.fail(doc["_id"], code="x", message="y", lease_id="not-the-lease") is None
    got = store.fail(doc["_id"], code="safety_refusal", message="blocked", lease_id=lease["lease_id"])
    assert got is not None and got["status"] == "FAILED" and got["refund"] == "pending"
    assert got["error"] == {"code": "safety_refusal", "message": "blocked"} and got["lease_id"] is None
    assert store.fail(doc["_id"], code="again", message="twice") is None  # failed once only
    pending = add(store)
    assert store.fail(pending["_id"], code="timeout", message="late")["status"] == "FAILED"  # type: ignore[index]


def test_cancel_before_submission_only_while_no_worker_holds_the_lease(store: TaskStore, frozen: FrozenClock) -> None:
    doc = add(store)
    lease = claimed(store, doc)
    assert store.cancel(lease, refund=True, message="m", only_if_unsubmitted=True) is None  # a submit may be in flight
    frozen.advance(LEASE_S + 1)
    got = store.cancel(lease, refund=True, message="m", only_if_unsubmitted=True)
    assert got is not None and got["error"]["code"] == "canceled" and got["refund"] == "pending"


def test_cancel_after_submission_is_guarded_by_the_job_it_decided_on(store: TaskStore) -> None:
    doc = add(store)
    lease = claimed(store, doc)
    saved = store.save_job(lease, job={"id": "job-1", "state": {}}, progress=5)
    assert saved is not None
    assert store.cancel(doc, refund=True, message="m") is None  # decided on "no job": the task moved on
    assert store.cancel({**saved, "job": {"id": "job-0"}}, refund=True, message="m") is None
    got = store.cancel(saved, refund=False, message="kept")
    assert got is not None and got["status"] == "FAILED" and got["refund"] == "kept"
    assert store.refunds_pending() == []


def test_refund_pending_becomes_done_once(store: TaskStore) -> None:
    doc = add(store)
    store.fail(doc["_id"], code="x", message="y")
    assert [d["_id"] for d in store.refunds_pending()] == [doc["_id"]]
    store.mark_refunded(doc["_id"])
    store.mark_refunded(doc["_id"])
    assert store.get(doc["_id"])["refund"] == "done"  # type: ignore[index]
    assert store.refunds_pending() == []
    running = add(store)
    store.mark_refunded(running["_id"])  # not failed: nothing to mark
    assert store.get(running["_id"])["refund"] is None  # type: ignore[index]


def test_retry_resets_a_settled_failure_to_a_free_pending_task_at_the_next_step(store: TaskStore) -> None:
    doc = add(store, credits=5)
    lease = claimed(store, doc)
    store.finish_step(lease, next_step=1, transient_failure=True)
    store.fail(doc["_id"], code="x", message="y")
    assert store.reset_for_retry(doc["_id"]) is None  # its refund is still running
    store.mark_refunded(doc["_id"])
    got = store.reset_for_retry(doc["_id"])
    assert got is not None
    assert (got["status"], got["step"], got["attempts"], got["error"], got["refund"], got["job"]) == ("PENDING", 2, 0, None, None, None)
    assert got["cost"] == {"credits": 0, "from_quota": False}
    assert store.reset_for_retry(doc["_id"]) is None  # not FAILED any more
    assert claimed(store, got, step=2)["status"] == "GENERATING"
    assert store.reset_for_retry("missing") is None


# ---- sweeps ---------------------------------------------------------------------------


def test_stalled_lists_idle_active_tasks_without_a_live_lease_oldest_first(store: TaskStore, frozen: FrozenClock) -> None:
    old = add(store)
    frozen.advance(10)
    held = claimed(store, add(store))
    frozen.advance(10)
    newer = add(store)
    done = add(store)
    store.complete(claimed(store, done), result=_result(done))
    assert [d["_id"] for d in store.stalled(idle_s=5)] == [old["_id"]]  # `held`'s lease is live
    frozen.advance(100)  # now T0+120; every lease has expired; idle: old 120 s, held 110 s, newer 100 s
    assert [d["_id"] for d in store.stalled(idle_s=99)] == [old["_id"], held["_id"], newer["_id"]]
    assert [d["_id"] for d in store.stalled(idle_s=105)] == [old["_id"], held["_id"]]
    assert [d["_id"] for d in store.stalled(idle_s=99, limit=1)] == [old["_id"]]
    live = claimed(store, old)  # a live lease: somebody works on it
    assert live["_id"] not in [d["_id"] for d in store.stalled(idle_s=0)]


def test_overdue_lists_active_tasks_past_their_deadline_most_overdue_first(store: TaskStore, frozen: FrozenClock) -> None:
    late = add(store, deadline_s=10)
    later = add(store, deadline_s=20)
    claimed(store, later)
    add(store, deadline_s=1000)
    finished = add(store, deadline_s=5)
    store.fail(finished["_id"], code="x", message="y")
    assert store.overdue() == []
    frozen.advance(21)
    assert [d["_id"] for d in store.overdue()] == [late["_id"], later["_id"]]
    assert [d["_id"] for d in store.overdue(limit=1)] == [late["_id"]]


def _result(doc: dict[str, Any]) -> dict[str, Any]:
    return {"object": f"media/{doc['user_id']}/{doc['_id']}.png", "thumbnail_object": None, "mime_type": "image/png",
            "bytes": 10, "width": 1, "height": 1, "duration_s": None, "provider_ref": {}}
