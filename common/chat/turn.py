"""One turn: a stored user message and the reply to it, answered as JSON or as server-sent events."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from common.accounting import Accounting, Charge
from common.chat.ports import ConversationStore, new_id
from common.clock import SYSTEM_CLOCK, Clock
from common.errors import AppError, InvalidRequest, ServiceUnavailable
from common.models.chat import (
    ChatDelta,
    ChatDone,
    ChatMessage,
    ChatResponse,
    ChatStreamError,
    MessageDocument,
    MessageError,
)
from common.providers.base import (
    ChatProvider,
    InvalidProviderRequest,
    ProviderError,
    ProviderUnavailable,
    ReferenceImage,
    SafetyRefusal,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChatConfig:
    """Tunables of the assistant (seconds, bytes, message counts)."""

    history_messages: int = 20  # earlier messages sent to the model with each new one
    heartbeat_s: float = 15.0  # an SSE comment after this much silence keeps proxies from closing the stream
    checkpoint_s: float = 1.0  # a streaming reply is written to the database at most this often
    max_attachment_bytes: int = 20 * 1024 * 1024


@dataclass(frozen=True)
class ChatEvent:
    """One server-sent event of a streamed reply; `data is None` is a heartbeat."""

    name: str
    data: BaseModel | None


HEARTBEAT = ChatEvent("", None)


class _Pump:
    """Reads the model's stream on its own thread, so the response can send heartbeats while the model is silent."""

    def __init__(self, produce: Callable[[], Iterator[str]]) -> None:
        self._items: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(produce,), daemon=True, name="chat-reply")
        self._thread.start()

    def _run(self, produce: Callable[[], Iterator[str]]) -> None:
        chunks: Iterator[str] | None = None
        try:
            chunks = produce()
            for chunk in chunks:
                if self._stop.is_set():
                    return
                self._items.put(("chunk", chunk))
            self._items.put(("end", None))
        except Exception as exc:  # noqa: BLE001 - handed over to the reading thread
            self._items.put(("error", exc))
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    def next(self, timeout_s: float) -> tuple[str, Any] | None:
        """The next ("chunk", text) / ("end", None) / ("error", exc); None after `timeout_s` of silence."""
        try:
            return self._items.get(timeout=timeout_s)
        except queue.Empty:
            return None

    def stop(self) -> list[str]:
        """Stop reading; the chunks that had already arrived."""
        self._stop.set()
        pending: list[str] = []
        while True:
            try:
                kind, value = self._items.get_nowait()
            except queue.Empty:
                return pending
            if kind == "chunk":
                pending.append(value)


def provider_failure(exc: Exception, *, conversation_id: str) -> AppError:
    """The error a user sees for a failed reply: the provider's clean message, never a raw payload."""
    details = {"conversation_id": conversation_id}
    if isinstance(exc, SafetyRefusal):
        return InvalidRequest(exc.message, code="safety_refusal", details=details)
    if isinstance(exc, InvalidProviderRequest):
        return InvalidRequest(exc.message, details=details)
    if isinstance(exc, ProviderError):
        headers = {"Retry-After": "10"} if exc.retryable else None
        return ServiceUnavailable(exc.message, details=details, headers=headers)
    if isinstance(exc, AppError):
        exc.details = {**exc.details, **details}
        return exc
    return AppError(details=details)


