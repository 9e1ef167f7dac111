"""The multimodal assistant: conversations, messages, and one streamed reply per user message.

Persistence rules (API.md, docs/chat.md):

- The user's message is charged (one daily `chat` quota unit, else credits, keyed
  by the message id) and stored *before* the model is called.
- The reply is stored from its first piece of text on, checkpointed while it
  streams, and finalised when it ends. If the client goes away mid-reply, what
  was generated so far stays, marked `partial`.
- A model that fails before any text leaves no assistant message, and the
  charge is given back.
"""

from __future__ import annotations

import base64
import io
import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from bson import ObjectId
from PIL import Image
from pydantic import BaseModel

from common import clock
from common.accounting import Accounting, Charge
from common.db import Database
from common.errors import AppError, InvalidRequest, NotFound, PayloadTooLarge, ServiceUnavailable, UnsupportedMediaType
from common.media import MediaSigner
from common.models.chat import (
    ChatConversation,
    ChatDelta,
    ChatDone,
    ChatList,
    ChatMessage,
    ChatRequest,
    ChatResponse,
    ChatStreamError,
    ChatSummary,
)
from common.providers.base import (
    InvalidProviderRequest,
    ProviderError,
    ProviderUnavailable,
    ReferenceImage,
    SafetyRefusal,
)
from common.secrets import GEMINI_API_KEY
from common.storage import StorageService

if TYPE_CHECKING:
    from common.runtime import Services

log = logging.getLogger(__name__)

CHAT_PROVIDERS = ("sim", "gemini")
DEFAULT_CHAT_MODEL = "gemini-2.5-flash"
TITLE_CHARS = 60
MAX_MESSAGES_SHOWN = 1000


@dataclass(frozen=True)
class ChatConfig:
    history_messages: int = 20  # earlier messages sent to the model with each new one
    heartbeat_s: float = 15.0  # an SSE comment after this much silence keeps proxies from closing the stream
    checkpoint_s: float = 1.0  # a streaming reply is written to the database at most this often
    sim_chunk_delay_s: float = 0.02
    max_attachment_bytes: int = 20 * 1024 * 1024


class ChatProvider(Protocol):
    """A model that streams a text reply (GeminiChat, SimChat)."""

    name: str

    def stream_reply(
        self, history: Sequence[tuple[str, str]], message: str, attachments: Sequence[ReferenceImage] = ()
    ) -> Iterator[str]:
        """Text chunks of the reply; `ProviderError`s may surface at the call or while iterating."""
        ...


# ---- the local assistant ----------------------------------------------------------


class SimChat:
    """The `sim` assistant: no key, no network, a reply streamed word by word.

    It restates the request, recalls the previous message, describes attached
    images (pixel size, dominant colour) and suggests an image or video prompt.
    Markers, for demos and tests: `[sim:down]` fails before any text (provider
    unavailable), `[sim:unsafe]` is a safety refusal, `[sim:cut]` fails after a
    few words, `[sim:slow]` streams at least 50 ms a word.
    """

    name = "sim"

    def __init__(self, *, chunk_delay_s: float) -> None:
        self._delay_s = chunk_delay_s

    def stream_reply(
        self, history: Sequence[tuple[str, str]], message: str, attachments: Sequence[ReferenceImage] = ()
    ) -> Iterator[str]:
        return self._stream(sim_reply(history, message, attachments), message)

    def _stream(self, reply: str, message: str) -> Iterator[str]:
        # A generator: like the real adapter, failures surface while iterating.
        if "[sim:down]" in message:
            raise ProviderUnavailable(detail="sim: [sim:down] marker")
        if "[sim:unsafe]" in message:
            raise SafetyRefusal(detail="sim: [sim:unsafe] marker")
        delay = max(self._delay_s, 0.05) if "[sim:slow]" in message else self._delay_s
        for i, word in enumerate(re.findall(r"\S+\s*", reply)):
            if "[sim:cut]" in message and i == 5:
                raise ProviderUnavailable(detail="sim: [sim:cut] marker")
            if delay and i:
                time.sleep(delay)
            yield word


