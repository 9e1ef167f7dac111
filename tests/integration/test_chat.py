"""The chat assistant through the running stack: JSON and SSE answers, persistence, quota, providers."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from common.chat import ChatConfig, sim_reply
from common.config import Settings
from common.secrets import GEMINI_API_KEY
from tests.conftest import Stack, start_stack, stop_stack
from tests.fakes import FakeGemini, png_bytes
from tests.fakes.gemini import internal_error, prompt_blocked, sse

SSE = {"Accept": "text/event-stream"}


# ---- helpers ------------------------------------------------------------------------


def ask(stack: Stack, token: str, message: str, **body: Any) -> requests.Response:
    return stack.api("POST", "/api/ai/chat", token=token, json={"message": message, **body})


def stream(stack: Stack, token: str, message: str, **body: Any) -> requests.Response:
    return requests.post(stack.url + "/api/ai/chat", json={"message": message, **body}, stream=True, timeout=30,
                         headers={**SSE, "Authorization": f"Bearer {token}"})


def events_of(response: requests.Response) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event, data) pairs as they arrive; comments (heartbeats) come as ("", {"comment": ...})."""
    name, data = "", None
    for line in response.iter_lines(chunk_size=1, decode_unicode=True):
        if line.startswith(":"):
            yield "", {"comment": line[1:].strip()}
        elif line.startswith("event: "):
            name = line[len("event: "):]
        elif line.startswith("data: "):
            data = json.loads(line[len("data: "):])
        elif line == "" and name:
            yield name, data or {}
            name, data = "", None


def all_events(response: requests.Response) -> list[tuple[str, dict[str, Any]]]:
    return [e for e in events_of(response) if e[0]]


def conversation(stack: Stack, token: str, conversation_id: str) -> dict[str, Any]:
    r = stack.api("GET", f"/api/ai/chats/{conversation_id}", token=token)
    assert r.status_code == 200, r.text
    return dict(r.json())


def chat_quota_used(stack: Stack, token: str) -> int:
    return int(stack.api("GET", "/api/auth/me", token=token).json()["quota"]["chat"]["used"])


def upload(stack: Stack, token: str, data: bytes) -> str:
    r = stack.api("POST", "/api/ai/uploads", token=token, files={"file": ("x.png", data, "image/png")})
    assert r.status_code == 201, r.text
    return str(r.json()["url"])


def set_providers(stack: Stack, **fields: str) -> None:
    """What the admin panel does: write the `providers` settings document."""
    stack.svc.db.settings.update_one({"_id": "providers"}, {"$set": fields}, upsert=True)


# ---- replies ---------------------------------------------------------------------------


def test_json_answer_is_the_stored_assistant_message(stack: Stack) -> None:
    token = stack.register()

    r = ask(stack, token, "Write a prompt for a neon city at night")

    assert r.status_code == 200, r.text
    body = r.json()
    message = body["message"]
    assert set(message) == {"id", "role", "text", "attachments", "partial", "created_at"}
    assert message["role"] == "assistant" and message["attachments"] == [] and message["partial"] is False
    assert message["text"].startswith("You asked: “Write a prompt for a neon city at night”.")
    stored = conversation(stack, token, body["conversation_id"])
    assert stored["title"] == "Write a prompt for a neon city at night"
    assert [(m["role"], m["text"]) for m in stored["messages"]] == [
        ("user", "Write a prompt for a neon city at night"), ("assistant", message["text"]),
    ]
    assert stored["messages"][1] == message


def test_streamed_deltas_concatenate_to_the_stored_reply_and_done_names_it(stack: Stack) -> None:
    token = stack.register()

    with stream(stack, token, "Suggest a video of waves at dawn") as r:
        assert r.status_code == 200
        assert r.headers["Content-Type"].startswith("text/event-stream")
        assert r.headers["Cache-Control"] == "no-cache"
        assert r.headers["X-Accel-Buffering"] == "no"
        events = all_events(r)

    names = [name for name, _ in events]
    assert names[-1] == "done" and set(names[:-1]) == {"delta"} and len(names) > 5
    done = events[-1][1]
    streamed = "".join(data["text"] for name, data in events if name == "delta")
    stored = conversation(stack, token, done["conversation_id"])
    reply = stored["messages"][-1]
    assert (reply["id"], reply["role"], reply["text"], reply["partial"]) == (done["message_id"], "assistant", streamed, False)
    assert "A video prompt you could try" in streamed


