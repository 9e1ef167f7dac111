"""`ChatService` and `Turn` on the in-memory conversation store, at a frozen instant, with the `sim` assistant and a
scripted one: every persistence rule of docs/chat.md, without HTTP.

Money is the real `Accounting` over the in-memory ledger (tests/fakes/memory/money.py, held to the same contract
as the MongoDB adapter), so "refunded exactly once" is read from the ledger entries the accounting rules write.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from common.accounting import Accounting, Pricing
from common.chat import HEARTBEAT, ChatConfig, ChatEvent, ChatService, Turn, sim_reply
from common.clock import FrozenClock, day_key
from common.errors import (
    AppError,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    PaymentRequired,
    UnsupportedMediaType,
)
from common.media import MediaSigner
from common.models.chat import ChatRegenerateRequest, ChatRequest, MessageDocument, StoredCharge
from common.providers.base import InvalidProviderRequest, ProviderUnavailable, ReferenceImage, SafetyRefusal
from common.providers.sim_chat import SimChat
from tests.fakes.media import png_bytes
from tests.fakes.memory.chat import MemoryConversationStore
from tests.fakes.memory.money import MemoryLedgerStore
from tests.fakes.memory.storage import MemoryStorage

T0 = datetime(2026, 6, 4, 10, 0, 0, tzinfo=UTC)
WAIT_S = 5.0  # the longest any condition below may take before the test fails
STARTING_CREDITS = 5


# ---- the scripted assistant ------------------------------------------------------------------


class Gate:
    """A step of a script that blocks the model until the test opens it (the model is "thinking")."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.opened = threading.Event()

    def open(self) -> None:
        """Let the model go on."""
        self.opened.set()


@dataclass
class ScriptedChat:
    """A `ChatProvider` that plays `script`: a str is yielded, an exception raised, a Gate waited on, a callable
    called (to move the clock or look at the store between chunks). `fail_at_call` raises before any iteration."""

    script: list[Any] = field(default_factory=list)
    fail_at_call: Exception | None = None
    name: str = "scripted"
    calls: list[tuple[list[tuple[str, str]], str, list[ReferenceImage]]] = field(default_factory=list)
    closed: threading.Event = field(default_factory=threading.Event)

    def stream_text(self, history: Sequence[tuple[str, str]], message: str,
                    attachments: Sequence[ReferenceImage] = ()) -> Iterator[str]:
        """Record the call, then play the script."""
        self.calls.append((list(history), message, list(attachments)))
        if self.fail_at_call is not None:
            raise self.fail_at_call
        return self._play()

    def _play(self) -> Iterator[str]:
        try:
            for step in self.script:
                if isinstance(step, str):
                    yield step
                elif isinstance(step, BaseException):
                    raise step
                elif isinstance(step, Gate):
                    step.reached.set()
                    if not step.opened.wait(WAIT_S):
                        raise AssertionError(f"the test never opened the gate within {WAIT_S} s")
                else:
                    step()
        finally:
            self.closed.set()


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Return once `condition()` holds; fail the test if it does not within WAIT_S."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {WAIT_S} s for: {what}")
        time.sleep(0.002)


def drain(events: Iterator[ChatEvent]) -> list[ChatEvent]:
    """Every event of a stream, heartbeats left out; fails if the stream has not ended within WAIT_S."""
    deadline = time.monotonic() + WAIT_S
    out = []
    for event in events:  # heartbeats come every heartbeat_s (50 ms here), so the deadline is checked often
        if event is not HEARTBEAT:
            out.append(event)
        if time.monotonic() > deadline:
            raise AssertionError(f"the stream did not end within {WAIT_S} s; so far: {out}")
    return out


def next_event(events: Iterator[ChatEvent]) -> ChatEvent:
    """The next event that is not a heartbeat; fails after WAIT_S."""
    deadline = time.monotonic() + WAIT_S
    while True:
        event = next(events)
        if event is not HEARTBEAT:
            return event
        if time.monotonic() > deadline:
            raise AssertionError(f"no event within {WAIT_S} s")


# ---- the world of one test -------------------------------------------------------------------