_MARKER = re.compile(r"\[sim:[a-z]+\]")
_VIDEO_WORDS = re.compile(r"\b(video|clip|shot|scene|film|movie|animat\w*|footage|trailer)\b", re.IGNORECASE)
_COLOURS = {
    "black": (0, 0, 0), "white": (255, 255, 255), "grey": (128, 128, 128), "red": (210, 40, 40),
    "orange": (240, 140, 30), "yellow": (235, 215, 50), "green": (50, 170, 70), "cyan": (40, 200, 230),
    "blue": (40, 80, 210), "purple": (140, 60, 200), "pink": (240, 120, 180), "brown": (120, 75, 40),
}


def sim_reply(history: Sequence[tuple[str, str]], message: str, attachments: Sequence[ReferenceImage]) -> str:
    request = _clip(" ".join(_MARKER.sub("", message).split()), 160) or "something"
    parts = [f"You asked: “{request}”."]
    earlier = [text for role, text in history if role == "user"]
    if earlier:
        previous = _clip(" ".join(_MARKER.sub("", earlier[-1]).split()), 80)
        parts.append(f"Building on what you said before (“{previous}”), with {len(history)} earlier messages in mind.")
    colours = []
    for i, image in enumerate(attachments, 1):
        described, colour = describe_image(image)
        colours.append(colour)
        parts.append(f"Image {i} is {described}.")
    kind = "video" if _VIDEO_WORDS.search(request) else "image"
    subject = request.rstrip(" .!?")
    if colours and colours[0]:
        subject += f", in the {colours[0]} tones of your reference"
    style = (
        "cinematic 8-second shot, slow dolly-in, volumetric neon light, shallow depth of field, 16:9"
        if kind == "video" else "detailed illustration, neon-lit cyberpunk palette, soft rim light, 35 mm lens, 1:1"
    )
    parts.append(f"{'An' if kind == 'image' else 'A'} {kind} prompt you could try: “{subject}, {style}”.")
    return " ".join(parts)


def describe_image(image: ReferenceImage) -> tuple[str, str]:
    """('768x432 pixels, mostly cyan (#28c8ff)', 'cyan'), from the bytes themselves."""
    try:
        with Image.open(io.BytesIO(image.data)) as img:
            width, height = img.size
            small = img.convert("RGB").resize((48, 48))
    except (OSError, ValueError, Image.DecompressionBombError):
        return "an image I could not read", ""
    quantized = small.quantize(colors=6)
    counts = quantized.getcolors() or [(1, 0)]
    index = int(max(counts)[1])  # type: ignore[call-overload]
    palette = quantized.getpalette() or [0, 0, 0]
    r, g, b = palette[index * 3: index * 3 + 3]
    name = min(_COLOURS, key=lambda n: sum((a - c) ** 2 for a, c in zip(_COLOURS[n], (r, g, b), strict=True)))
    return f"{width}x{height} pixels, mostly {name} (#{r:02x}{g:02x}{b:02x})", name


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,.;:") + "…"


def title_for(message: str) -> str:
    """The conversation's title: the first message's first ~60 characters, on a word boundary."""
    return _clip(" ".join(message.split()), TITLE_CHARS)


