"""Tasks: the generation state machine as one table, and its repository (the `TaskStore` port, MongoDB adapter).

    PENDING ──claim──► GENERATING ──complete──► COMPLETED
       │                 │  ▲ save_job / release (lease held; the next step is enqueued)
       │                 └──┘
       └──fail/cancel────┴──► FAILED, refund pending ──refunded──► FAILED, refund done
                                  (cancel may keep the charge: refund "kept")
    FAILED (refund done/kept/none) ──retry──► PENDING at a fresh step (admin, free)

`TRANSITIONS` is the one statement of which status (and refund state) each move
starts from and leads to. `TaskRepository` turns a move into ONE
`find_one_and_update` whose filter holds those source states plus the move's
guard (the step number and a free lease for `claim`, the caller's lease for a
worker's own moves, the job a cancel decided on), so a duplicate or concurrent
delivery of the same Cloud Task cannot act twice. The in-memory fake
(tests/fakes/memory/tasks.py) applies the same table; one contract suite
(tests/contract/test_task_store.py) holds both to the same promises.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from bson import ObjectId
from pymongo import ReturnDocument

from common import clock
from common.db import Database, newest_first
from common.errors import NotFound
from common.ids import plausible_id
from common.models import TaskStatus, TaskType

log = logging.getLogger(__name__)

P, G, DONE, F = TaskStatus.PENDING, TaskStatus.GENERATING, TaskStatus.COMPLETED, TaskStatus.FAILED

#: The refund states a FAILED task records: "pending" (owed, the sweep finishes it), "done", "kept"
#: (a cancel after the provider started: the charge stays); None while the task has not failed.
Refund = Literal["pending", "done", "kept"] | None
ANY_REFUND: tuple[Refund, ...] = ("pending", "done", "kept", None)

#: How a move's filter narrows the task beyond its status: "step" (the delivered step number and a free or
#: expired lease: a worker claiming), "lease" (the lease the caller holds), "lease_if_given" (the caller's
#: lease when a worker fails its own step, none for the sweep or create), "job" (cancel: the job id the
#: caller decided on, or no job and no live lease), "none".
Guard = Literal["step", "lease", "lease_if_given", "job", "none"]


@dataclass(frozen=True)
class Transition:
    """A task move: allowed from any of `sources` (and a refund state in `refund_sources`) to `target`.

    `refund_target` is the refund state the move writes (`"keep"`: unchanged; for `cancel` the caller
    chooses "pending" or "kept"); `guard` names the extra condition of the move's compare-and-set filter.
    """

    sources: tuple[TaskStatus, ...]
    target: TaskStatus
    guard: Guard = "none"
    refund_sources: tuple[Refund, ...] = ANY_REFUND
    refund_target: Refund | Literal["keep", "chosen"] = "keep"


TRANSITIONS: dict[str, Transition] = {
    "claim": Transition((P, G), G, guard="step"),  # a worker takes the lease of step n
    "save_job": Transition((G,), G, guard="lease"),  # provider job id/state and progress
    "release": Transition((G,), G, guard="lease"),  # step done or transient failure: next step enqueued
    "complete": Transition((G,), DONE, guard="lease", refund_target=None),
    "fail": Transition((P, G), F, guard="lease_if_given", refund_target="pending"),  # worker, sweep, enqueue failure
    "cancel": Transition((P, G), F, guard="job", refund_target="chosen"),  # the owner; refund "pending" or "kept"
    "retry": Transition((F,), P, refund_sources=("done", "kept", None), refund_target=None),  # admin, free
    "refunded": Transition((F,), F, refund_sources=("pending",), refund_target="done"),  # the refund went through
}

#: Statuses a worker may still act on (the sources of `claim`); the sweeps look at these.
ACTIVE = [s.value for s in TRANSITIONS["claim"].sources]


def allowed(move: str, status: str, refund: Refund = None) -> bool:
    """Whether a task in `status` with refund state `refund` may make `move` (pure: the table alone, no guard).
    Raises KeyError for an unknown move."""
    t = TRANSITIONS[move]
    return status in {s.value for s in t.sources} and refund in t.refund_sources


def target(move: str) -> str:
    """The status `move` leads to. Raises KeyError for an unknown move."""
    return TRANSITIONS[move].target.value


def written(move: str, *, refund: bool = True) -> dict[str, Any]:
    """The status and refund fields `move` writes, from the table: `{"status": target}` plus `{"refund": state}`
    unless the move keeps it. `refund` chooses for `cancel` ("pending" when True, else "kept").
    Raises KeyError for an unknown move."""
    t = TRANSITIONS[move]
    out: dict[str, Any] = {"status": t.target.value}
    if t.refund_target == "chosen":
        out["refund"] = "pending" if refund else "kept"
    elif t.refund_target != "keep":
        out["refund"] = t.refund_target
    return out


def state_filter(move: str) -> dict[str, Any]:
    """The MongoDB filter on status (and refund state) of the tasks that may make `move` (pure; the sweeps use it
    alone). Raises KeyError for an unknown move."""
    t = TRANSITIONS[move]
    sources = [s.value for s in t.sources]
    query: dict[str, Any] = {"status": sources[0] if len(sources) == 1 else {"$in": sources}}
    if set(t.refund_sources) != set(ANY_REFUND):
        refunds = list(t.refund_sources)
        query["refund"] = refunds[0] if len(refunds) == 1 else {"$in": refunds}
    return query


def cas_filter(task_id: str, move: str) -> dict[str, Any]:
    """The state part of `move`'s compare-and-set filter: `task_id` while its status (and refund state) allow the
    move. The repository adds the move's guard. Raises KeyError for an unknown move."""
    return {"_id": task_id, **state_filter(move)}