def test_second_message_is_answered_with_the_first_in_its_history(stack: Stack) -> None:
    token = stack.register()
    first = ask(stack, token, "A lighthouse in a storm").json()

    second = ask(stack, token, "Make it daytime", conversation_id=first["conversation_id"]).json()

    assert second["conversation_id"] == first["conversation_id"]
    assert "Building on what you said before (“A lighthouse in a storm”), with 2 earlier messages" in second["message"]["text"]
    stored = conversation(stack, token, first["conversation_id"])
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant", "user", "assistant"]
    assert stored["title"] == "A lighthouse in a storm"


def test_title_is_the_first_message_cut_on_a_word_boundary(stack: Stack) -> None:
    token = stack.register()
    long = "A slow cinematic tracking shot through a rain-soaked neon market at midnight with reflections"

    body = ask(stack, token, long).json()

    [item] = stack.api("GET", "/api/ai/chats", token=token).json()["items"]
    assert item["id"] == body["conversation_id"]
    assert item["title"] == "A slow cinematic tracking shot through a rain-soaked neon…"
    assert len(item["title"]) <= 61


# ---- attachments ------------------------------------------------------------------------


def test_own_upload_is_attached_described_and_read_back_as_a_fresh_proxy_url(stack: Stack) -> None:
    token = stack.register()
    url = upload(stack, token, png_bytes(64, 48, (40, 200, 255)))

    body = ask(stack, token, "What colour is this?", attachments=[url]).json()

    assert "Image 1 is 64x48 pixels, mostly cyan" in body["message"]["text"]
    stored = conversation(stack, token, body["conversation_id"])
    user_message = stored["messages"][0]
    [attachment] = user_message["attachments"]
    assert attachment.startswith("/api/ai/proxy?url=")
    assert stack.api("GET", attachment).content == png_bytes(64, 48, (40, 200, 255))
    doc = stack.svc.db.messages.find_one({"_id": user_message["id"]})
    assert doc["attachments"][0].startswith("uploads/")  # an object name, never a URL


def test_own_generated_image_can_be_attached(stack: Stack) -> None:
    token = stack.register()
    task = stack.api("POST", "/api/ai/image", token=token, json={"prompt": "a red fox", "aspect_ratio": "16:9"}).json()
    done = stack.wait_task(token, task["id"])
    assert done["status"] == "COMPLETED", done

    body = ask(stack, token, "Animate this into a short clip", attachments=[done["result"]["url"]]).json()

    assert "Image 1 is 1024x576 pixels" in body["message"]["text"]
    assert "A video prompt you could try" in body["message"]["text"]


def test_someone_elses_image_is_forbidden_and_nothing_is_stored_or_charged(stack: Stack) -> None:
    owner, other = stack.register(), stack.register()
    url = upload(stack, owner, png_bytes(8, 8))

    r = ask(stack, other, "Describe it", attachments=[url])

    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"
    assert stack.api("GET", "/api/ai/chats", token=other).json()["items"] == []
    assert chat_quota_used(stack, other) == 0


# ---- conversations ------------------------------------------------------------------------


def test_list_get_delete_and_another_users_conversation_is_not_found(stack: Stack) -> None:
    alice, bob = stack.register(), stack.register()
    first = ask(stack, alice, "first").json()["conversation_id"]
    second = ask(stack, alice, "second").json()["conversation_id"]
    ask(stack, alice, "again", conversation_id=first)  # now the most recently active

    listed = stack.api("GET", "/api/ai/chats", token=alice).json()
    assert [(c["id"], c["title"]) for c in listed["items"]] == [(first, "first"), (second, "second")]
    assert listed["next_cursor"] is None

    for method in ("GET", "DELETE"):
        r = stack.api(method, f"/api/ai/chats/{first}", token=bob)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert ask(stack, bob, "hijack", conversation_id=first).status_code == 404
    assert stack.api("GET", "/api/ai/chats", token=bob).json()["items"] == []

    assert stack.api("DELETE", f"/api/ai/chats/{first}", token=alice).status_code == 204
    assert stack.api("GET", f"/api/ai/chats/{first}", token=alice).status_code == 404
    assert stack.svc.db.messages.count_documents({"conversation_id": first}) == 0
    assert [c["id"] for c in stack.api("GET", "/api/ai/chats", token=alice).json()["items"]] == [second]