# ---- storage ----------------------------------------------------------------------


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
        self._db = db

    def create(self, *, user_id: str, title: str) -> dict[str, Any]:
        now = clock.now()
        doc = {"_id": new_id(), "user_id": user_id, "title": title, "created_at": now, "updated_at": now}
        self._db.conversations.insert_one(doc)
        return doc

    def get_owned(self, conversation_id: str, user_id: str) -> dict[str, Any]:
        doc = (
            self._db.conversations.find_one({"_id": conversation_id, "user_id": user_id})
            if len(conversation_id) <= 64 else None
        )
        if doc is None:
            raise NotFound("Conversation not found.")
        return doc

    def touch(self, conversation_id: str) -> bool:
        """Mark the conversation active now; False when it was deleted meanwhile."""
        result = self._db.conversations.update_one({"_id": conversation_id}, {"$set": {"updated_at": clock.now()}})
        return result.matched_count == 1

    def page(self, *, user_id: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        query: dict[str, Any] = {"user_id": user_id}
        if cursor:
            at, last_id = _decode_cursor(cursor)
            query["$or"] = [{"updated_at": {"$lt": at}}, {"updated_at": at, "_id": {"$lt": last_id}}]
        docs = list(self._db.conversations.find(query, sort=[("updated_at", -1), ("_id", -1)], limit=limit + 1))
        more = len(docs) > limit
        docs = docs[:limit]
        return docs, (_encode_cursor(docs[-1]["updated_at"], docs[-1]["_id"]) if more and docs else None)

    def delete(self, conversation_id: str) -> None:
        # The conversation first: it disappears at once; its messages follow.
        self._db.conversations.delete_one({"_id": conversation_id})
        self._db.messages.delete_many({"conversation_id": conversation_id})

    def insert_message(self, doc: dict[str, Any]) -> dict[str, Any]:
        self._db.messages.insert_one(doc)
        return doc

    def update_message(self, message_id: str, fields: dict[str, Any]) -> None:
        self._db.messages.update_one({"_id": message_id}, {"$set": fields})

    def delete_message(self, message_id: str) -> None:
        self._db.messages.delete_one({"_id": message_id})

    def messages(self, conversation_id: str, *, last: int) -> list[dict[str, Any]]:
        """The conversation's last `last` messages, oldest first."""
        docs = list(self._db.messages.find(
            {"conversation_id": conversation_id}, sort=[("created_at", -1), ("_id", -1)], limit=last
        ))
        return docs[::-1]


# ---- one turn: a user message and its reply ------------------------------------------


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
        chat: ChatService,
        provider: ChatProvider,
        conversation_id: str,
        user_message: dict[str, Any],
        charge: Charge,
        history: list[tuple[str, str]],
        message: str,
        attachments: list[ReferenceImage],
    ) -> None:
        self.conversation_id = conversation_id
        self._chat = chat
        self._provider = provider
        self._user_message = user_message
        self._charge = charge
        self._history = history
        self._message = message
        self._attachments = attachments
        self._text: list[str] = []
        self._reply: dict[str, Any] | None = None
        self._finished = False
        self._lock = threading.RLock()
        self._last_checkpoint = 0.0
        self._pump: _Pump | None = None

    @property
    def _log(self) -> dict[str, Any]:
        return {"user_id": self._user_message["user_id"], "conversation_id": self.conversation_id,
                "message_id": self._user_message["_id"], "provider": self._provider.name}

    def _produce(self) -> Iterator[str]:
        return iter(self._provider.stream_reply(self._history, self._message, self._attachments))

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
                item = self._pump.next(self._chat.config.heartbeat_s)
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
                     extra={**self._log, "reply_id": self._reply["_id"], "chars": len("".join(self._text))})

    # ---- persistence -----------------------------------------------------------------

    def _absorb(self, chunk: str) -> bool:
        """Take one piece of the reply; the first one creates the stored assistant message."""
        if not chunk:
            return False
        with self._lock:
            if self._finished:
                return False
            self._text.append(chunk)
            now = time.monotonic()
            if self._reply is None:
                self._reply = self._chat.store.insert_message({
                    "_id": new_id(), "conversation_id": self.conversation_id,
                    "user_id": self._user_message["user_id"], "role": "assistant", "text": chunk,
                    "attachments": [], "partial": True, "reply_to": self._user_message["_id"],
                    "provider": self._provider.name, "created_at": clock.now(),
                })
                self._last_checkpoint = now
            elif now - self._last_checkpoint >= self._chat.config.checkpoint_s:
                self._chat.store.update_message(self._reply["_id"], {"text": "".join(self._text)})
                self._last_checkpoint = now
            return True

    def _succeeded(self) -> ChatMessage:
        with self._lock:
            if self._reply is None:
                raise self._failed(ProviderUnavailable("The assistant returned an empty reply. Please try again."))
            self._finished = True
            reply = self._save_reply(partial=False)
        log.info("chat reply stored", extra={**self._log, "reply_id": reply["_id"], "chars": len(reply["text"])})
        return self._chat.present(reply)

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
                self._chat.store.update_message(self._user_message["_id"], {"error": {"code": error.code, "message": error.message}})
                log.warning("chat reply failed before any text: %s", error.code, extra=self._log)
            else:
                self._save_reply(partial=True)
                log.warning("chat reply failed mid-way: %s; partial reply kept", error.code, extra=self._log)
        return error

    def _save_reply(self, *, partial: bool) -> dict[str, Any]:
        assert self._reply is not None
        self._reply.update(text="".join(self._text), partial=partial)
        self._chat.store.update_message(self._reply["_id"], {"text": self._reply["text"], "partial": partial})
        if not self._chat.store.touch(self.conversation_id):
            self._chat.store.delete_message(self._reply["_id"])  # the conversation was deleted while it streamed
        return self._reply

    def _refund(self) -> None:
        self._chat.accounting.refund_task(
            user_id=self._user_message["user_id"], kind="chat", task_id=self._user_message["_id"],
            charge=self._charge, created_at=self._user_message["created_at"],
        )


