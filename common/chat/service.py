"""The assistant's service: start a turn (new message or regenerated reply), list, read, delete conversations."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from common.accounting import Accounting
from common.chat.ports import ConversationStore, new_id
from common.chat.turn import ChatConfig, Turn
from common.clock import SYSTEM_CLOCK, Clock
from common.errors import Conflict, PayloadTooLarge, UnsupportedMediaType
from common.media import MediaSigner
from common.models.chat import (
    ChatConversation,
    ChatList,
    ChatMessage,
    ChatRegenerateRequest,
    ChatRequest,
    ChatSummary,
    MessageDocument,
    StoredCharge,
)
from common.providers.base import ChatProvider, ReferenceImage
from common.providers.sim_chat import clip
from common.storage import StorageService

log = logging.getLogger(__name__)

TITLE_CHARS = 60
MAX_MESSAGES_SHOWN = 1000


def title_for(message: str) -> str:
    """The conversation's title: the first message's first ~60 characters, on a word boundary."""
    return clip(" ".join(message.split()), TITLE_CHARS)


class ChatService:
    """Conversations of one user with the configured chat provider; see `common.chat` for the persistence rules."""

    def __init__(
        self,
        *,
        store: ConversationStore,
        accounting: Accounting,
        storage: StorageService,
        signer: MediaSigner,
        provider: Callable[[], ChatProvider],
        config: ChatConfig,
        touch_uploads: Callable[[list[str]], None] | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        """`provider()` is the chat provider currently configured (it may change at run time);
        `touch_uploads(names)` marks attachments as in use (orphan cleanup keeps them; 400 if gone);
        `clock` stamps messages and paces a streaming reply's checkpoints."""
        self._clock = clock
        self._touch_uploads = touch_uploads
        self.store = store
        self.accounting = accounting
        self.config = config
        self._storage = storage
        self._signer = signer
        self._provider = provider

    # ---- a new message ---------------------------------------------------------------

    def start_turn(self, *, user_id: str, body: ChatRequest) -> Turn:
        """Check, charge and store the user's message; the returned Turn calls the model.

        Raises NotFound (someone else's or a missing conversation), Forbidden/InvalidRequest (an attachment
        URL that is not the caller's signed upload), PaymentRequired (no quota and no credits)."""
        conversation = self.store.get_owned(body.conversation_id, user_id) if body.conversation_id else None
        names = [self._signer.verify_url(url, owner=user_id).name for url in body.attachments]
        if self._touch_uploads is not None and names:
            self._touch_uploads(names)
        images = [self._load(name) for name in names]
        provider = self._provider()
        history = self._history(conversation.id, last=self.config.history_messages) if conversation else []
        message_id = new_id()
        charge = self.accounting.charge_for_task(user_id=user_id, kind="chat", task_id=message_id)
        now = self._clock.now()
        try:
            if conversation is None:
                conversation = self.store.create(user_id=user_id, title=title_for(body.message))
            user_message = self.store.insert_message(MessageDocument(
                id=message_id, conversation_id=conversation.id, user_id=user_id, role="user", text=body.message,
                attachments=names, partial=False, created_at=now,
                charge=StoredCharge(credits=charge.credits, from_quota=charge.from_quota),
            ))
            self.store.touch(conversation.id)
        except Exception:
            self.accounting.refund_task(user_id=user_id, kind="chat", task_id=message_id, charge=charge, created_at=now)
            raise
        log.info("chat message stored", extra={"user_id": user_id, "conversation_id": conversation.id,
                                               "message_id": message_id, "attachments": len(names)})
        return self._turn(provider=provider, conversation_id=conversation.id, user_message=user_message,
                          charge=charge, charge_id=message_id, charged_at=now, history=history, attachments=images)

    def start_regenerate(self, *, user_id: str, body: ChatRegenerateRequest) -> Turn:
        """A new reply to the conversation's last user message, replacing the last reply (API.md).

        Charged like a new message (keyed by a new id). The old reply is removed when the new one's first
        text is stored, so a model that fails before any text leaves the old reply in place.
        Raises NotFound (not the caller's conversation), Conflict (no user message to answer)."""
        conversation = self.store.get_owned(body.conversation_id, user_id)
        recent = self.store.messages(conversation.id, last=self.config.history_messages + 2)
        last_user = next((i for i in range(len(recent) - 1, -1, -1) if recent[i].role == "user"), None)
        if last_user is None:
            raise Conflict("There is no message to answer again in this conversation.")
        user_message = recent[last_user]
        replaced = next((m.id for m in recent[last_user + 1:] if m.role == "assistant"), None)
        images = [self._load(name) for name in user_message.attachments]
        provider = self._provider()
        history = [(m.role, m.text) for m in recent[:last_user] if m.text][-self.config.history_messages:]
        charge_id = new_id()
        charge = self.accounting.charge_for_task(user_id=user_id, kind="chat", task_id=charge_id)
        log.info("chat reply regenerating", extra={"user_id": user_id, "conversation_id": conversation.id,
                                                   "message_id": user_message.id, "replaces": replaced})
        return self._turn(provider=provider, conversation_id=conversation.id, user_message=user_message,
                          charge=charge, charge_id=charge_id, charged_at=self._clock.now(), history=history,
                          attachments=images, replaces=replaced)

    def _turn(self, **kwargs: Any) -> Turn:
        return Turn(store=self.store, accounting=self.accounting, present=self.present, config=lambda: self.config,
                    clock=self._clock, **kwargs)

    def _history(self, conversation_id: str, *, last: int) -> list[tuple[str, str]]:
        return [(m.role, m.text) for m in self.store.messages(conversation_id, last=last) if m.text]

    def _load(self, name: str) -> ReferenceImage:
        info = self._storage.stat(name)
        if not info.content_type.startswith("image/"):
            raise UnsupportedMediaType("Only images can be attached (PNG, JPEG or WebP).")
        limit = self.config.max_attachment_bytes
        if info.size > limit:
            raise PayloadTooLarge(f"Attachments can be at most {limit // (1024 * 1024)} MB.", details={"max_bytes": limit})
        return ReferenceImage(data=self._storage.read_bytes(name, max_bytes=limit), mime_type=info.content_type)

    # ---- reading and deleting --------------------------------------------------------

    def present(self, doc: MessageDocument) -> ChatMessage:
        """The API shape of a stored message; attachment URLs are signed now (key rotation re-signs them)."""
        return ChatMessage(
            id=doc.id, role=doc.role, text=doc.text, attachments=[self._signer.url_for(n) for n in doc.attachments],
            partial=doc.partial, created_at=doc.created_at,
        )

    def page(self, *, user_id: str, limit: int, cursor: str | None) -> ChatList:
        """Own conversations, most recently active first (`limit` per page). Raises InvalidRequest for a bad cursor."""
        docs, next_cursor = self.store.page(user_id=user_id, limit=limit, cursor=cursor)
        items = [ChatSummary(id=d.id, title=d.title, updated_at=d.updated_at) for d in docs]
        return ChatList(items=items, next_cursor=next_cursor)

    def conversation(self, *, user_id: str, conversation_id: str) -> ChatConversation:
        """One own conversation with its last 1000 messages, oldest first. Raises NotFound."""
        doc = self.store.get_owned(conversation_id, user_id)
        messages = self.store.messages(doc.id, last=MAX_MESSAGES_SHOWN)
        return ChatConversation(id=doc.id, title=doc.title, messages=[self.present(m) for m in messages])

    def delete(self, *, user_id: str, conversation_id: str) -> None:
        """Delete an own conversation and its messages. Raises NotFound."""
        self.store.delete(self.store.get_owned(conversation_id, user_id).id)