@dataclass
class World:
    """A ChatService over the fake conversation store, the real Accounting on the fake ledger, a frozen clock."""

    clock: FrozenClock
    store: MemoryConversationStore
    ledger_store: MemoryLedgerStore
    storage: MemoryStorage
    signer: MediaSigner
    provider: Any
    chat: ChatService

    def credits(self, user_id: str = "alice") -> int:
        """The user's balance now."""
        state = self.ledger_store.credit_state(user_id)
        assert state is not None
        return state.credits

    def ledger(self, prefix: str) -> list[dict[str, Any]]:
        """Ledger entries whose key starts with `prefix` ("charge:", "refund:"), oldest first."""
        return [doc for _, doc in self.ledger_store.ledger if str(doc["key"]).startswith(prefix)]

    def messages(self, conversation_id: str) -> list[MessageDocument]:
        """The conversation's stored messages, oldest first."""
        return self.store.messages(conversation_id, last=1000)

    def send(self, text: str = "A video idea about rain", user_id: str = "alice", **body: Any) -> Turn:
        """Start a turn for `text`."""
        return self.chat.start_turn(user_id=user_id, body=ChatRequest(message=text, **body))

    def set_credits(self, user_id: str, credits: int) -> None:
        """Set a balance directly (as an admin adjustment would)."""
        self.ledger_store.users[user_id]["credits"] = credits


@pytest.fixture
def world() -> World:
    clock = FrozenClock(T0)
    ledger_store = MemoryLedgerStore()
    for user_id in ("alice", "bob"):
        ledger_store.add_user(user_id, credits=STARTING_CREDITS)
    # No free chat quota: every message costs one credit, so a charge and a refund show in the balance.
    accounting = Accounting(store=ledger_store, pricing=lambda: Pricing(quotas={"chat": 0}, costs={"chat": 1}), clock=clock)
    store = MemoryConversationStore(clock=clock)
    storage = MemoryStorage()
    signer = MediaSigner(bucket="media", keys=lambda: ["media-key-0123456789abcdef0123456789"])
    w = World(clock=clock, store=store, ledger_store=ledger_store, storage=storage, signer=signer,
              provider=SimChat(chunk_delay_s=0), chat=None)  # type: ignore[arg-type]
    w.chat = ChatService(store=store, accounting=accounting, storage=storage, signer=signer,  # type: ignore[arg-type]
                         provider=lambda: w.provider, config=ChatConfig(heartbeat_s=0.05), clock=clock)
    return w


# ---- a reply that completes ------------------------------------------------------------------


def test_complete_stores_the_reply_and_returns_it_as_stored(world: World) -> None:
    turn = world.send("A video idea about rain")
    answer = turn.complete()

    user, reply = world.messages(turn.conversation_id)
    assert reply.text == sim_reply([], "A video idea about rain", []) and reply.text
    assert (reply.role, reply.partial, reply.reply_to, reply.provider, reply.created_at) == ("assistant", False, user.id, "sim", T0)
    assert (user.role, user.text, user.charge and user.charge.credits, user.error) == ("user", "A video idea about rain", 1, None)
    assert answer.conversation_id == turn.conversation_id
    assert answer.message == world.chat.present(reply)
    assert world.credits() == STARTING_CREDITS - 1
    assert world.ledger("refund:") == []
    conversation = world.store.get_owned(turn.conversation_id, "alice")
    assert (conversation.title, conversation.updated_at) == ("A video idea about rain", T0)


def test_events_stream_the_chunks_then_done_naming_the_stored_reply(world: World) -> None:
    world.provider = ScriptedChat(["Hel", "", "lo ", "world"])
    turn = world.send()
    events = drain(turn.events())

    names = [e.name for e in events]
    assert names == ["delta", "delta", "delta", "done"]  # the empty chunk is not an event
    (reply,) = [m for m in world.messages(turn.conversation_id) if m.role == "assistant"]
    assert "".join(e.data.text for e in events[:-1]) == reply.text == "Hello world"  # type: ignore[union-attr]
    assert events[-1].data.model_dump() == {"conversation_id": turn.conversation_id, "message_id": reply.id}  # type: ignore[union-attr]
    assert reply.partial is False
    assert world.credits() == STARTING_CREDITS - 1


