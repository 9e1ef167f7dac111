"""Document ids: the one rule for what an id from a URL may look like before it reaches the database."""

from __future__ import annotations

MAX_ID_LENGTH = 64  # our ids are ObjectId hex (24) or short tokens; anything longer is refused unread


def plausible_id(value: str) -> bool:
    """Whether `value` may be looked up at all (1..64 characters). A `False` answers as not found, never 500."""
    return 0 < len(value) <= MAX_ID_LENGTH


def delivery_name(task_id: str, step: int) -> str:
    """The queue task name of step `step` of task `task_id`: Cloud Tasks refuses a second task with the same
    name (for about an hour), so each step is enqueued once however often the enqueue is repeated."""
    return f"{task_id}-{step}"