def test_list_pages_newest_first_with_a_cursor(stack: Stack) -> None:
    token = stack.register()
    ids = [ask(stack, token, f"chat {i}").json()["conversation_id"] for i in range(5)]

    seen, cursor = [], None
    while True:
        page = stack.api("GET", "/api/ai/chats", token=token, params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break

    assert seen == ids[::-1]
    bad = stack.api("GET", "/api/ai/chats", token=token, params={"cursor": "garbage!"})
    assert bad.status_code == 400


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"message": ""}, 400, "message"),
        ({"message": "   "}, 400, "message"),
        ({"message": "x" * 8001}, 400, "message"),
        ({"message": "hi", "attachments": ["/api/ai/proxy?url=a&sig=b"] * 5}, 400, "attachments"),
        ({"message": "hi", "attachments": ["https://example.com/cat.png"]}, 400, None),
        ({"message": "hi", "conversation_id": "no-such-conversation"}, 404, None),
        ({"message": "hi", "conversation_id": "f" * 24}, 404, None),
        ({"message": "hi", "extra": 1}, 400, "extra"),
    ],
)
def test_invalid_messages_are_refused_without_charging(stack: Stack, body: dict[str, Any], status: int, field: str | None) -> None:
    token = stack.register()

    r = stack.api("POST", "/api/ai/chat", token=token, json=body, headers=SSE)

    assert r.status_code == status, r.text
    assert r.headers["Content-Type"] == "application/json"
    if field:
        assert r.json()["error"]["details"]["field"] == field
    assert chat_quota_used(stack, token) == 0


def test_a_message_of_8000_characters_is_accepted(stack: Stack) -> None:
    token = stack.register()
    assert ask(stack, token, "y" * 8000).status_code == 200


def test_chat_needs_a_signed_in_user(stack: Stack) -> None:
    assert stack.api("POST", "/api/ai/chat", json={"message": "hi"}).status_code == 401
    assert stack.api("GET", "/api/ai/chats").status_code == 401


# ---- quota and failures ---------------------------------------------------------------------


def test_each_message_uses_a_quota_unit_and_a_model_failure_gives_it_back(stack: Stack) -> None:
    token = stack.register()
    ok = ask(stack, token, "hello").json()
    assert chat_quota_used(stack, token) == 1

    r = ask(stack, token, "are you there? [sim:down]", conversation_id=ok["conversation_id"])

    assert r.status_code == 503
    assert r.headers["Retry-After"]
    error = r.json()["error"]
    assert error["code"] == "provider_unavailable"
    assert error["message"] == "The AI provider is temporarily unavailable."
    assert error["details"]["conversation_id"] == ok["conversation_id"]
    assert chat_quota_used(stack, token) == 1  # refunded
    stored = conversation(stack, token, ok["conversation_id"])
    assert [(m["role"], m["text"]) for m in stored["messages"]][-1] == ("user", "are you there? [sim:down]")
    assert len(stored["messages"]) == 3  # the user's message is kept; no empty assistant message


def test_quota_used_up_without_credits_is_402_and_stores_nothing(stack: Stack) -> None:
    token = stack.register()
    stack.svc.db.settings.update_one({"_id": "pricing"}, {"$set": {"quotas": {"chat": 1}}}, upsert=True)
    assert ask(stack, token, "one").status_code == 200

    r = ask(stack, token, "two")

    assert r.status_code == 402
    assert r.json()["error"]["code"] == "insufficient_credits"
    assert len(stack.api("GET", "/api/ai/chats", token=token).json()["items"]) == 1
    assert stack.svc.db.messages.count_documents({"text": "two"}) == 0


