"""Stored documents as typed models: what the repositories write to MongoDB, field by field.

These are not API shapes (those are `common.models.core` and friends, with their own names and signed
URLs); they describe the database. The contract suites validate every document a store writes against
its model, and services read the documents they present through them, so a field renamed in one place
and not another fails a test rather than a request.

Not in `common.models.AREAS`: documents never appear in `openapi.json`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator

from common.clock import as_utc
from common.models.core import TaskStatus, TaskType


class Stored(BaseModel):
    """Base of stored documents. The one rule: reads are tolerant (`from_stored`, or `model_validate` on this
    base, ignore keys the model does not declare, so a rolling deploy's other release never fails a request),
    and the contract suites are strict (`tests/contract/conftest.py::assert_stored`: every key a store writes
    is declared, every value valid). Datetimes come back aware UTC."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _utc(cls, value: Any) -> Any:
        """Naive datetimes from MongoDB are UTC; make every datetime aware."""
        return as_utc(value) if isinstance(value, datetime) else value

    @classmethod
    def stored_keys(cls) -> set[str]:
        """The keys a document of this model may hold (the aliases, e.g. `_id`)."""
        return {f.alias or name for name, f in cls.model_fields.items()}

    @classmethod
    def from_stored(cls, doc: dict[str, Any]) -> Self:
        """Read a stored document: keys this model does not declare are dropped first, so a document written
        by a newer (or older) release never fails a read, even on a model that refuses unknown fields when a
        service builds one to write. Raises pydantic ValidationError when a declared field is malformed."""
        keys = cls.stored_keys()
        return cls.model_validate({k: v for k, v in doc.items() if k in keys})


class StrictDocument(Stored):
    """Base of the money side's stored documents, which services build to write (`Model(...).to_mongo()`): unknown
    fields are refused when one is built, so a misspelt field fails at once; reads go through `from_stored`, which
    drops undeclared keys first (the tolerant-read rule of `Stored`). Enums are stored as their values."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, use_enum_values=True, frozen=True)

    #: Fields written only once they have a value (e.g. a counter MongoDB must `$inc` from "absent", not from null).
    absent_when_none: ClassVar[tuple[str, ...]] = ()

    def to_mongo(self) -> dict[str, Any]:
        """The document as stored: `_id` for `id`, enums as their values, every field present but `absent_when_none` ones that are None."""
        doc = self.model_dump(by_alias=True)
        for name in self.absent_when_none:
            if doc.get(name) is None:
                doc.pop(name, None)
        return doc


class StoredJob(Stored):
    """The provider job of a running task: the provider's `id`, its opaque `state` (what the adapter needs to poll or
    fetch), and how often fetching its result failed (two failures re-submit)."""

    id: str
    state: dict[str, Any] = Field(default_factory=dict)
    fetch_failures: int = Field(0, ge=0)


class StoredResult(Stored):
    """A finished task's media in storage: object names (never URLs: those are signed per answer), MIME type,
    size in bytes, pixel size, (video) length in seconds, and what a remix/extend needs at the provider."""

    object: str
    thumbnail_object: str | None = None
    mime_type: str
    bytes: int = Field(ge=0)
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    provider_ref: dict[str, str] = Field(default_factory=dict)


class StoredError(Stored):
    """Why a task failed: a stable `code` (provider error code, `canceled`, `timeout`, ...) and the user's message."""

    code: str
    message: str


class StoredCost(Stored):
    """What a task was charged: `credits`, or one free quota unit (`from_quota`); zero after an admin retry."""

    credits: int = Field(0, ge=0)
    from_quota: bool = False


class TaskDocument(Stored):
    """A document of the `tasks` collection, as common/tasks.py writes it (states and moves: `TRANSITIONS` there).

    `step` is the worker step the queue delivers next (delivery name `<id>-<step>`); `lease_id`/`lease_until` the
    step that holds the task now; `attempts` the transient failures so far; `refund` None until the task fails,
    then "pending" (owed), "done" or "kept" (a cancel after the provider started). `share_token`/`shared_at`
    are written by common/shares.py.
    """

    id: str = Field(alias="_id")
    user_id: str
    type: TaskType
    status: TaskStatus
    progress: int = Field(ge=0, le=100)
    prompt: str
    params: dict[str, Any]
    provider: str
    result: StoredResult | None = None
    error: StoredError | None = None
    cost: StoredCost
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    completed_at: datetime | None = None
    deadline_at: datetime
    step: int = Field(ge=0)
    job: StoredJob | None = None
    lease_id: str | None = None
    lease_until: datetime | None = None
    attempts: int = Field(0, ge=0)
    refund: Literal["pending", "done", "kept"] | None = None
    share_token: str | None = None
    shared_at: datetime | None = None

    @property
    def active(self) -> bool:
        """PENDING or GENERATING: a worker may still act on it."""
        return not self.status.terminal


__all__ = ["Stored", "StoredCost", "StoredError", "StoredJob", "StoredResult", "TaskDocument"]
