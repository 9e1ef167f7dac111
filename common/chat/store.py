"""The MongoDB adapter of `ConversationStore`: the `conversations` and `messages` collections (indexes in common/db.py)."""

from __future__ import annotations

from typing import Any

from common.chat.ports import decode_cursor, encode_cursor, new_id
from common.clock import SYSTEM_CLOCK, Clock
from common.db import Database
from common.errors import NotFound
from common.ids import plausible_id
from common.models.chat import ConversationDocument, MessageDocument, MessageError

__all__ = ["MongoConversationStore", "new_id"]


class MongoConversationStore:
    """`ConversationStore` on MongoDB (or the embedded store). Messages hold object names, never URLs."""

    def __init__(self, db: Database, *, clock: Clock = SYSTEM_CLOCK) -> None:
        """Use `db.conversations` and `db.messages`; `clock` stamps created_at/updated_at."""
        self._db = db
        self._clock = clock

    def create(self, *, user_id: str, title: str) -> ConversationDocument:
        """A new conversation document owned by `user_id`."""
        now = self._clock.now()
        doc = ConversationDocument(id=new_id(), user_id=user_id, title=title, created_at=now, updated_at=now)
        self._db.conversations.insert_one(doc.to_document())
        return doc

    def get_owned(self, conversation_id: str, user_id: str) -> ConversationDocument:
        """The conversation if `user_id` owns it. Raises NotFound otherwise (someone else's looks missing)."""
        doc = (
            self._db.conversations.find_one({"_id": conversation_id, "user_id": user_id})
            if plausible_id(conversation_id) else None
        )
        if doc is None:
            raise NotFound("Conversation not found.")
        return ConversationDocument.from_stored(doc)

    def touch(self, conversation_id: str) -> bool:
        """Mark the conversation active now; False when it was deleted meanwhile."""
        result = self._db.conversations.update_one({"_id": conversation_id}, {"$set": {"updated_at": self._clock.now()}})
        return result.matched_count == 1

    def page(self, *, user_id: str, limit: int, cursor: str | None) -> tuple[list[ConversationDocument], str | None]:
        """Up to `limit` own conversations, most recently active first, and the cursor of the next page (or None).
        Raises InvalidRequest for a cursor this store did not make."""
        query: dict[str, Any] = {"user_id": user_id}
        if cursor:
            at, last_id = decode_cursor(cursor)
            query["$or"] = [{"updated_at": {"$lt": at}}, {"updated_at": at, "_id": {"$lt": last_id}}]
        raw = list(self._db.conversations.find(query, sort=[("updated_at", -1), ("_id", -1)], limit=limit + 1))
        docs = [ConversationDocument.from_stored(d) for d in raw[:limit]]
        more = len(raw) > limit
        return docs, (encode_cursor(docs[-1].updated_at, docs[-1].id) if more and docs else None)

    def delete(self, conversation_id: str) -> None:
        """Remove the conversation and its messages."""
        # The conversation first: it disappears at once; its messages follow.
        self._db.conversations.delete_one({"_id": conversation_id})
        self._db.messages.delete_many({"conversation_id": conversation_id})

    def insert_message(self, message: MessageDocument) -> MessageDocument:
        """Store a new message (its id set by the caller); returns it."""
        self._db.messages.insert_one(message.to_document())
        return message

    def update_message(self, message_id: str, *, text: str | None = None, partial: bool | None = None,
                       error: MessageError | None = None) -> None:
        """Set the given fields on one message (None = unchanged)."""
        fields: dict[str, Any] = {}
        if text is not None:
            fields["text"] = text
        if partial is not None:
            fields["partial"] = partial
        if error is not None:
            fields["error"] = error.model_dump()
        if fields:
            self._db.messages.update_one({"_id": message_id}, {"$set": fields})

    def delete_message(self, message_id: str) -> None:
        """Remove one message (a reply whose conversation was deleted, or one replaced by a regenerated reply)."""
        self._db.messages.delete_one({"_id": message_id})

    def messages(self, conversation_id: str, *, last: int) -> list[MessageDocument]:
        """The conversation's last `last` messages, oldest first (none for `last` < 1; MongoDB would read 0 as no limit)."""
        if last < 1:
            return []
        docs = list(self._db.messages.find(
            {"conversation_id": conversation_id}, sort=[("created_at", -1), ("_id", -1)], limit=last
        ))
        return [MessageDocument.from_stored(d) for d in reversed(docs)]
