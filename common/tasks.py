"""Tasks: the generation state machine and its compare-and-set transitions.

    PENDING ──claim──► GENERATING ──complete──► COMPLETED
       │                   │
       └──────fail─────────┴──────────────────► FAILED (+ refund)

Every move is ONE `find_one_and_update` whose filter holds the state (and,
for worker steps, the step number and lease) the move starts from, so a
duplicate or concurrent delivery of the same Cloud Task cannot act twice.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument

from common import clock
from common.db import Database, newest_first
from common.errors import NotFound
from common.ids import plausible_id
from common.models import TaskStatus, TaskType

log = logging.getLogger(__name__)

ACTIVE = [TaskStatus.PENDING.value, TaskStatus.GENERATING.value]


def new_task_id() -> str:
    """Time-ordered ids (ObjectId hex): `_id` order is creation order, so it is the cursor."""
    return str(ObjectId())


class TaskRepository:
    """The `tasks` collection: creation, owner-scoped reads, and the worker's lease-guarded state transitions
    (pending -> generating -> completed | failed, refund pending -> done).
    """
    def __init__(self, db: Database) -> None:
        self._db = db

    # ---- creation and reads -------------------------------------------------------

    def insert(
        self,
        *,
        task_id: str,
        user_id: str,
        kind: TaskType,
        prompt: str,
        params: dict[str, Any],
        provider: str,
        cost: dict[str, Any],
        deadline_s: int,
    ) -> dict[str, Any]:
        """Insert a new PENDING task document and return it.

        `kind` image|video, `params` the provider-independent request fields, `cost` the Charge as a dict
        ({credits, from_quota}), `deadline_s` seconds from now after which the task is failed as overdue.
        Raises pymongo DuplicateKeyError if `task_id` already exists.
        """
        now = clock.now()
        doc = {
            "_id": task_id,
            "user_id": user_id,
            "type": kind.value,
            "status": TaskStatus.PENDING.value,
            "progress": 0,
            "prompt": prompt,
            "params": params,
            "provider": provider,
            "result": None,
            "error": None,
            "cost": cost,
            "created_at": now,
            "updated_at": now,
            "started_at": None,
            "completed_at": None,
            "deadline_at": now + timedelta(seconds=deadline_s),
            "step": 0,
            "job": None,
            "lease_id": None,
            "lease_until": None,
            "attempts": 0,
            "refund": None,
        }
        self._db.tasks.insert_one(doc)
        return doc

    def get(self, task_id: str) -> dict[str, Any] | None:
        """The task document `task_id`, or None; no ownership check (worker and admin use)."""
        return self._db.tasks.find_one({"_id": task_id})

    def get_owned(self, task_id: str, user_id: str) -> dict[str, Any]:
        """The task `task_id` if it belongs to `user_id`; raises NotFound (404) otherwise, also for a malformed id,
        so another user's task is indistinguishable from a missing one.
        """
        doc = self._db.tasks.find_one({"_id": task_id, "user_id": user_id}) if plausible_id(task_id) else None
        if doc is None:
            raise NotFound("Task not found.")
        return doc

    def page(
        self, *, filters: dict[str, Any], limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of tasks matching `filters`, newest first: (documents, next cursor or None). `limit` documents at most;
        `cursor` from a previous page (see common/db.py newest_first; a malformed cursor raises InvalidRequest).
        """
        return newest_first(self._db.tasks, filters, limit=limit, cursor=cursor)

    def recent_durations(self, *, kind: str, provider: str, limit: int = 20) -> list[float]:
        """Seconds from creation to completion of the latest `limit` completed tasks of a kind and provider."""
        docs = self._db.tasks.find(
            {"type": kind, "provider": provider, "status": TaskStatus.COMPLETED.value},
            {"created_at": 1, "completed_at": 1}, sort=[("completed_at", -1)], limit=limit,
        )
        return [(clock.as_utc(d["completed_at"]) - clock.as_utc(d["created_at"])).total_seconds()
                for d in docs if d.get("completed_at") and d.get("created_at")]

    def delete(self, task_id: str) -> bool:
        """Delete the task document; True if it existed. Stored media is removed by the caller."""
        return self._db.tasks.delete_one({"_id": task_id}).deleted_count == 1

    # ---- worker transitions ---------------------------------------------------------

    def claim_step(self, task_id: str, *, step: int, lease_s: int) -> dict[str, Any] | None:
        """Take the lease for step `step` of an active task. None: not ours to run now."""
        now = clock.now()
        lease_id = uuid.uuid4().hex
        update: dict[str, Any] = {
            "$set": {"status": TaskStatus.GENERATING.value, "lease_id": lease_id,
                     "lease_until": now + timedelta(seconds=lease_s), "updated_at": now},
        }
        doc = self._db.tasks.find_one_and_update(
            {"_id": task_id, "status": {"$in": ACTIVE}, "step": step,
             "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}]},
            update,
            return_document=ReturnDocument.AFTER,
        )
        if doc is not None and doc.get("started_at") is None:
            self._db.tasks.update_one({"_id": task_id, "started_at": None}, {"$set": {"started_at": now}})
            doc["started_at"] = now
        return doc

    def _owned_update(self, doc: dict[str, Any], update: dict[str, Any]) -> dict[str, Any] | None:
        """Apply `update` only while this step still holds the lease."""
        update.setdefault("$set", {})["updated_at"] = clock.now()
        return self._db.tasks.find_one_and_update(
            {"_id": doc["_id"], "lease_id": doc["lease_id"], "status": TaskStatus.GENERATING.value},
            update,
            return_document=ReturnDocument.AFTER,
        )

    def save_job(self, doc: dict[str, Any], *, job: dict[str, Any] | None, progress: int) -> dict[str, Any] | None:
        """Record the provider job (`{id, state}` or None) and raise progress to `progress` (clamped to 0..99) while this
        step still holds the lease; the updated document, or None if the lease was lost.
        """
        return self._owned_update(doc, {"$set": {"job": job}, "$max": {"progress": min(99, max(0, progress))}})

    def finish_step(self, doc: dict[str, Any], *, next_step: int, transient_failure: bool = False) -> dict[str, Any] | None:
        """Release the lease and move to the next step (which the caller enqueues)."""
        update: dict[str, Any] = {"$set": {"step": next_step, "lease_id": None, "lease_until": None}}
        if transient_failure:
            update["$inc"] = {"attempts": 1}
        return self._owned_update(doc, update)

    def complete(self, doc: dict[str, Any], *, result: dict[str, Any]) -> dict[str, Any] | None:
        """Mark the task COMPLETED with `result` (progress 100, lease released) while this step holds the lease;
        the updated document, or None if the lease was lost.
        """
        now = clock.now()
        return self._owned_update(doc, {"$set": {
            "status": TaskStatus.COMPLETED.value, "progress": 100, "result": result, "error": None,
            "completed_at": now, "lease_id": None, "lease_until": None, "job": None,
        }})

    def fail(self, task_id: str, *, code: str, message: str, lease_id: str | None = None) -> dict[str, Any] | None:
        """Move an active task to FAILED (refund marked pending). None if it was not active."""
        now = clock.now()
        query: dict[str, Any] = {"_id": task_id, "status": {"$in": ACTIVE}}
        if lease_id is not None:
            query["lease_id"] = lease_id
        return self._db.tasks.find_one_and_update(
            query,
            {"$set": {"status": TaskStatus.FAILED.value, "error": {"code": code, "message": message},
                      "completed_at": now, "updated_at": now, "lease_id": None, "lease_until": None,
                      "refund": "pending"}},
            return_document=ReturnDocument.AFTER,
        )

    def cancel(self, doc: dict[str, Any], *, refund: bool, message: str, only_if_unsubmitted: bool = False) -> dict[str, Any] | None:
        """Move an active task to FAILED with code `canceled`; `refund` marks the refund pending (else "kept").

        `only_if_unsubmitted`: only while no job exists and no worker holds the lease (nothing reached
        a provider). None when the task moved on meanwhile (the caller re-reads and decides again).
        """
        now = clock.now()
        query: dict[str, Any] = {"_id": doc["_id"], "status": {"$in": ACTIVE}}
        if only_if_unsubmitted:
            query.update({"job": None, "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}]})
        elif doc.get("job") is None:
            query["job"] = None
        else:
            query["job.id"] = doc["job"].get("id")
        return self._db.tasks.find_one_and_update(
            query,
            {"$set": {"status": TaskStatus.FAILED.value, "error": {"code": "canceled", "message": message},
                      "completed_at": now, "updated_at": now, "lease_id": None, "lease_until": None,
                      "refund": "pending" if refund else "kept"}},
            return_document=ReturnDocument.AFTER,
        )

    def mark_refunded(self, task_id: str) -> None:
        self._db.tasks.update_one({"_id": task_id, "refund": "pending"}, {"$set": {"refund": "done"}})

    def reset_for_retry(self, task_id: str) -> dict[str, Any] | None:
        """Admin retry of a FAILED task, in one atomic update: back to PENDING at a fresh step, free for the
        user (`cost` zero, so a second failure refunds nothing). None when the task is not FAILED (or its
        refund is still running)."""
        now = clock.now()
        return self._db.tasks.find_one_and_update(
            {"_id": task_id, "status": TaskStatus.FAILED.value, "refund": {"$in": ["done", "kept", None]}},
            {"$set": {"status": TaskStatus.PENDING.value, "error": None, "progress": 0, "job": None,
                      "completed_at": None, "updated_at": now, "attempts": 0, "refund": None,
                      "cost": {"credits": 0, "from_quota": False}},
             "$inc": {"step": 1}},
            return_document=ReturnDocument.AFTER,
        )

    # ---- sweeps -------------------------------------------------------------------

    def stalled(self, *, idle_s: float, limit: int = 200) -> list[dict[str, Any]]:
        """Active tasks nobody is working on: no live lease and no change for `idle_s`; oldest change first.

        One equality-plus-range query per active status, so each is served by the
        (status, updated_at) index on any MongoDB server (an `$in`/`$or` filter made
        SecantusDB scan the collection). The lease is checked on the candidates:
        a live lease on an idle task is rare (at most the steps running now).
        """
        now = clock.now()
        out: list[dict[str, Any]] = []
        for status in ACTIVE:
            for doc in self._db.tasks.find({"status": status, "updated_at": {"$lt": now - timedelta(seconds=idle_s)}},
                                           sort=[("updated_at", 1)], limit=limit):
                lease = as_datetime(doc.get("lease_until"))
                if lease is None or lease < now:
                    out.append(doc)
        return sorted(out, key=lambda d: clock.as_utc(d["updated_at"]))[:limit]

    def overdue(self, *, limit: int = 200) -> list[dict[str, Any]]:
        """Active tasks past their deadline, the most overdue first (one indexed query per active status)."""
        now = clock.now()
        out: list[dict[str, Any]] = []
        for status in ACTIVE:
            out += self._db.tasks.find({"status": status, "deadline_at": {"$lt": now}}, sort=[("deadline_at", 1)], limit=limit)
        return sorted(out, key=lambda d: clock.as_utc(d["deadline_at"]))[:limit]

    def refunds_pending(self, *, limit: int = 200) -> list[dict[str, Any]]:
        """FAILED tasks whose refund is still pending (at most `limit`): the sweeper finishes them idempotently."""
        return list(self._db.tasks.find({"status": TaskStatus.FAILED.value, "refund": "pending"}, limit=limit))


def as_datetime(value: datetime | None) -> datetime | None:
    """`value` as an aware UTC datetime (naive values from MongoDB are UTC), None stays None."""
    return clock.as_utc(value) if value else None
