"""Chat (function `chat`): request bodies, answers and the server-sent events of a streamed reply."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator

from common.models.core import MAX_MEDIA_URL, Out, Strict
from common.models.documents import Stored as StoredDocument

MAX_CHAT_MESSAGE = 8000
MAX_CHAT_ATTACHMENTS = 4


class ChatRequest(Strict):
    """Body of POST /api/ai/chat: a message (1..8000 characters) in a new or existing conversation, with up to 4
    image attachments.
    """
    conversation_id: str | None = Field(None, max_length=200, description="Omit to start a new conversation.")
    message: str = Field(min_length=1, max_length=MAX_CHAT_MESSAGE)
    attachments: list[str] = Field(
        default_factory=list, max_length=MAX_CHAT_ATTACHMENTS, description="Proxy URLs of the caller's own images."
    )

    @field_validator("attachments")
    @classmethod
    def _bounded(cls, urls: list[str]) -> list[str]:
        if any(len(u) > MAX_MEDIA_URL for u in urls):
            raise ValueError("an attachment URL is too long")
        return urls


class ChatRegenerateRequest(Strict):
    """`POST /api/ai/chat/regenerate`: answer the conversation's last user message again."""

    conversation_id: str = Field(min_length=1, max_length=200)


class ChatMessage(Out):
    """One stored message of a conversation."""
    id: str
    role: Literal["user", "assistant"]
    text: str
    attachments: list[str] = Field(description="Proxy URLs, signed when read.")
    partial: bool = Field(False, description="A reply cut short (connection dropped or the model failed mid-way).")
    created_at: datetime


class ChatResponse(Out):
    """The non-streaming answer: the assistant's stored message."""

    conversation_id: str
    message: ChatMessage


class ChatSummary(Out):
    """A conversation in the list: id, title, time of its last message."""
    id: str
    title: str
    updated_at: datetime


class ChatList(Out):
    """One page of conversations, most recently active first; `next_cursor` is null on the last page."""
    items: list[ChatSummary]
    next_cursor: str | None = None


class ChatConversation(Out):
    """One conversation with all its messages."""
    id: str
    title: str
    messages: list[ChatMessage]


class ChatDelta(Out):
    """SSE event `delta`: the next piece of the reply's text."""

    text: str


class ChatDone(Out):
    """SSE event `done`: the reply is stored under these ids."""

    conversation_id: str
    message_id: str


class ChatStreamError(Out):
    """SSE event `error`: the reply failed; any text already sent is stored as a partial reply."""

    code: str
    message: str
    conversation_id: str


# ---- stored documents (collections `conversations` and `messages`; not part of the HTTP contract) -------------------

# An object name in the media bucket (`uploads/<user>/<file>`, `media/<user>/<task>.<ext>`), never a URL.
ObjectName = Annotated[str, Field(pattern=r"^(media|uploads)/[A-Za-z0-9_-]{1,64}/[A-Za-z0-9_.-]{1,128}$")]
_OBJECT_ID = r"^[0-9a-f]{24}$"


class _ChatStored(StoredDocument):
    """A stored chat document (common.models.documents.Stored: unknown keys ignored on read, times aware UTC,
    immutable: change one with `model_copy(update=...)`)."""

    def to_document(self) -> dict[str, Any]:
        """The MongoDB document: `_id` for `id`, unset optional fields left out (as the collections always held them)."""
        return self.model_dump(by_alias=True, exclude_none=True)


class ConversationDocument(_ChatStored):
    """`conversations`: one conversation of one user; `updated_at` moves with each message (the list's order)."""

    id: str = Field(alias="_id", pattern=_OBJECT_ID)
    user_id: str = Field(min_length=1, max_length=64)
    title: str = Field(max_length=200)
    created_at: datetime
    updated_at: datetime


class StoredCharge(StoredDocument):
    """How a user message was paid (Accounting.Charge): `credits` taken (0 for a quota unit), `from_quota`."""

    credits: int = Field(ge=0)
    from_quota: bool


class MessageError(StoredDocument):
    """The clean error recorded on a user message whose reply failed before any text (API.md error `code`, `message`)."""

    code: str = Field(min_length=1)
    message: str


class MessageDocument(_ChatStored):
    """`messages`: one message of a conversation. Attachments are object names, signed into URLs when read.

    A user message carries its `charge` (and `error` when the reply failed before any text); an assistant
    message its `reply_to` (the user message it answers), `provider`, and `partial` while it streams or when
    it was cut short.
    """

    id: str = Field(alias="_id", pattern=_OBJECT_ID)
    conversation_id: str = Field(pattern=_OBJECT_ID)
    user_id: str = Field(min_length=1, max_length=64)
    role: Literal["user", "assistant"]
    text: str
    attachments: list[ObjectName] = Field(default_factory=list, max_length=MAX_CHAT_ATTACHMENTS)
    partial: bool = False
    created_at: datetime
    charge: StoredCharge | None = None
    reply_to: str | None = Field(None, pattern=_OBJECT_ID)
    provider: str | None = None
    error: MessageError | None = None


SCHEMA_MODELS: list[type[BaseModel]] = [
    ChatRequest, ChatRegenerateRequest, ChatMessage, ChatResponse, ChatSummary, ChatList, ChatConversation, ChatDelta, ChatDone,
    ChatStreamError,
]