def test_a_second_message_carries_the_first_exchange_as_history(world: World) -> None:
    first = world.send("first question")
    first.complete()
    world.provider = ScriptedChat(["ok"])
    world.send("second question", conversation_id=first.conversation_id).complete()
    history, message, _ = world.provider.calls[0]
    first_reply = world.messages(first.conversation_id)[1].text
    assert history == [("user", "first question"), ("assistant", first_reply)]
    assert message == "second question"


def test_history_sent_to_the_model_is_the_last_n_messages(world: World) -> None:
    world.chat.config = ChatConfig(heartbeat_s=0.05, history_messages=3)
    conversation_id = None
    for i in range(3):
        world.provider = ScriptedChat([f"answer {i}"])
        turn = world.send(f"question {i}", conversation_id=conversation_id)
        turn.complete()
        conversation_id = turn.conversation_id
        world.clock.advance(1)
    world.provider = ScriptedChat(["answer 3"])
    world.send("question 3", conversation_id=conversation_id).complete()
    history, _, _ = world.provider.calls[0]
    assert history == [("assistant", "answer 1"), ("user", "question 2"), ("assistant", "answer 2")]


def test_a_streaming_reply_is_checkpointed_at_most_once_per_checkpoint_interval_of_the_clock(world: World) -> None:
    seen: list[tuple[str, bool]] = []

    def look() -> None:
        (reply,) = [m for m in world.store.messages_by_id.values() if m.role == "assistant"]
        seen.append((reply.text, reply.partial))

    world.provider = ScriptedChat(["Hel", look, "lo", look, lambda: world.clock.advance(1.0), " world", look, "!"])
    world.chat.config = ChatConfig(heartbeat_s=0.05, checkpoint_s=1.0)
    turn = world.send()
    turn.complete()
    # Stored with the first chunk; not rewritten until a second of the clock has passed; then the text so far.
    assert seen == [("Hel", True), ("Hel", True), ("Hello world", True)]
    assert [m.text for m in world.messages(turn.conversation_id)][-1] == "Hello world!"


# ---- a model that fails ----------------------------------------------------------------------

FAILURES = [
    (ProviderUnavailable(), 503, "provider_unavailable"),
    (SafetyRefusal(), 400, "safety_refusal"),
    (InvalidProviderRequest(), 400, "invalid_request"),
    (RuntimeError("boom: internal detail"), 500, "internal"),
]


@pytest.mark.parametrize("at_call", [True, False], ids=["at-the-call", "while-iterating"])
@pytest.mark.parametrize(("error", "status", "code"), FAILURES, ids=[f[2] for f in FAILURES])
def test_a_model_failing_before_any_text_refunds_once_and_stores_no_reply(
    world: World, error: Exception, status: int, code: str, at_call: bool
) -> None:
    world.provider = ScriptedChat(fail_at_call=error) if at_call else ScriptedChat([error])
    turn = world.send()
    with pytest.raises(AppError) as info:
        turn.complete()

    assert (info.value.status, info.value.code) == (status, code)
    assert info.value.details["conversation_id"] == turn.conversation_id
    assert "internal detail" not in info.value.message
    (user,) = world.messages(turn.conversation_id)  # the user's message stays; no reply, not even an empty one
    assert user.role == "user"
    assert user.error is not None and user.error.code == code
    turn.close()  # the response ending afterwards gives nothing back a second time
    assert world.credits() == STARTING_CREDITS
    assert [e["key"] for e in world.ledger("refund:")] == [f"refund:{user.id}"]


def test_a_stream_failing_before_any_text_ends_with_one_error_event_and_refunds_once(world: World) -> None:
    world.provider = ScriptedChat([ProviderUnavailable()])
    turn = world.send()
    events = drain(turn.events())
    turn.close()  # the HTTP layer closes the turn again when the response ends

    assert [(e.name, e.data.model_dump()) for e in events] == [  # type: ignore[union-attr]
        ("error", {"code": "provider_unavailable", "message": ProviderUnavailable.user_message,
                   "conversation_id": turn.conversation_id})]
    assert [m.role for m in world.messages(turn.conversation_id)] == ["user"]
    assert world.credits() == STARTING_CREDITS
    assert len(world.ledger("refund:")) == 1


