"""An in-memory `TaskStore` (common/tasks.py): the same moves, from the same `TRANSITIONS` table, under one lock.

Every read and every move copies documents in and out, so a caller holding a document never sees the store
change under it (as with MongoDB). Time is `common.clock.now()`, like the MongoDB adapter, so a test that
freezes the clock freezes both. tests/contract/test_task_store.py holds this fake and `TaskRepository` to
the same promises.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from common import clock
from common.db import decode_cursor, encode_cursor
from common.errors import NotFound
from common.ids import plausible_id
from common.models import TaskStatus, TaskType
from common.tasks import ACTIVE, allowed, new_document, written


class MemoryTaskStore:
    """The tasks in a dict, keyed by id; thread-safe (one lock around every read and move)."""

    def __init__(self) -> None:
        self._docs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    # ---- creation and reads -------------------------------------------------------

    def insert(self, *, task_id: str, user_id: str, kind: TaskType, prompt: str, params: dict[str, Any],
               provider: str, cost: dict[str, Any], deadline_s: int) -> dict[str, Any]:
        """Store a new PENDING task (common.tasks.new_document); DuplicateKeyError for an existing id, like MongoDB."""
        doc = new_document(task_id=task_id, user_id=user_id, kind=kind, prompt=prompt, params=params,
                           provider=provider, cost=cost, deadline_s=deadline_s)
        with self._lock:
            if task_id in self._docs:
                raise DuplicateKeyError(f"E11000 duplicate key error: tasks _id {task_id!r}")
            self._docs[task_id] = copy.deepcopy(doc)
        return doc

    def get(self, task_id: str) -> dict[str, Any] | None:
        """A copy of the task, or None."""
        with self._lock:
            return copy.deepcopy(self._docs.get(task_id))

    def get_owned(self, task_id: str, user_id: str) -> dict[str, Any]:
        """A copy of the task if `user_id` owns it; NotFound otherwise (also for a malformed id)."""
        doc = self.get(task_id) if plausible_id(task_id) else None
        if doc is None or doc["user_id"] != user_id:
            raise NotFound("Task not found.")
        return doc

    def page(self, *, limit: int, cursor: str | None, user_id: str | None = None, ids: list[str] | None = None,
             kind: str | None = None, status: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
        """Newest first (by id, which is time-ordered) among the matching tasks, after `cursor`; InvalidRequest for a
        malformed cursor (common.db.decode_cursor)."""
        before = decode_cursor(cursor) if cursor else None
        wanted = set(ids) if ids is not None else None
        with self._lock:
            docs = [copy.deepcopy(d) for d in self._docs.values()
                    if (user_id is None or d["user_id"] == user_id) and (wanted is None or d["_id"] in wanted)
                    and (kind is None or d["type"] == kind) and (status is None or d["status"] == status)
                    and (before is None or d["_id"] < before)]
        docs.sort(key=lambda d: d["_id"], reverse=True)
        more = len(docs) > limit
        docs = docs[:limit]
        return docs, (encode_cursor(docs[-1]["_id"]) if more and docs else None)

    def recent_durations(self, *, kind: str, provider: str, limit: int = 20) -> list[float]:
        """Creation-to-completion seconds of the latest `limit` completed tasks of `kind` and `provider`."""
        with self._lock:
            done = [d for d in self._docs.values() if d["type"] == kind and d["provider"] == provider
                    and d["status"] == TaskStatus.COMPLETED.value and d.get("completed_at")]
        done.sort(key=lambda d: d["completed_at"], reverse=True)
        return [(d["completed_at"] - d["created_at"]).total_seconds() for d in done[:limit]]

    def delete(self, task_id: str) -> bool:
        """Forget the task; True if it existed."""
        with self._lock:
            return self._docs.pop(task_id, None) is not None

    # ---- moves ----------------------------------------------------------------------

    def _move(self, task_id: str, move: str, guard: Callable[[dict[str, Any]], bool],
              change: Callable[[dict[str, Any]], None]) -> dict[str, Any] | None:
        """Apply `change` to the task when TRANSITIONS allows `move` from its state and `guard` holds: one step
        under the lock, the compare-and-set the MongoDB adapter does with one filter. A copy of the result."""
        with self._lock:
            doc = self._docs.get(task_id)
            if doc is None or not allowed(move, doc["status"], doc.get("refund")) or not guard(doc):
                return None
            change(doc)
            return copy.deepcopy(doc)

    @staticmethod
    def _lease_free(doc: dict[str, Any], now: datetime) -> bool:
        return doc.get("lease_until") is None or doc["lease_until"] < now

    def claim_step(self, task_id: str, *, step: int, lease_s: int) -> dict[str, Any] | None:
        """Move `claim` (guard: this step, a free or expired lease)."""
        now = clock.now()

        def change(doc: dict[str, Any]) -> None:
            doc.update(written("claim"), lease_id=uuid.uuid4().hex, lease_until=now + timedelta(seconds=lease_s),
                       updated_at=now)
            if doc.get("started_at") is None:
                doc["started_at"] = now

        return self._move(task_id, "claim", lambda d: d["step"] == step and self._lease_free(d, now), change)

    def _owned(self, doc: dict[str, Any], move: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any] | None:
        now = clock.now()

        def stamped(d: dict[str, Any]) -> None:
            change(d)
            d["updated_at"] = now

        return self._move(doc["_id"], move, lambda d: d.get("lease_id") == doc["lease_id"], stamped)

    def save_job(self, doc: dict[str, Any], *, job: dict[str, Any] | None, progress: int) -> dict[str, Any] | None:
        """Move `save_job` (guard: the lease of `doc`); progress only rises, clamped to 0..99."""
        def change(d: dict[str, Any]) -> None:
            d["job"] = copy.deepcopy(job)
            d["progress"] = max(d.get("progress", 0), min(99, max(0, progress)))

        return self._owned(doc, "save_job", change)

    def finish_step(self, doc: dict[str, Any], *, next_step: int, transient_failure: bool = False) -> dict[str, Any] | None:
        """Move `release` (guard: the lease of `doc`)."""
        def change(d: dict[str, Any]) -> None:
            d.update(step=next_step, lease_id=None, lease_until=None)
            if transient_failure:
                d["attempts"] = d.get("attempts", 0) + 1

        return self._owned(doc, "release", change)

    def complete(self, doc: dict[str, Any], *, result: dict[str, Any]) -> dict[str, Any] | None:
        """Move `complete` (guard: the lease of `doc`)."""
        now = clock.now()
        return self._owned(doc, "complete", lambda d: d.update(
            written("complete"), progress=100, result=copy.deepcopy(result), error=None, completed_at=now,
            lease_id=None, lease_until=None, job=None))

    @staticmethod
    def _failed(move: str, code: str, message: str, refund: bool = True) -> Callable[[dict[str, Any]], None]:
        now = clock.now()
        return lambda d: d.update(written(move, refund=refund), error={"code": code, "message": message},
                                  completed_at=now, updated_at=now, lease_id=None, lease_until=None)

    def fail(self, task_id: str, *, code: str, message: str, lease_id: str | None = None) -> dict[str, Any] | None:
        """Move `fail` (guard: `lease_id` when given); refund pending."""
        return self._move(task_id, "fail", lambda d: lease_id is None or d.get("lease_id") == lease_id,
                          self._failed("fail", code, message))

    def cancel(self, doc: dict[str, Any], *, refund: bool, message: str, only_if_unsubmitted: bool = False) -> dict[str, Any] | None:
        """Move `cancel` (guard: the job `doc` shows; or no job and no live lease when `only_if_unsubmitted`)."""
        now = clock.now()
        job_id = (doc.get("job") or {}).get("id")

        def guard(d: dict[str, Any]) -> bool:
            if only_if_unsubmitted:
                return d.get("job") is None and self._lease_free(d, now)
            if doc.get("job") is None:
                return d.get("job") is None
            return d.get("job") is not None and d["job"].get("id") == job_id

        return self._move(doc["_id"], "cancel", guard,
                          self._failed("cancel", "canceled", message, refund))

    def mark_refunded(self, task_id: str) -> None:
        """Move `refunded` (pending -> done); nothing otherwise."""
        self._move(task_id, "refunded", lambda d: True, lambda d: d.update(written("refunded")))

    def reset_for_retry(self, task_id: str) -> dict[str, Any] | None:
        """Move `retry`: PENDING at the next step, free, attempts and error cleared."""
        now = clock.now()
        return self._move(task_id, "retry", lambda d: True, lambda d: d.update(
            written("retry"), error=None, progress=0, job=None, completed_at=None, updated_at=now, attempts=0,
            lease_id=None, lease_until=None, cost={"credits": 0, "from_quota": False}, step=d["step"] + 1))

    # ---- sweeps -------------------------------------------------------------------

    def stalled(self, *, idle_s: float, limit: int = 200) -> list[dict[str, Any]]:
        """Active tasks with no live lease and no change for `idle_s` seconds, oldest change first."""
        now = clock.now()
        with self._lock:
            docs = [copy.deepcopy(d) for d in self._docs.values() if d["status"] in ACTIVE
                    and d["updated_at"] < now - timedelta(seconds=idle_s) and self._lease_free(d, now)]
        return sorted(docs, key=lambda d: d["updated_at"])[:limit]

    def overdue(self, *, limit: int = 200) -> list[dict[str, Any]]:
        """Active tasks past their deadline, most overdue first."""
        now = clock.now()
        with self._lock:
            docs = [copy.deepcopy(d) for d in self._docs.values() if d["status"] in ACTIVE and d["deadline_at"] < now]
        return sorted(docs, key=lambda d: d["deadline_at"])[:limit]

    def refunds_pending(self, *, limit: int = 200) -> list[dict[str, Any]]:
        """FAILED tasks whose refund is pending."""
        with self._lock:
            return [copy.deepcopy(d) for d in self._docs.values() if allowed("refunded", d["status"], d.get("refund"))][:limit]

    def all(self) -> list[dict[str, Any]]:
        """Copies of every stored document (tests: validate what the store wrote)."""
        with self._lock:
            return [copy.deepcopy(d) for d in self._docs.values()]