def test_paid_message_is_refunded_in_credits_when_the_model_fails(stack: Stack) -> None:
    token = stack.register()
    user = stack.svc.db.users.find_one({}, sort=[("created_at", -1)])
    stack.svc.db.settings.update_one({"_id": "pricing"}, {"$set": {"quotas": {"chat": 0}, "costs": {"chat": 3}}}, upsert=True)
    stack.svc.accounting.apply_credits(user_id=user["_id"], delta=5, key="gift:chat", reason="test")

    assert ask(stack, token, "paid").status_code == 200
    assert stack.svc.db.users.find_one({"_id": user["_id"]})["credits"] == 2
    assert ask(stack, token, "[sim:down]").status_code == 402  # 2 credits left, 3 needed

    stack.svc.accounting.apply_credits(user_id=user["_id"], delta=1, key="gift:chat:2", reason="test")
    assert ask(stack, token, "fails [sim:down]").status_code == 503
    assert stack.svc.db.users.find_one({"_id": user["_id"]})["credits"] == 3  # charged, then refunded


def test_stream_failing_before_text_ends_with_an_error_event_and_refunds(stack: Stack) -> None:
    token = stack.register()

    with stream(stack, token, "draw something [sim:unsafe]") as r:
        assert r.status_code == 200
        events = all_events(r)

    assert [name for name, _ in events] == ["error"]
    error = events[0][1]
    assert error["code"] == "safety_refusal"
    assert error["message"].startswith("The request was blocked by the provider's safety filters.")
    stored = conversation(stack, token, error["conversation_id"])
    assert [m["role"] for m in stored["messages"]] == ["user"]
    assert chat_quota_used(stack, token) == 0


def test_failure_mid_stream_keeps_the_partial_reply_and_ends_with_an_error_event(stack: Stack) -> None:
    token = stack.register()

    with stream(stack, token, "tell me a story [sim:cut]") as r:
        events = all_events(r)

    names = [name for name, _ in events]
    assert names == ["delta"] * 5 + ["error"]
    error = events[-1][1]
    assert error["code"] == "provider_unavailable"
    reply = conversation(stack, token, error["conversation_id"])["messages"][-1]
    assert reply["role"] == "assistant" and reply["partial"] is True
    assert reply["text"] == "".join(data["text"] for name, data in events if name == "delta")
    assert chat_quota_used(stack, token) == 1  # text was produced: no refund


def test_dropped_connection_mid_stream_keeps_what_was_generated(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="common.chat")
    token = stack.register()
    first = ask(stack, token, "hello").json()
    cid = first["conversation_id"]
    message = "a long answer please [sim:slow]"
    full = sim_reply([("user", "hello"), ("assistant", first["message"]["text"])], message, [])
    stack.svc.chat.config = ChatConfig(checkpoint_s=0.0)  # every word is written at once (the test stack's sim has no delay)

    r = stream(stack, token, message, conversation_id=cid)
    first_delta = next(data for name, data in events_of(r) if name == "delta")
    r.close()  # the user closed the tab

    # The turn logs when it has stopped and saved what it had; wait for that, not for a quiet spell.
    deadline = time.monotonic() + 15
    while not any(r.getMessage().startswith("chat reply interrupted") for r in caplog.records):
        assert time.monotonic() < deadline, "the server never noticed the closed stream"
        time.sleep(0.05)
    messages = conversation(stack, token, cid)["messages"]
    assert len(messages) == 4, messages
    reply = messages[3]
    assert reply["role"] == "assistant" and reply["partial"] is True
    assert reply["text"].startswith(first_delta["text"])
    assert full.startswith(reply["text"]) and len(reply["text"]) < len(full)


def test_stream_sends_heartbeat_comments_while_the_model_is_silent(stack: Stack) -> None:
    token = stack.register()
    stack.svc.chat.config = ChatConfig(heartbeat_s=0.01)

    with stream(stack, token, "slowly [sim:slow]") as r:
        comments = [data["comment"] for name, data in events_of(r) if not name]

    assert comments[0] == "accepted"
    assert "keep-alive" in comments