def new_task_id() -> str:
    """Time-ordered ids (ObjectId hex): `_id` order is creation order, so it is the cursor."""
    return str(ObjectId())


def new_document(*, task_id: str, user_id: str, kind: TaskType, prompt: str, params: dict[str, Any], provider: str,
                 cost: dict[str, Any], deadline_s: int) -> dict[str, Any]:
    """The document of a new PENDING task at step 0 (shaped as TaskDocument), stamped `clock.now()`; every adapter
    stores exactly this."""
    now = clock.now()
    return {
        "_id": task_id, "user_id": user_id, "type": kind.value, "status": TaskStatus.PENDING.value, "progress": 0,
        "prompt": prompt, "params": params, "provider": provider, "result": None, "error": None, "cost": cost,
        "created_at": now, "updated_at": now, "started_at": None, "completed_at": None,
        "deadline_at": now + timedelta(seconds=deadline_s), "step": 0, "job": None, "lease_id": None,
        "lease_until": None, "attempts": 0, "refund": None,
    }


class TaskStore(Protocol):
    """The port `Generation` (and the admin panel) depend on: the stored tasks and their moves (see TRANSITIONS).

    Documents are dicts shaped as `common.models.documents.TaskDocument` (`_id`, `user_id`, `type`, `status`, ...).
    Every move returns the document after it, or None when the move was not allowed (wrong status or refund
    state, step, lease or job): the caller re-reads and decides again, it never retries blindly.
    Adapters: `TaskRepository` (MongoDB, embedded store); tests/fakes/memory/tasks.py (in memory).
    """

    def insert(self, *, task_id: str, user_id: str, kind: TaskType, prompt: str, params: dict[str, Any],
               provider: str, cost: dict[str, Any], deadline_s: int) -> dict[str, Any]:
        """Store a new PENDING task at step 0; raises pymongo DuplicateKeyError for an existing `task_id`."""
        ...

    def get(self, task_id: str) -> dict[str, Any] | None:
        """The task, or None; no ownership check."""
        ...

    def get_owned(self, task_id: str, user_id: str) -> dict[str, Any]:
        """The task if `user_id` owns it; NotFound otherwise (also for a malformed id)."""
        ...

    def page(self, *, limit: int, cursor: str | None, user_id: str | None = None, ids: list[str] | None = None,
             kind: str | None = None, status: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
        """One page newest first matching every filter given: (documents, next cursor or None)."""
        ...

    def recent_durations(self, *, kind: str, provider: str, limit: int = 20) -> list[float]:
        """Seconds from creation to completion of the latest completed tasks of a kind and provider."""
        ...

    def delete(self, task_id: str) -> bool:
        """Delete the task; True if it existed."""
        ...

    def claim_step(self, task_id: str, *, step: int, lease_s: int) -> dict[str, Any] | None:
        """Move `claim`: the lease of step `step` for `lease_s` seconds."""
        ...

    def save_job(self, doc: dict[str, Any], *, job: dict[str, Any] | None, progress: int) -> dict[str, Any] | None:
        """Move `save_job` under the lease of `doc`."""
        ...

    def finish_step(self, doc: dict[str, Any], *, next_step: int, transient_failure: bool = False) -> dict[str, Any] | None:
        """Move `release` under the lease of `doc`: step `next_step`, lease freed."""
        ...

    def complete(self, doc: dict[str, Any], *, result: dict[str, Any]) -> dict[str, Any] | None:
        """Move `complete` under the lease of `doc`."""
        ...

    def fail(self, task_id: str, *, code: str, message: str, lease_id: str | None = None) -> dict[str, Any] | None:
        """Move `fail` (refund pending), under `lease_id` when given."""
        ...

    def cancel(self, doc: dict[str, Any], *, refund: bool, message: str,
               only_if_unsubmitted: bool = False) -> dict[str, Any] | None:
        """Move `cancel` (refund pending or kept), guarded by the job `doc` shows."""
        ...

    def mark_refunded(self, task_id: str) -> None:
        """Move `refunded`: refund pending -> done (no-op otherwise)."""
        ...

    def reset_for_retry(self, task_id: str) -> dict[str, Any] | None:
        """Move `retry`: FAILED (refund settled) -> PENDING at the next step, free."""
        ...

    def stalled(self, *, idle_s: float, limit: int = 200) -> list[dict[str, Any]]:
        """Active tasks with no live lease and no change for `idle_s` seconds, oldest change first."""
        ...

    def overdue(self, *, limit: int = 200) -> list[dict[str, Any]]:
        """Active tasks past their deadline, most overdue first."""
        ...

    def refunds_pending(self, *, limit: int = 200) -> list[dict[str, Any]]:
        """FAILED tasks whose refund is pending."""
        ...


class TaskRepository:
    """The `TaskStore` on MongoDB (or the embedded store): creation, owner-scoped reads, and the moves of
    TRANSITIONS, each one compare-and-set `find_one_and_update` (see the module docstring).
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
        doc = new_document(task_id=task_id, user_id=user_id, kind=kind, prompt=prompt, params=params,
                           provider=provider, cost=cost, deadline_s=deadline_s)
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
        self, *, limit: int, cursor: str | None, user_id: str | None = None, ids: list[str] | None = None,
        kind: str | None = None, status: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of tasks newest first, matching every filter given (owner, one of `ids`, type, status):
        (documents, next cursor or None). `limit` documents at most; `cursor` from a previous page (see
        common/db.py newest_first; a malformed cursor raises InvalidRequest).
        """
        filters: dict[str, Any] = {}
        if user_id is not None:
            filters["user_id"] = user_id
        if ids is not None:
            filters["_id"] = {"$in": list(ids)}  # the (user_id, _id) index; others' ids simply do not match
        if kind is not None:
            filters["type"] = kind
        if status is not None:
            filters["status"] = status
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

    # ---- moves (TRANSITIONS) --------------------------------------------------------

    def _move(self, query: dict[str, Any], update: dict[str, Any]) -> dict[str, Any] | None:
        return self._db.tasks.find_one_and_update(query, update, return_document=ReturnDocument.AFTER)

    def claim_step(self, task_id: str, *, step: int, lease_s: int) -> dict[str, Any] | None:
        """Move `claim`: take the lease of step `step` (for `lease_s` seconds) of an active task whose lease is free
        or expired; GENERATING, `started_at` set on the first claim. None: not ours to run now."""
        now = clock.now()
        query = cas_filter(task_id, "claim") | {"step": step, "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}]}
        doc = self._move(query, {"$set": {**written("claim"), "lease_id": uuid.uuid4().hex,
                                          "lease_until": now + timedelta(seconds=lease_s), "updated_at": now}})
        if doc is not None and doc.get("started_at") is None:
            self._db.tasks.update_one({"_id": task_id, "started_at": None}, {"$set": {"started_at": now}})
            doc["started_at"] = now
        return doc

    def _owned_update(self, doc: dict[str, Any], move: str, update: dict[str, Any]) -> dict[str, Any] | None:
        """Apply `update` (a move guarded by "lease") only while this step still holds the lease."""
        update.setdefault("$set", {})["updated_at"] = clock.now()
        return self._move(cas_filter(doc["_id"], move) | {"lease_id": doc["lease_id"]}, update)

    def save_job(self, doc: dict[str, Any], *, job: dict[str, Any] | None, progress: int) -> dict[str, Any] | None:
        """Move `save_job`: record the provider job (`{id, state, fetch_failures}` or None) and raise progress to
        `progress` (clamped to 0..99) while this step still holds the lease; the updated document, or None if the
        lease was lost.
        """
        return self._owned_update(doc, "save_job", {"$set": {"job": job}, "$max": {"progress": min(99, max(0, progress))}})

    def finish_step(self, doc: dict[str, Any], *, next_step: int, transient_failure: bool = False) -> dict[str, Any] | None:
        """Move `release`: free the lease and move to step `next_step` (which the caller enqueues); a
        `transient_failure` counts one more attempt. None if the lease was lost."""
        update: dict[str, Any] = {"$set": {"step": next_step, "lease_id": None, "lease_until": None}}
        if transient_failure:
            update["$inc"] = {"attempts": 1}
        return self._owned_update(doc, "release", update)

    def complete(self, doc: dict[str, Any], *, result: dict[str, Any]) -> dict[str, Any] | None:
        """Move `complete`: COMPLETED with `result` (progress 100, lease released) while this step holds the lease;
        the updated document, or None if the lease was lost.
        """
        now = clock.now()
        return self._owned_update(doc, "complete", {"$set": {
            **written("complete"), "progress": 100, "result": result, "error": None,
            "completed_at": now, "lease_id": None, "lease_until": None, "job": None,
        }})

    def fail(self, task_id: str, *, code: str, message: str, lease_id: str | None = None) -> dict[str, Any] | None:
        """Move `fail`: an active task to FAILED with `{code, message}`, refund pending; only under `lease_id` when
        given (a worker failing its own step). None if it was not active (or the lease was lost)."""
        now = clock.now()
        query = cas_filter(task_id, "fail")
        if lease_id is not None:
            query["lease_id"] = lease_id
        return self._move(query, {"$set": {
            **written("fail"), "error": {"code": code, "message": message}, "completed_at": now,
            "updated_at": now, "lease_id": None, "lease_until": None}})

    def cancel(self, doc: dict[str, Any], *, refund: bool, message: str, only_if_unsubmitted: bool = False) -> dict[str, Any] | None:
        """Move `cancel`: an active task to FAILED with code `canceled`; `refund` marks the refund pending (else "kept").

        Guarded by the job the caller decided on: `doc`'s job id, or no job. `only_if_unsubmitted`: only while no
        job exists and no worker holds the lease (nothing reached a provider). None when the task moved on
        meanwhile (the caller re-reads and decides again).
        """
        now = clock.now()
        query = cas_filter(doc["_id"], "cancel")
        if only_if_unsubmitted:
            query.update({"job": None, "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}]})
        elif doc.get("job") is None:
            query["job"] = None
        else:
            query["job.id"] = doc["job"].get("id")
        return self._move(query, {"$set": {
            **written("cancel", refund=refund), "error": {"code": "canceled", "message": message},
            "completed_at": now, "updated_at": now, "lease_id": None, "lease_until": None}})

    def mark_refunded(self, task_id: str) -> None:
        """Move `refunded`: the refund of a FAILED task went through (pending -> done); a no-op otherwise."""
        self._db.tasks.update_one(cas_filter(task_id, "refunded"), {"$set": written("refunded")})

    def reset_for_retry(self, task_id: str) -> dict[str, Any] | None:
        """Move `retry` (admin), in one atomic update: a FAILED task back to PENDING at a fresh step, free for the
        user (`cost` zero, so a second failure refunds nothing). None when the task is not FAILED (or its
        refund is still running)."""
        now = clock.now()
        return self._move(cas_filter(task_id, "retry"), {
            "$set": {**written("retry"), "error": None, "progress": 0, "job": None,
                     "completed_at": None, "updated_at": now, "attempts": 0,
                     "lease_id": None, "lease_until": None, "cost": {"credits": 0, "from_quota": False}},
            "$inc": {"step": 1}})

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
        return list(self._db.tasks.find(state_filter("refunded"), limit=limit))


def as_datetime(value: datetime | None) -> datetime | None:
    """`value` as an aware UTC datetime (naive values from MongoDB are UTC), None stays None."""
    return clock.as_utc(value) if value else None