def test_an_empty_reply_is_provider_unavailable_and_refunded(world: World) -> None:
    world.provider = ScriptedChat(["", ""])
    turn = world.send()
    with pytest.raises(AppError) as info:
        turn.complete()
    assert info.value.code == "provider_unavailable"
    assert [m.role for m in world.messages(turn.conversation_id)] == ["user"]
    assert world.credits() == STARTING_CREDITS


def test_a_failure_mid_stream_keeps_the_partial_reply_and_keeps_the_charge(world: World) -> None:
    world.provider = ScriptedChat(["Hel", "lo", ProviderUnavailable()])
    turn = world.send()
    events = drain(turn.events())

    assert [e.name for e in events] == ["delta", "delta", "error"]
    reply = world.messages(turn.conversation_id)[-1]
    assert (reply.role, reply.text, reply.partial) == ("assistant", "Hello", True)
    assert world.credits() == STARTING_CREDITS - 1
    assert world.ledger("refund:") == []


def test_a_failure_mid_reply_in_json_keeps_the_partial_reply(world: World) -> None:
    world.provider = ScriptedChat(["Hel", SafetyRefusal()])
    turn = world.send()
    with pytest.raises(AppError) as info:
        turn.complete()
    assert info.value.code == "safety_refusal"
    reply = world.messages(turn.conversation_id)[-1]
    assert (reply.text, reply.partial) == ("Hel", True)
    assert world.credits() == STARTING_CREDITS - 1


# ---- the client goes away --------------------------------------------------------------------


def test_a_client_leaving_mid_stream_keeps_the_text_so_far_as_partial_and_stops_the_model(world: World) -> None:
    gate, read_on = Gate(), threading.Event()
    # No checkpoint falls due (frozen clock): only the close can store "there ", which the client never read.
    world.provider = ScriptedChat(["Hello ", "there ", gate, "never stored", read_on.set])
    turn = world.send()
    events = turn.events()
    first = next_event(events)
    assert (first.name, first.data.text) == ("delta", "Hello ")  # type: ignore[union-attr]
    wait_for(gate.reached.is_set, "the model to pause after its second chunk")
    assert world.messages(turn.conversation_id)[-1].text == "Hello "

    events.close()  # what the HTTP layer does when the client goes away (contextlib.closing)
    turn.close()  # and the response's call_on_close
    gate.open()
    wait_for(world.provider.closed.is_set, "the model's stream to be closed")

    reply = world.messages(turn.conversation_id)[-1]
    assert (reply.role, reply.text, reply.partial) == ("assistant", "Hello there ", True)
    assert not read_on.is_set()  # the model was not read past the chunk in flight
    assert world.credits() == STARTING_CREDITS - 1  # text was produced: no refund
    assert world.ledger("refund:") == []


def test_a_client_leaving_before_any_text_is_refunded_once(world: World) -> None:
    gate = Gate()
    world.provider = ScriptedChat([gate, "too late"])
    turn = world.send()
    events = turn.events()
    assert next(events) is HEARTBEAT  # the model is silent: a keep-alive comes first
    wait_for(gate.reached.is_set, "the model to start")
    events.close()
    turn.close()
    gate.open()
    wait_for(world.provider.closed.is_set, "the model's stream to be closed")

    assert [m.role for m in world.messages(turn.conversation_id)] == ["user"]
    assert world.credits() == STARTING_CREDITS
    assert len(world.ledger("refund:")) == 1


def test_heartbeats_flow_while_the_model_is_silent_then_the_reply_arrives(world: World) -> None:
    gate = Gate()
    world.provider = ScriptedChat([gate, "late answer"])
    turn = world.send()
    events = turn.events()
    assert [next(events), next(events)] == [HEARTBEAT, HEARTBEAT]
    gate.open()
    assert [e.name for e in drain(events)] == ["delta", "done"]