def test_stream_carries_cors_headers_for_an_allowed_origin(stack: Stack) -> None:
    token = stack.register()
    r = requests.post(stack.url + "/api/ai/chat", json={"message": "hi"}, timeout=30,
                      headers={**SSE, "Authorization": f"Bearer {token}", "Origin": "https://studio.example"})
    assert r.headers["Access-Control-Allow-Origin"] == "https://studio.example"
    assert "event: done" in r.text


# ---- gemini through its wire format ------------------------------------------------------------


@pytest.fixture
def gemini() -> Iterator[FakeGemini]:
    with FakeGemini(accepted_keys=("gem-chat-key",)) as fake:
        yield fake


@pytest.fixture
def gemini_stack(settings: Settings, gemini: FakeGemini) -> Iterator[Stack]:
    stack, server = start_stack(settings.model_copy(update={"GEMINI_BASE_URL": gemini.base_url}))
    stack.svc.secrets.put(GEMINI_API_KEY, "gem-chat-key")
    set_providers(stack, chat_provider="gemini", chat_model="gemini-2.5-flash")
    yield stack
    stop_stack(stack, server)


def test_gemini_reply_streams_with_the_key_from_secrets_and_prior_turns(gemini_stack: Stack, gemini: FakeGemini) -> None:
    token = gemini_stack.register()
    gemini.script("stream", sse("A neon ", "lighthouse."), sse("Sunny ", "now."))
    first = ask(gemini_stack, token, "A lighthouse").json()
    assert first["message"]["text"] == "A neon lighthouse."

    with stream(gemini_stack, token, "Make it daytime", conversation_id=first["conversation_id"]) as r:
        events = all_events(r)

    assert events == [("delta", {"text": "Sunny "}), ("delta", {"text": "now."}),
                      ("done", {"conversation_id": first["conversation_id"], "message_id": events[-1][1]["message_id"]})]
    second = gemini.requests_to("stream")[1]
    assert second.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    assert second.headers["x-goog-api-key"] == "gem-chat-key"
    assert [(c["role"], c["parts"][0]["text"]) for c in second.json()["contents"]] == [
        ("user", "A lighthouse"), ("model", "A neon lighthouse."), ("user", "Make it daytime"),
    ]


def test_gemini_gets_attachments_inline(gemini_stack: Stack, gemini: FakeGemini) -> None:
    token = gemini_stack.register()
    image = png_bytes(16, 16)
    url = upload(gemini_stack, token, image)

    assert ask(gemini_stack, token, "What is this?", attachments=[url]).status_code == 200

    import base64

    parts = gemini.requests_to("stream")[0].json()["contents"][-1]["parts"]
    assert parts[0] == {"text": "What is this?"}
    assert base64.b64decode(parts[1]["inlineData"]["data"]) == image


def test_gemini_safety_block_is_a_clean_error_and_refunded(gemini_stack: Stack, gemini: FakeGemini) -> None:
    token = gemini_stack.register()
    gemini.script("stream", prompt_blocked())

    r = ask(gemini_stack, token, "something it refuses")

    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "safety_refusal"
    assert error["message"] == "The request was blocked by the provider's safety filters. Please rephrase your prompt or use another image."
    assert chat_quota_used(gemini_stack, token) == 0


def test_gemini_server_error_is_503_without_provider_details_and_refunded(gemini_stack: Stack, gemini: FakeGemini) -> None:
    token = gemini_stack.register()
    gemini.script("stream", internal_error())

    r = ask(gemini_stack, token, "hello")

    assert r.status_code == 503
    assert "req-" not in r.text
    assert r.json()["error"]["code"] == "provider_unavailable"
    assert chat_quota_used(gemini_stack, token) == 0


def test_gemini_without_a_key_is_provider_unavailable(gemini_stack: Stack, gemini: FakeGemini) -> None:
    token = gemini_stack.register()
    gemini_stack.svc.db.secrets.delete_many({"name": GEMINI_API_KEY})
    gemini_stack.svc.secrets.invalidate()

    with stream(gemini_stack, token, "hello") as r:
        events = all_events(r)

    assert events[-1][0] == "error" and events[-1][1]["code"] == "provider_unavailable"
    assert "administrator" in events[-1][1]["message"]
    assert gemini.requests_to("stream") == []