class Turn:
    """A stored user message and the reply to it; the reply is stored however the answer ends.

    Use `complete()` for a JSON answer, or `events()` for a stream (then `close()`
    when the response ends, normally or because the client went away).
    """

    def __init__(
        self,
        *,
        store: ConversationStore,
        accounting: Accounting,
        present: Callable[[MessageDocument], ChatMessage],
        config: Callable[[], ChatConfig],
        provider: ChatProvider,
        conversation_id: str,
        user_message: MessageDocument,
        charge: Charge,
        charge_id: str,
        charged_at: datetime,
        history: list[tuple[str, str]],
        attachments: list[ReferenceImage],
        replaces: str | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        """`user_message` is stored and charged (`charge`, keyed `charge_id`); `replaces` is the id of an
        earlier reply this one supersedes (regenerate): it is deleted when the new reply's first text is stored.
        `clock` stamps the reply and paces its checkpoints (at most one write per `checkpoint_s` of its time)."""
        self._clock = clock
        self.conversation_id = conversation_id
        self._store = store
        self._accounting = accounting
        self._present = present
        self._config = config
        self._charge_id = charge_id
        self._charged_at = charged_at
        self._replaces = replaces
        self._provider = provider
        self._user_message = user_message
        self._charge = charge
        self._history = history
        self._message = user_message.text
        self._attachments = attachments
        self._text: list[str] = []
        self._reply: MessageDocument | None = None
        self._finished = False
        self._lock = threading.RLock()
        self._last_checkpoint: datetime | None = None
        self._pump: _Pump | None = None

    @property
    def _log(self) -> dict[str, Any]:
        return {"user_id": self._user_message.user_id, "conversation_id": self.conversation_id,
                "message_id": self._user_message.id, "provider": self._provider.name}

    def _produce(self) -> Iterator[str]:
        return iter(self._provider.stream_text(self._history, self._message, self._attachments))

    # ---- the two ways of answering -------------------------------------------------

    def complete(self) -> ChatResponse:
        """Run the reply to its end; the stored assistant message, or the clean error."""
        try:
            for chunk in self._produce():
                self._absorb(chunk)
        except Exception as exc:  # noqa: BLE001 - every failure ends the turn the same way
            raise self._failed(exc) from None
        return ChatResponse(conversation_id=self.conversation_id, message=self._succeeded())

    def events(self) -> Generator[ChatEvent, None, None]:
        """`delta` events as the model writes, then one `done` or `error`; heartbeats while it is silent."""
        self._pump = _Pump(self._produce)
        try:
            while True:
                item = self._pump.next(self._config().heartbeat_s)
                if item is None:
                    yield HEARTBEAT
                    continue
                kind, value = item
                if kind == "chunk":
                    if self._absorb(value):
                        yield ChatEvent("delta", ChatDelta(text=value))
                    continue
                try:
                    if kind == "error":
                        raise self._failed(value)
                    reply = self._succeeded()
                except AppError as exc:
                    yield ChatEvent("error", ChatStreamError(code=exc.code, message=exc.message,
                                                             conversation_id=self.conversation_id))
                    return
                yield ChatEvent("done", ChatDone(conversation_id=self.conversation_id, message_id=reply.id))
                return
        finally:
            self.close()

    def close(self) -> None:
        """The response is over. A reply still running is kept as far as it got, marked partial."""
        if self._pump is not None:
            for chunk in self._pump.stop():
                self._absorb(chunk)
        with self._lock:
            if self._finished:
                return
            self._finished = True
            if self._reply is None:
                self._refund()
                log.info("chat reply abandoned before any text", extra=self._log)
                return
            self._save_reply(partial=True)
            log.info("chat reply interrupted; partial reply kept",
                     extra={**self._log, "reply_id": self._reply.id, "chars": len("".join(self._text))})

    # ---- persistence -----------------------------------------------------------------

    def _absorb(self, chunk: str) -> bool:
        """Take one piece of the reply; the first one creates the stored assistant message."""
        if not chunk:
            return False
        with self._lock:
            if self._finished:
                return False
            self._text.append(chunk)
            now = self._clock.now()
            if self._reply is None:
                self._reply = self._store.insert_message(MessageDocument(
                    id=new_id(), conversation_id=self.conversation_id, user_id=self._user_message.user_id,
                    role="assistant", text=chunk, attachments=[], partial=True, reply_to=self._user_message.id,
                    provider=self._provider.name, created_at=now,
                ))
                self._last_checkpoint = now
                if self._replaces:
                    self._store.delete_message(self._replaces)
            elif self._last_checkpoint is None or (now - self._last_checkpoint).total_seconds() >= self._config().checkpoint_s:
                self._store.update_message(self._reply.id, text="".join(self._text))
                self._last_checkpoint = now
            return True

    def _succeeded(self) -> ChatMessage:
        with self._lock:
            if self._reply is None:
                raise self._failed(ProviderUnavailable("The assistant returned an empty reply. Please try again."))
            self._finished = True
            reply = self._save_reply(partial=False)
        log.info("chat reply stored", extra={**self._log, "reply_id": reply.id, "chars": len(reply.text)})
        return self._present(reply)

    def _failed(self, exc: Exception) -> AppError:
        error = provider_failure(exc, conversation_id=self.conversation_id)
        if not isinstance(exc, ProviderError | AppError):
            log.error("chat reply crashed", exc_info=exc, extra=self._log)
        with self._lock:
            if self._finished:
                return error
            self._finished = True
            if self._reply is None:
                self._refund()
                self._store.update_message(self._user_message.id, error=MessageError(code=error.code, message=error.message))
                log.warning("chat reply failed before any text: %s", error.code, extra=self._log)
            else:
                self._save_reply(partial=True)
                log.warning("chat reply failed mid-way: %s; partial reply kept", error.code, extra=self._log)
        return error

    def _save_reply(self, *, partial: bool) -> MessageDocument:
        assert self._reply is not None
        self._reply = self._reply.model_copy(update={"text": "".join(self._text), "partial": partial})
        self._store.update_message(self._reply.id, text=self._reply.text, partial=partial)
        if not self._store.touch(self.conversation_id):
            self._store.delete_message(self._reply.id)  # the conversation was deleted while it streamed
        return self._reply

    def _refund(self) -> None:
        """Give the charge back (no text was produced); keyed, so a second call changes nothing."""
        self._accounting.refund_task(
            user_id=self._user_message.user_id, kind="chat", task_id=self._charge_id,
            charge=self._charge, created_at=self._charged_at,
        )
