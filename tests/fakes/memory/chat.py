"""In-memory `ConversationStore` (common/chat/ports.py): the MongoDB adapter's promises, in dictionaries.

Passes tests/contract/test_conversation_store.py beside `MongoConversationStore`. Documents go in and come
out as copies, as they would through a database, so a caller that changes what it got changes nothing stored.
"""

from __future__ import annotations

import threading

from common.chat.ports import decode_cursor, encode_cursor, new_id
from common.clock import SYSTEM_CLOCK, Clock
from common.errors import NotFound
from common.ids import plausible_id
from common.models.chat import ConversationDocument, MessageDocument, MessageError


class MemoryConversationStore:
    """`ConversationStore` in memory. `conversations` and `messages` (id → document) are the stored state,
    for tests to inspect; every write goes through the document models, so nothing malformed is held."""

    def __init__(self, *, clock: Clock = SYSTEM_CLOCK) -> None:
        """An empty store; `clock` stamps created_at/updated_at."""
        self._clock = clock
        self._lock = threading.Lock()  # a Turn writes from its reader thread while the test reads
        self.conversations: dict[str, ConversationDocument] = {}
        self.messages_by_id: dict[str, MessageDocument] = {}

    def create(self, *, user_id: str, title: str) -> ConversationDocument:
        """A new conversation owned by `user_id`, created and updated now."""
        now = self._clock.now()
        doc = ConversationDocument(id=new_id(), user_id=user_id, title=title, created_at=now, updated_at=now)
        with self._lock:
            self.conversations[doc.id] = doc.model_copy(deep=True)
        return doc

    def get_owned(self, conversation_id: str, user_id: str) -> ConversationDocument:
        """The conversation if `user_id` owns it; NotFound otherwise."""
        with self._lock:
            doc = self.conversations.get(conversation_id) if plausible_id(conversation_id) else None
            if doc is None or doc.user_id != user_id:
                raise NotFound("Conversation not found.")
            return doc.model_copy(deep=True)

    def touch(self, conversation_id: str) -> bool:
        """Mark the conversation active now; False when it is gone."""
        with self._lock:
            doc = self.conversations.get(conversation_id)
            if doc is None:
                return False
            self.conversations[conversation_id] = doc.model_copy(update={"updated_at": self._clock.now()})
            return True

    def page(self, *, user_id: str, limit: int, cursor: str | None) -> tuple[list[ConversationDocument], str | None]:
        """The user's conversations by (updated_at, id) descending, after `cursor`; InvalidRequest for a bad cursor."""
        after = decode_cursor(cursor) if cursor else None
        with self._lock:
            own = [d for d in self.conversations.values() if d.user_id == user_id]
        own.sort(key=lambda d: (d.updated_at, d.id), reverse=True)
        if after is not None:
            own = [d for d in own if (d.updated_at, d.id) < after]
        docs = [d.model_copy(deep=True) for d in own[:limit]]
        more = len(own) > limit
        return docs, (encode_cursor(docs[-1].updated_at, docs[-1].id) if more and docs else None)

    def delete(self, conversation_id: str) -> None:
        """Remove the conversation and its messages."""
        with self._lock:
            self.conversations.pop(conversation_id, None)
            for mid in [m.id for m in self.messages_by_id.values() if m.conversation_id == conversation_id]:
                del self.messages_by_id[mid]

    def insert_message(self, message: MessageDocument) -> MessageDocument:
        """Store a new message; a second message with the same id is refused, as the unique `_id` would."""
        with self._lock:
            if message.id in self.messages_by_id:
                raise ValueError(f"duplicate message id {message.id}")
            self.messages_by_id[message.id] = message.model_copy(deep=True)
        return message

    def update_message(self, message_id: str, *, text: str | None = None, partial: bool | None = None,
                       error: MessageError | None = None) -> None:
        """Set the given fields of one message (None = unchanged); nothing when it is gone."""
        with self._lock:
            doc = self.messages_by_id.get(message_id)
            if doc is None:
                return
            changes = {k: v for k, v in {"text": text, "partial": partial, "error": error}.items() if v is not None}
            # Validated as a whole, so the fake can hold nothing the document model refuses.
            self.messages_by_id[message_id] = MessageDocument.model_validate({**doc.model_dump(), **changes})

    def delete_message(self, message_id: str) -> None:
        """Remove one message."""
        with self._lock:
            self.messages_by_id.pop(message_id, None)

    def messages(self, conversation_id: str, *, last: int) -> list[MessageDocument]:
        """The conversation's last `last` messages by (created_at, id), oldest first; none for `last` < 1."""
        if last < 1:
            return []
        with self._lock:
            own = [m for m in self.messages_by_id.values() if m.conversation_id == conversation_id]
        own.sort(key=lambda m: (m.created_at, m.id))
        return [m.model_copy(deep=True) for m in own[-last:]]