# ---- the deployable ---------------------------------------------------------------------------

CHAT_TARGET = '''
import flask
import functions_framework
from functions import chat as _chat


@functions_framework.http
def chat(request: flask.Request) -> flask.Response:
    return _chat.api(request)
'''


def test_chat_target_streams_under_functions_framework(stack: Stack, tmp_path: Any) -> None:
    """The `chat` entry point main.py needs, loaded the way Cloud Run loads it."""
    import functions_framework

    source = tmp_path / "chat_main.py"
    source.write_text(CHAT_TARGET)
    client = functions_framework.create_app("chat", str(source)).test_client()
    token = stack.register()

    r = client.post("/api/ai/chat", json={"message": "hi there"}, headers={**SSE, "Authorization": f"Bearer {token}"})

    assert r.status_code == 200 and r.mimetype == "text/event-stream"
    body = r.get_data(as_text=True)
    assert body.startswith(": accepted\n\n") and "event: delta\n" in body and body.rstrip().splitlines()[-2] == "event: done"
    done = json.loads(body.rstrip().splitlines()[-1][len("data: "):])
    assert conversation(stack, token, done["conversation_id"])["messages"][-1]["id"] == done["message_id"]


# ---- regenerate ----------------------------------------------------------------------------------------------------


def test_regenerate_replaces_the_last_reply_and_charges_one_unit(stack: Stack) -> None:
    token = stack.register()
    first = ask(stack, token, "hello").json()
    cid = first["conversation_id"]
    second = ask(stack, token, "a neon cat", conversation_id=cid).json()
    used = chat_quota_used(stack, token)

    r = stack.api("POST", "/api/ai/chat/regenerate", token=token, json={"conversation_id": cid})
    assert r.status_code == 200, r.text
    again = r.json()
    assert again["conversation_id"] == cid and again["message"]["id"] != second["message"]["id"]
    messages = conversation(stack, token, cid)["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[3]["id"] == again["message"]["id"]  # the old reply is gone, the new one answers "a neon cat"
    assert messages[3]["text"] == sim_reply([("user", "hello"), ("assistant", first["message"]["text"])], "a neon cat", [])
    assert chat_quota_used(stack, token) == used + 1


def test_regenerate_streams_and_a_failure_before_text_keeps_the_old_reply(stack: Stack) -> None:
    token = stack.register()
    first = ask(stack, token, "hello").json()
    cid = first["conversation_id"]
    r = requests.post(stack.url + "/api/ai/chat/regenerate", json={"conversation_id": cid}, stream=True, timeout=30,
                      headers={**SSE, "Authorization": f"Bearer {token}"})
    names = [name for name, _ in events_of(r) if name]
    assert names[-1] == "done" and "delta" in names
    [user, reply] = conversation(stack, token, cid)["messages"]
    assert reply["text"] == first["message"]["text"] and reply["id"] != first["message"]["id"]

    down = ask(stack, token, "fail please [sim:down]", conversation_id=cid)
    assert down.status_code == 503
    used = chat_quota_used(stack, token)
    r = stack.api("POST", "/api/ai/chat/regenerate", token=token, json={"conversation_id": cid})
    assert r.status_code == 503  # the last user message still carries the marker
    assert chat_quota_used(stack, token) == used  # refunded
    assert [m["id"] for m in conversation(stack, token, cid)["messages"]][:2] == [user["id"], reply["id"]]


def test_regenerate_refuses_others_conversations_and_bad_bodies(stack: Stack) -> None:
    owner, other = stack.register(), stack.register()
    cid = ask(stack, owner, "hello").json()["conversation_id"]
    r = stack.api("POST", "/api/ai/chat/regenerate", token=other, json={"conversation_id": cid})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = stack.api("POST", "/api/ai/chat/regenerate", token=owner, json={})
    assert r.status_code == 400 and r.json()["error"]["details"]["field"] == "conversation_id"
    assert stack.api("POST", "/api/ai/chat/regenerate", json={"conversation_id": cid}).status_code == 401