# ---- the service ----------------------------------------------------------------------


class ChatService:
    def __init__(
        self,
        *,
        store: ConversationStore,
        accounting: Accounting,
        storage: StorageService,
        signer: MediaSigner,
        api_key: Callable[[], str | None],
        options: Callable[[], dict[str, Any]],
        config: ChatConfig,
    ) -> None:
        self.store = store
        self.accounting = accounting
        self.config = config
        self._storage = storage
        self._signer = signer
        self._api_key = api_key
        self._options = options  # chat_provider, chat_model, gemini_base_url; may change at run time
        self._providers: dict[tuple[str, str, str], ChatProvider] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_services(cls, svc: Services) -> ChatService:
        s = svc.settings

        # The sim streams at ~20 ms a word, except when the stack makes simulations instant (tests).
        delay = s.CHAT_SIM_DELAY_S if s.CHAT_SIM_DELAY_S is not None else (0.02 if s.SIM_DURATION_S > 0 else 0.0)
        return cls(
            store=ConversationStore(svc.db), accounting=svc.accounting, storage=svc.storage, signer=svc.signer,
            api_key=lambda: svc.secrets.get(GEMINI_API_KEY), options=svc.provider_options,
            config=ChatConfig(sim_chunk_delay_s=delay, max_attachment_bytes=s.MAX_UPLOAD_BYTES),
        )

    # ---- providers -------------------------------------------------------------------

    def provider(self) -> ChatProvider:
        """The configured chat provider, built once per (provider, model, base URL)."""
        opts = self._options()
        name = str(opts.get("chat_provider") or "sim")
        if name not in CHAT_PROVIDERS:
            log.warning("unknown chat provider %r; using sim", name)
            name = "sim"
        model = str(opts.get("chat_model") or DEFAULT_CHAT_MODEL) if name == "gemini" else ""
        base_url = str(opts.get("gemini_base_url") or "") if name == "gemini" else ""
        key = (name, model, base_url)
        with self._lock:
            if key not in self._providers:
                self._providers[key] = self._build(name, model=model, base_url=base_url)
            return self._providers[key]

    def _build(self, name: str, *, model: str, base_url: str) -> ChatProvider:
        if name == "gemini":
            from common.providers.gemini import GeminiChat

            return GeminiChat(api_key=self._api_key, base_url=base_url or None, model=model)  # type: ignore[no-any-return]
        return SimChat(chunk_delay_s=self.config.sim_chunk_delay_s)

    # ---- a new message ---------------------------------------------------------------

    def start_turn(self, *, user_id: str, body: ChatRequest) -> Turn:
        """Check, charge and store the user's message; the returned Turn calls the model."""
        conversation = self.store.get_owned(body.conversation_id, user_id) if body.conversation_id else None
        names = [self._signer.verify_url(url, owner=user_id).name for url in body.attachments]
        images = [self._load(name) for name in names]
        provider = self.provider()
        history = (
            [(m["role"], m["text"]) for m in self.store.messages(conversation["_id"], last=self.config.history_messages)
             if m.get("text")]
            if conversation else []
        )
        message_id = new_id()
        charge = self.accounting.charge_for_task(user_id=user_id, kind="chat", task_id=message_id)
        now = clock.now()
        try:
            if conversation is None:
                conversation = self.store.create(user_id=user_id, title=title_for(body.message))
            user_message = self.store.insert_message({
                "_id": message_id, "conversation_id": conversation["_id"], "user_id": user_id, "role": "user",
                "text": body.message, "attachments": names, "partial": False, "created_at": now,
                "charge": {"credits": charge.credits, "from_quota": charge.from_quota},
            })
            self.store.touch(conversation["_id"])
        except Exception:
            self.accounting.refund_task(user_id=user_id, kind="chat", task_id=message_id, charge=charge, created_at=now)
            raise
        log.info("chat message stored", extra={"user_id": user_id, "conversation_id": conversation["_id"],
                                               "message_id": message_id, "attachments": len(names)})
        return Turn(chat=self, provider=provider, conversation_id=conversation["_id"], user_message=user_message,
                    charge=charge, history=history, message=body.message, attachments=images)

    def _load(self, name: str) -> ReferenceImage:
        info = self._storage.stat(name)
        if not info.content_type.startswith("image/"):
            raise UnsupportedMediaType("Only images can be attached (PNG, JPEG or WebP).")
        limit = self.config.max_attachment_bytes
        if info.size > limit:
            raise PayloadTooLarge(f"Attachments can be at most {limit // (1024 * 1024)} MB.", details={"max_bytes": limit})
        return ReferenceImage(data=self._storage.read_bytes(name, max_bytes=limit), mime_type=info.content_type)

    # ---- reading and deleting --------------------------------------------------------

    def present(self, doc: dict[str, Any]) -> ChatMessage:
        """The API shape of a stored message; attachment URLs are signed now (key rotation re-signs them)."""
        return ChatMessage(
            id=doc["_id"], role=doc["role"], text=doc["text"],
            attachments=[self._signer.url_for(n) for n in doc.get("attachments") or []],
            partial=bool(doc.get("partial")), created_at=clock.as_utc(doc["created_at"]),
        )

    def page(self, *, user_id: str, limit: int, cursor: str | None) -> ChatList:
        docs, next_cursor = self.store.page(user_id=user_id, limit=limit, cursor=cursor)
        items = [ChatSummary(id=d["_id"], title=d["title"], updated_at=clock.as_utc(d["updated_at"])) for d in docs]
        return ChatList(items=items, next_cursor=next_cursor)

    def conversation(self, *, user_id: str, conversation_id: str) -> ChatConversation:
        doc = self.store.get_owned(conversation_id, user_id)
        messages = self.store.messages(doc["_id"], last=MAX_MESSAGES_SHOWN)
        return ChatConversation(id=doc["_id"], title=doc["title"], messages=[self.present(m) for m in messages])

    def delete(self, *, user_id: str, conversation_id: str) -> None:
        self.store.delete(self.store.get_owned(conversation_id, user_id)["_id"])