def test_a_conversation_deleted_while_the_reply_streams_drops_the_reply(world: World) -> None:
    gate = Gate()
    world.provider = ScriptedChat([gate, "Hel", "lo"])
    turn = world.send()
    events = turn.events()
    assert next(events) is HEARTBEAT  # the stream has started; the model is silent
    wait_for(gate.reached.is_set, "the model to start")
    world.chat.delete(user_id="alice", conversation_id=turn.conversation_id)
    gate.open()  # the reply's first text arrives after the deletion
    assert [e.name for e in drain(events)] == ["delta", "delta", "done"]
    assert world.store.messages_by_id == {}
    assert world.store.conversations == {}


# ---- regenerate ------------------------------------------------------------------------------


def test_regenerate_replaces_the_last_reply_and_is_charged_like_a_message(world: World) -> None:
    world.provider = ScriptedChat(["first answer"])
    turn = world.send("question")
    turn.complete()
    user, old = world.messages(turn.conversation_id)

    world.clock.advance(5)
    world.provider = ScriptedChat(["second answer"])
    again = world.chat.start_regenerate(user_id="alice", body=ChatRegenerateRequest(conversation_id=turn.conversation_id))
    answer = again.complete()

    assert [(m.role, m.text) for m in world.messages(turn.conversation_id)] == [("user", "question"), ("assistant", "second answer")]
    assert answer.message.id != old.id and world.messages(turn.conversation_id)[1].reply_to == user.id
    history, message, _ = world.provider.calls[0]
    assert (history, message) == ([], "question")  # answered from the history before the question
    assert world.credits() == STARTING_CREDITS - 2
    assert len(world.ledger("charge:")) == 2


def test_regenerate_sends_at_most_the_history_limit_before_the_question(world: World) -> None:
    world.chat.config = ChatConfig(heartbeat_s=0.05, history_messages=3)
    conversation_id = None
    for i, script in enumerate([["a0"], ["a1"], [ProviderUnavailable()]]):  # the last question got no answer
        world.provider = ScriptedChat(script)
        turn = world.send(f"q{i}", conversation_id=conversation_id)
        conversation_id = turn.conversation_id
        with pytest.raises(AppError) if i == 2 else nullcontext():
            turn.complete()
        world.clock.advance(1)
    assert conversation_id is not None
    world.provider = ScriptedChat(["a2"])
    world.chat.start_regenerate(user_id="alice", body=ChatRegenerateRequest(conversation_id=conversation_id)).complete()
    history, message, _ = world.provider.calls[0]
    assert (history, message) == ([("assistant", "a0"), ("user", "q1"), ("assistant", "a1")], "q2")
    assert [m.text for m in world.messages(conversation_id)] == ["q0", "a0", "q1", "a1", "q2", "a2"]


def test_regenerate_failing_before_text_keeps_the_old_reply_and_refunds(world: World) -> None:
    world.provider = ScriptedChat(["first answer"])
    turn = world.send("question")
    turn.complete()
    world.provider = ScriptedChat([ProviderUnavailable()])
    again = world.chat.start_regenerate(user_id="alice", body=ChatRegenerateRequest(conversation_id=turn.conversation_id))
    assert [e.name for e in drain(again.events())] == ["error"]
    assert [m.text for m in world.messages(turn.conversation_id)] == ["question", "first answer"]
    assert world.credits() == STARTING_CREDITS - 1


def test_regenerate_refuses_someone_elses_conversation_and_one_without_a_question(world: World) -> None:
    turn = world.send("question")
    turn.complete()
    with pytest.raises(NotFound):
        world.chat.start_regenerate(user_id="bob", body=ChatRegenerateRequest(conversation_id=turn.conversation_id))
    empty = world.store.create(user_id="alice", title="empty")
    with pytest.raises(Conflict):
        world.chat.start_regenerate(user_id="alice", body=ChatRegenerateRequest(conversation_id=empty.id))
    assert world.credits() == STARTING_CREDITS - 1  # neither refusal charged


# ---- what is checked before anything is charged or stored ------------------------------------


