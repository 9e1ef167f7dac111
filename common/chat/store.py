"""The `conversations` and `messages` collections of the assistant."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from bson import ObjectId

from common import clock
from common.db import Database
from common.errors import InvalidRequest, NotFound
from common.ids import plausible_id


def new_id() -> str:
    """Time-ordered ids (ObjectId hex)."""
    return str(ObjectId())


def _encode_cursor(updated_at: datetime, conversation_id: str) -> str:
    raw = f"{clock.as_utc(updated_at).isoformat()}|{conversation_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, conversation_id = raw.split("|", 1)
        ObjectId(conversation_id)
        return datetime.fromisoformat(stamp), conversation_id
    except Exception:  # noqa: BLE001 - any garbage is the client's mistake
        raise InvalidRequest("The cursor is not valid.", details={"field": "cursor"}) from None


class ConversationStore:
    """The `conversations` and `messages` collections. Messages hold object names, never URLs."""

    def __init__(self, db: Database) -> None:
        """Use `db.conversations` and `db.messages`."""
        self._db = db

    def create(self, *, user_id: str, title: str) -> dict[str, Any]:
        """A new conversation document owned by `user_id`."""
        now = clock.now()
        doc = {"_id": new_id(), "user_id": user_id, "title": title, "created_at": now, "updated_at": now}
        self._db.conversations.insert_one(doc)
        return doc

    def get_owned(self, conversation_id: str, user_id: str) -> dict[str, Any]:
        """The conversation if `user_id` owns it. Raises NotFound otherwise (someone else's looks missing)."""
        doc = (
            self._db.conversations.find_one({"_id": conversation_id, "user_id": user_id})
            if plausible_id(conversation_id) else None
        )
        if doc is None:
            raise NotFound("Conversation not found.")
        return doc

    def touch(self, conversation_id: str) -> bool:
        """Mark the conversation active now; False when it was deleted meanwhile."""
        result = self._db.conversations.update_one({"_id": conversation_id}, {"$set": {"updated_at": clock.now()}})
        return result.matched_count == 1

    def page(self, *, user_id: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """Up to `limit` own conversations, most recently active first, and the cursor of the next page (or None).
        Raises InvalidRequest for a cursor this function did not make."""
        query: dict[str, Any] = {"user_id": user_id}
        if cursor:
            at, last_id = _decode_cursor(cursor)
            query["$or"] = [{"updated_at": {"$lt": at}}, {"updated_at": at, "_id": {"$lt": last_id}}]
        docs = list(self._db.conversations.find(query, sort=[("updated_at", -1), ("_id", -1)], limit=limit + 1))
        more = len(docs) > limit
        docs = docs[:limit]
        return docs, (_encode_cursor(docs[-1]["updated_at"], docs[-1]["_id"]) if more and docs else None)

    def delete(self, conversation_id: str) -> None:
        """Remove the conversation and its messages."""
        # The conversation first: it disappears at once; its messages follow.
        self._db.conversations.delete_one({"_id": conversation_id})
        self._db.messages.delete_many({"conversation_id": conversation_id})

    def insert_message(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Store a new message document (its `_id` set by the caller); returns it."""
        self._db.messages.insert_one(doc)
        return doc

    def update_message(self, message_id: str, fields: dict[str, Any]) -> None:
        """Set `fields` on one message."""
        self._db.messages.update_one({"_id": message_id}, {"$set": fields})

    def delete_message(self, message_id: str) -> None:
        """Remove one message (a reply whose conversation was deleted, or one replaced by a regenerated reply)."""
        self._db.messages.delete_one({"_id": message_id})

    def messages(self, conversation_id: str, *, last: int) -> list[dict[str, Any]]:
        """The conversation's last `last` messages, oldest first."""
        docs = list(self._db.messages.find(
            {"conversation_id": conversation_id}, sort=[("created_at", -1), ("_id", -1)], limit=last
        ))
        return docs[::-1]
