"""Contract of `ConversationStore` (common/chat/ports.py): the in-memory fake and the MongoDB adapter keep the same
promises. Every document either store holds at the end of a test is validated against the document models."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from common.chat.ports import ConversationStore, encode_cursor, new_id
from common.chat.store import MongoConversationStore
from common.clock import FrozenClock
from common.db import Database
from common.errors import InvalidRequest, NotFound
from common.models.chat import ConversationDocument, MessageDocument, MessageError, StoredCharge
from tests.contract.conftest import assert_stored
from tests.fakes.memory.chat import MemoryConversationStore

T0 = datetime(2026, 6, 4, 10, 0, 0, tzinfo=UTC)


@dataclass
class Subject:
    """A store under test, its clock, and what it holds as raw documents (what a database would)."""

    store: ConversationStore
    clock: FrozenClock
    raw: Callable[[], tuple[list[dict[str, Any]], list[dict[str, Any]]]]


@pytest.fixture(params=["memory", "mongo"])
def subject(request: pytest.FixtureRequest) -> Iterator[Subject]:
    """The fake or the MongoDB adapter at a frozen instant; afterwards every stored document must validate."""
    clock = FrozenClock(T0)
    if request.param == "memory":
        fake = MemoryConversationStore(clock=clock)
        subject = Subject(fake, clock, lambda: ([d.to_document() for d in fake.conversations.values()],
                                                [m.to_document() for m in fake.messages_by_id.values()]))
    else:
        db: Database = request.getfixturevalue("mongo_db")
        subject = Subject(MongoConversationStore(db, clock=clock), clock,
                          lambda: (list(db.conversations.find({})), list(db.messages.find({}))))
    yield subject
    conversations, messages = subject.raw()
    for model, docs in ((ConversationDocument, conversations), (MessageDocument, messages)):
        for doc in docs:
            assert_stored(model, doc)


def message(conversation: ConversationDocument, *, at: datetime, text: str = "hello", role: str = "user",
            **fields: Any) -> MessageDocument:
    """A message of `conversation` created at `at`."""
    return MessageDocument(id=fields.pop("id", None) or new_id(), conversation_id=conversation.id,
                           user_id=conversation.user_id, role=role, text=text, created_at=at, **fields)


# ---- conversations ---------------------------------------------------------------------------


def test_a_created_conversation_is_read_back_by_its_owner_only(subject: Subject) -> None:
    store = subject.store
    made = store.create(user_id="alice", title="Rain")
    assert (made.user_id, made.title, made.created_at, made.updated_at) == ("alice", "Rain", T0, T0)
    assert store.get_owned(made.id, "alice") == made
    for conversation_id, user_id in [(made.id, "bob"), (new_id(), "alice"), ("not-an-id", "alice"), ("", "alice"),
                                     ("x" * 300, "alice")]:
        with pytest.raises(NotFound):
            store.get_owned(conversation_id, user_id)


def test_touch_moves_updated_at_to_now_and_is_false_once_deleted(subject: Subject) -> None:
    store, clock = subject.store, subject.clock
    made = store.create(user_id="alice", title="Rain")
    later = clock.advance(90)
    assert store.touch(made.id) is True
    got = store.get_owned(made.id, "alice")
    assert (got.created_at, got.updated_at) == (T0, later)
    store.delete(made.id)
    assert store.touch(made.id) is False
    assert store.touch(new_id()) is False


def _ids(docs: list[ConversationDocument]) -> list[str]:
    return [d.id for d in docs]


def _walk(store: ConversationStore, user_id: str, limit: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        docs, cursor = store.page(user_id=user_id, limit=limit, cursor=cursor)
        pages.append(_ids(docs))
        if cursor is None:
            return pages


def test_pages_are_most_recently_active_first_ties_by_newest_id_and_only_the_owners(subject: Subject) -> None:
    store, clock = subject.store, subject.clock
    made = []
    for i in range(7):
        if i % 2 == 0:
            clock.advance(1)  # pairs share an instant: the id breaks the tie
        made.append(store.create(user_id="alice", title=f"c{i}"))
    store.create(user_id="bob", title="not alice's")
    expected = [d.id for d in sorted(made, key=lambda d: (d.updated_at, d.id), reverse=True)]
    pages = _walk(store, "alice", limit=3)
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [i for page in pages for i in page] == expected
    assert _walk(store, "alice", limit=7) == [expected]  # an exact fit: no empty last page
    assert _walk(store, "carol", limit=3) == [[]]


def test_touching_moves_a_conversation_to_the_top(subject: Subject) -> None:
    store, clock = subject.store, subject.clock
    first = store.create(user_id="alice", title="first")
    clock.advance(1)
    second = store.create(user_id="alice", title="second")
    assert _ids(store.page(user_id="alice", limit=10, cursor=None)[0]) == [second.id, first.id]
    clock.advance(1)
    store.touch(first.id)
    assert _ids(store.page(user_id="alice", limit=10, cursor=None)[0]) == [first.id, second.id]


def test_a_cursor_is_stable_while_conversations_are_created_and_touched(subject: Subject) -> None:
    store, clock = subject.store, subject.clock
    made = []
    for i in range(6):
        clock.advance(1)
        made.append(store.create(user_id="alice", title=f"c{i}"))
    page1, cursor = store.page(user_id="alice", limit=3, cursor=None)
    assert _ids(page1) == [m.id for m in made[:2:-1]]
    clock.advance(1)
    store.create(user_id="alice", title="newer")  # lands above page 1
    store.touch(page1[1].id)  # something already seen moves up: not shown again
    page2, cursor = store.page(user_id="alice", limit=3, cursor=cursor)
    assert _ids(page2) == [m.id for m in made[2::-1]]
    assert cursor is None


def test_a_cursor_the_store_did_not_make_is_invalid_request(subject: Subject) -> None:
    for cursor in ["garbage", "!!!", encode_cursor(T0, "not-an-object-id"), "MjAyNi0wNi0wNA"]:
        with pytest.raises(InvalidRequest) as info:
            subject.store.page(user_id="alice", limit=3, cursor=cursor)
        assert info.value.details["field"] == "cursor"


def test_delete_removes_the_conversation_and_its_messages_only(subject: Subject) -> None:
    store = subject.store
    doomed, kept = store.create(user_id="alice", title="doomed"), store.create(user_id="alice", title="kept")
    store.insert_message(message(doomed, at=T0))
    store.insert_message(message(doomed, at=T0, role="assistant", text="hi"))
    survivor = store.insert_message(message(kept, at=T0))
    store.delete(doomed.id)
    with pytest.raises(NotFound):
        store.get_owned(doomed.id, "alice")
    assert store.messages(doomed.id, last=10) == []
    assert store.messages(kept.id, last=10) == [survivor]
    assert [d["_id"] for d in subject.raw()[1]] == [survivor.id]
    store.delete(doomed.id)  # again: nothing to do, no error


# ---- messages --------------------------------------------------------------------------------


def test_messages_come_back_as_stored_with_every_optional_field(subject: Subject) -> None:
    store = subject.store
    conversation = store.create(user_id="alice", title="t")
    asked = store.insert_message(message(
        conversation, at=T0, attachments=["uploads/alice/a1.png", "media/alice/665f1c2e9b1e8a0001a1b2c3.png"],
        charge=StoredCharge(credits=0, from_quota=True),
    ))
    answered = store.insert_message(message(conversation, at=T0, role="assistant", text="Hi", partial=True,
                                            reply_to=asked.id, provider="sim"))
    assert store.messages(conversation.id, last=10) == sorted([asked, answered], key=lambda m: m.id)


def test_update_message_sets_only_the_given_fields(subject: Subject) -> None:
    store = subject.store
    conversation = store.create(user_id="alice", title="t")
    reply = store.insert_message(message(conversation, at=T0, role="assistant", text="Hel", partial=True))
    store.update_message(reply.id, text="Hello")
    assert store.messages(conversation.id, last=1)[0].model_dump() == reply.model_copy(update={"text": "Hello"}).model_dump()
    store.update_message(reply.id, partial=False)
    (got,) = store.messages(conversation.id, last=1)
    assert (got.text, got.partial, got.error) == ("Hello", False, None)
    store.update_message(reply.id, error=MessageError(code="provider_unavailable", message="Down."))
    assert store.messages(conversation.id, last=1)[0].error == MessageError(code="provider_unavailable", message="Down.")
    store.update_message(new_id(), text="nobody")  # a message that is gone: nothing happens
    store.update_message(reply.id)  # nothing to set
    assert store.messages(conversation.id, last=1)[0].text == "Hello"


def test_delete_message_removes_that_one_message(subject: Subject) -> None:
    store = subject.store
    conversation = store.create(user_id="alice", title="t")
    a = store.insert_message(message(conversation, at=T0, text="a"))
    b = store.insert_message(message(conversation, at=T0, role="assistant", text="b"))
    store.delete_message(b.id)
    store.delete_message(b.id)  # again: nothing
    assert store.messages(conversation.id, last=10) == [a]


def test_messages_last_n_are_the_newest_n_oldest_first(subject: Subject) -> None:
    store, clock = subject.store, subject.clock
    conversation, other = store.create(user_id="alice", title="t"), store.create(user_id="alice", title="o")
    made = []
    for i in range(5):
        made.append(store.insert_message(message(conversation, at=clock.now(), text=f"m{i}")))
        if i != 2:
            clock.advance(0.001)  # m2 and m3 share an instant: the id orders them
    store.insert_message(message(other, at=clock.now(), text="elsewhere"))
    # Inserted out of time order: the order is by created_at, not by insertion.
    early = store.insert_message(message(conversation, at=T0.replace(hour=9), text="early"))
    assert [m.text for m in store.messages(conversation.id, last=3)] == ["m2", "m3", "m4"]
    assert store.messages(conversation.id, last=100) == [early, *made]
    assert store.messages(conversation.id, last=0) == []
    assert store.messages(new_id(), last=10) == []


# ---- the documents themselves ----------------------------------------------------------------


def test_a_message_document_refuses_urls_for_attachments_and_malformed_fields() -> None:
    conversation = ConversationDocument(id=new_id(), user_id="alice", title="t", created_at=T0, updated_at=T0)
    for bad in ({"attachments": ["https://example.com/a.png"]}, {"attachments": ["uploads/alice/../x.png/y"]},
                {"role": "system"}, {"charge": {"credits": -1, "from_quota": False}}):
        with pytest.raises(ValueError):
            message(conversation, at=T0, **bad)


def test_the_mongo_adapter_reads_documents_a_newer_writer_extended(mongo_db: Database) -> None:
    store = MongoConversationStore(mongo_db, clock=FrozenClock(T0))
    conversation = store.create(user_id="alice", title="t")
    mongo_db.conversations.update_one({"_id": conversation.id}, {"$set": {"pinned": True}})
    mongo_db.messages.insert_one({**message(conversation, at=T0).to_document(), "reactions": ["+1"]})
    assert store.get_owned(conversation.id, "alice") == conversation
    assert [m.text for m in store.messages(conversation.id, last=5)] == ["hello"]
    mongo_db.conversations.update_one({"_id": conversation.id}, {"$unset": {"pinned": ""}})
    mongo_db.messages.update_many({}, {"$unset": {"reactions": ""}})