def test_an_own_image_is_handed_to_the_model_and_stored_as_its_object_name(world: World) -> None:
    name = "uploads/alice/cat.png"
    world.storage.objects[name] = (png_bytes(8, 6), "image/png")
    world.provider = ScriptedChat(["nice"])
    turn = world.send("describe this", attachments=[world.signer.url_for(name)])
    turn.complete()

    _, _, images = world.provider.calls[0]
    assert images == [ReferenceImage(data=png_bytes(8, 6), mime_type="image/png")]
    user = world.messages(turn.conversation_id)[0]
    assert user.attachments == [name]
    shown = world.chat.conversation(user_id="alice", conversation_id=turn.conversation_id).messages[0].attachments
    assert [world.signer.verify_url(url, owner="alice").name for url in shown] == [name]


@pytest.mark.parametrize(("owner", "content_type", "size", "error"), [
    ("bob", "image/png", 100, Forbidden),
    ("alice", "video/mp4", 100, UnsupportedMediaType),
    ("alice", "image/png", 2_000, PayloadTooLarge),
])
def test_a_refused_attachment_charges_and_stores_nothing(
    world: World, owner: str, content_type: str, size: int, error: type[AppError]
) -> None:
    world.chat.config = ChatConfig(heartbeat_s=0.05, max_attachment_bytes=1_000)
    name = f"uploads/{owner}/thing.bin"
    world.storage.objects[name] = (b"x" * size, content_type)
    with pytest.raises(error):
        world.send("look", attachments=[world.signer.url_for(name)])
    assert world.store.conversations == {} and world.store.messages_by_id == {}
    assert world.credits() == STARTING_CREDITS


def test_no_quota_and_no_credits_is_payment_required_and_stores_nothing(world: World) -> None:
    world.set_credits("alice", 0)
    with pytest.raises(PaymentRequired):
        world.send()
    assert world.store.conversations == {} and world.store.messages_by_id == {}


def test_someone_elses_conversation_is_not_found_and_nothing_is_charged(world: World) -> None:
    turn = world.send("mine")
    turn.complete()
    with pytest.raises(NotFound):
        world.send("intruding", user_id="bob", conversation_id=turn.conversation_id)
    with pytest.raises(NotFound):
        world.chat.conversation(user_id="bob", conversation_id=turn.conversation_id)
    with pytest.raises(NotFound):
        world.chat.delete(user_id="bob", conversation_id=turn.conversation_id)
    assert world.credits("bob") == STARTING_CREDITS
    assert len(world.messages(turn.conversation_id)) == 2


# ---- reading -------------------------------------------------------------------------------


def test_the_list_moves_a_conversation_with_a_new_message_to_the_top(world: World) -> None:
    older = world.send("older")
    older.complete()
    world.clock.advance(1)
    newer = world.send("newer")
    newer.complete()
    assert [c.id for c in world.chat.page(user_id="alice", limit=10, cursor=None).items] == [newer.conversation_id, older.conversation_id]
    world.clock.advance(1)
    world.send("again", conversation_id=older.conversation_id).complete()
    page = world.chat.page(user_id="alice", limit=1, cursor=None)
    assert [c.id for c in page.items] == [older.conversation_id] and page.next_cursor
    assert page.items[0].updated_at == world.clock.now()
    assert world.chat.page(user_id="bob", limit=10, cursor=None).items == []


def test_a_message_uses_a_quota_unit_first_and_a_failure_gives_that_unit_back(world: World) -> None:
    world.chat.accounting = Accounting(store=world.ledger_store, clock=world.clock,
                                       pricing=lambda: Pricing(quotas={"chat": 1}, costs={"chat": 1}))
    day = day_key(T0)
    world.provider = ScriptedChat([ProviderUnavailable()])
    failed = world.send("first")
    with pytest.raises(AppError):
        failed.complete()
    assert world.ledger_store.quota_used(user_id="alice", kind="chat", day=day) == 0
    world.provider = ScriptedChat(["ok"])
    world.send("second").complete()
    assert world.ledger_store.quota_used(user_id="alice", kind="chat", day=day) == 1
    assert world.messages(failed.conversation_id)[0].charge == StoredCharge(credits=0, from_quota=True)
    assert world.credits() == STARTING_CREDITS  # the quota paid; no credit moved
