"""The storage port of the assistant: `ConversationStore`, and the page cursor every implementation shares.

`ChatService` and `Turn` depend on this Protocol only. Implementations: `MongoConversationStore`
(common/chat/store.py, production and the local stack) and the in-memory fake
(tests/fakes/memory/chat.py); both pass tests/contract/test_conversation_store.py.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Protocol

from bson import ObjectId

from common import clock
from common.errors import InvalidRequest
from common.models.chat import ConversationDocument, MessageDocument, MessageError


class ConversationStore(Protocol):
    """Conversations and their messages. Documents are typed (`ConversationDocument`, `MessageDocument`);
    what a caller gets back is a copy: changing it changes nothing stored."""

    def create(self, *, user_id: str, title: str) -> ConversationDocument:
        """A new conversation owned by `user_id`, created and updated now."""
        ...

    def get_owned(self, conversation_id: str, user_id: str) -> ConversationDocument:
        """The conversation if `user_id` owns it. Raises NotFound otherwise: someone else's, a deleted one and a
        malformed id all look missing."""
        ...

    def touch(self, conversation_id: str) -> bool:
        """Mark the conversation active now (it moves to the top of its owner's list); False when it is gone."""
        ...

    def page(self, *, user_id: str, limit: int, cursor: str | None) -> tuple[list[ConversationDocument], str | None]:
        """Up to `limit` of the user's conversations, most recently active first (ties: newest id first), and the
        cursor of the next page (None on the last). Stable: a page never repeats or skips a conversation that did
        not move meanwhile. Raises InvalidRequest (`details.field = "cursor"`) for a cursor it did not make."""
        ...

    def delete(self, conversation_id: str) -> None:
        """Remove the conversation and every message in it (nothing when it is already gone)."""
        ...

    def insert_message(self, message: MessageDocument) -> MessageDocument:
        """Store a new message (its id chosen by the caller, `new_id()`); returns it."""
        ...

    def update_message(self, message_id: str, *, text: str | None = None, partial: bool | None = None,
                       error: MessageError | None = None) -> None:
        """Set the given fields of one message (None = leave as is); nothing when the message is gone."""
        ...

    def delete_message(self, message_id: str) -> None:
        """Remove one message (a reply whose conversation was deleted, or one a regenerated reply replaces)."""
        ...

    def messages(self, conversation_id: str, *, last: int) -> list[MessageDocument]:
        """The conversation's last `last` messages (by created_at, then id), oldest first; none for `last` < 1."""
        ...


def new_id() -> str:
    """A new document id: an ObjectId's 24 hex digits, time-ordered (ids made later sort after)."""
    return str(ObjectId())


def encode_cursor(updated_at: datetime, conversation_id: str) -> str:
    """The opaque page cursor after (`updated_at`, `conversation_id`): base64url of "<iso time>|<id>", unpadded."""
    raw = f"{clock.as_utc(updated_at).isoformat()}|{conversation_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """(`updated_at`, `conversation_id`) of a cursor `encode_cursor` made.
    Raises InvalidRequest (`details.field = "cursor"`) for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, conversation_id = raw.split("|", 1)
        ObjectId(conversation_id)
        return clock.as_utc(datetime.fromisoformat(stamp)), conversation_id
    except Exception:  # noqa: BLE001 - any garbage is the client's mistake
        raise InvalidRequest("The cursor is not valid.", details={"field": "cursor"}) from None
