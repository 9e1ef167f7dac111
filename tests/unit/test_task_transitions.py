"""The task state machine table (common/tasks.py TRANSITIONS), pure: which move is allowed from which state."""

from __future__ import annotations

import pytest

from common import tasks
from common.models import TaskStatus


@pytest.mark.parametrize(("move", "status", "refund", "ok"), [
    ("claim", "PENDING", None, True), ("claim", "GENERATING", None, True),
    ("claim", "COMPLETED", None, False), ("claim", "FAILED", "done", False),
    ("save_job", "GENERATING", None, True), ("save_job", "PENDING", None, False),
    ("release", "GENERATING", None, True), ("release", "FAILED", "pending", False),
    ("complete", "GENERATING", None, True), ("complete", "PENDING", None, False), ("complete", "FAILED", "done", False),
    ("fail", "PENDING", None, True), ("fail", "GENERATING", None, True),
    ("fail", "COMPLETED", None, False), ("fail", "FAILED", "pending", False),
    ("cancel", "PENDING", None, True), ("cancel", "GENERATING", None, True), ("cancel", "COMPLETED", None, False),
    ("refunded", "FAILED", "pending", True), ("refunded", "FAILED", "done", False), ("refunded", "FAILED", "kept", False),
    ("refunded", "GENERATING", None, False),
    ("retry", "FAILED", "done", True), ("retry", "FAILED", "kept", True), ("retry", "FAILED", None, True),
    ("retry", "FAILED", "pending", False), ("retry", "COMPLETED", None, False), ("retry", "PENDING", None, False),
])
def test_each_move_is_allowed_only_from_its_sources(move: str, status: str, refund: tasks.Refund, ok: bool) -> None:
    assert tasks.allowed(move, status, refund) is ok


def test_a_move_becomes_the_state_part_of_one_compare_and_set_filter() -> None:
    assert tasks.cas_filter("t1", "claim") == {"_id": "t1", "status": {"$in": ["PENDING", "GENERATING"]}}
    assert tasks.cas_filter("t1", "complete") == {"_id": "t1", "status": "GENERATING"}
    assert tasks.cas_filter("t1", "refunded") == {"_id": "t1", "status": "FAILED", "refund": "pending"}
    assert tasks.cas_filter("t1", "retry") == {"_id": "t1", "status": "FAILED", "refund": {"$in": ["done", "kept", None]}}
    assert tasks.target("complete") == "COMPLETED" and tasks.target("retry") == "PENDING" and tasks.target("cancel") == "FAILED"
    with pytest.raises(KeyError):
        tasks.cas_filter("t1", "teleport")
    with pytest.raises(KeyError):
        tasks.allowed("teleport", "PENDING")


def test_each_move_writes_its_target_and_refund_state_from_the_table() -> None:
    assert tasks.written("claim") == {"status": "GENERATING"}  # the refund state is left alone
    assert tasks.written("complete") == {"status": "COMPLETED", "refund": None}
    assert tasks.written("fail") == {"status": "FAILED", "refund": "pending"}
    assert tasks.written("cancel") == {"status": "FAILED", "refund": "pending"}
    assert tasks.written("cancel", refund=False) == {"status": "FAILED", "refund": "kept"}
    assert tasks.written("refunded") == {"status": "FAILED", "refund": "done"}
    assert tasks.written("retry") == {"status": "PENDING", "refund": None}
    assert tasks.state_filter("refunded") == {"status": "FAILED", "refund": "pending"}


def test_completed_is_final_and_failed_leaves_only_by_refund_or_retry() -> None:
    leaving = {s: {m for m, t in tasks.TRANSITIONS.items() if s in t.sources} for s in TaskStatus}
    assert leaving[TaskStatus.COMPLETED] == set()
    assert leaving[TaskStatus.FAILED] == {"refunded", "retry"}
    assert tasks.ACTIVE == ["PENDING", "GENERATING"]
    reachable = {t.target for t in tasks.TRANSITIONS.values()} | {TaskStatus.PENDING}
    assert reachable == set(TaskStatus)


def test_worker_moves_are_guarded_by_the_lease_and_a_claim_by_the_step() -> None:
    guards = {m: t.guard for m, t in tasks.TRANSITIONS.items()}
    assert guards["claim"] == "step"
    assert {m for m, g in guards.items() if g == "lease"} == {"save_job", "release", "complete"}
    assert guards["cancel"] == "job"
