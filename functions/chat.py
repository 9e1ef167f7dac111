"""Function `chat`: send a message (JSON answer or an event stream), list, read and delete own conversations."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import flask
from pydantic import BaseModel, ConfigDict, Field

from common.http import Api, Ctx
from common.models.chat import ChatConversation, ChatList, ChatRegenerateRequest, ChatRequest, ChatResponse
from common.runtime import Services

if TYPE_CHECKING:
    from common.chat import Turn  # imported with the service (common.runtime), not at cold start

api = Api("chat")

# Start-up work done before the first request (main.py): modules its first request imports, then clients.
PRELOAD = ("common.auth", "common.chat", "pymongo")


def warm(svc: Services) -> None:
    """Build this function's clients at instance start."""
    svc.warm("auth")
    svc.jwt_key()


class ChatListQuery(BaseModel):
    """Query parameters of GET /api/ai/chats: `limit` 1..100 items per page (default 20), `cursor` from the previous page's next_cursor; unknown
    parameters are ignored.
    """
    model_config = ConfigDict(extra="ignore")
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(None, max_length=300)


@api.route(
    "/api/ai/chat", methods=["POST"], rate="chat", body=ChatRequest, response=ChatResponse,
    summary="Send a message; the assistant's reply (or, with Accept: text/event-stream, events delta/done/error)",
    produces=("text/event-stream",),
)
def send_message(ctx: Ctx) -> ChatResponse | flask.Response:
    """POST /api/ai/chat: store the user's message and answer the assistant's reply as ChatResponse, or with
    `Accept: text/event-stream` as server-sent events (WHATWG HTML section 9.2) `delta`/`done`/`error`.
    402 when neither the chat quota nor credits can pay, 429 when rate-limited; 404 for another user's conversation.
    """
    turn = ctx.svc.chat.start_turn(user_id=ctx.user_id, body=ctx.body(ChatRequest))
    if "text/event-stream" in ctx.request.headers.get("Accept", ""):
        return event_stream(turn)
    return turn.complete()


@api.route(
    "/api/ai/chat/regenerate", methods=["POST"], rate="chat", body=ChatRegenerateRequest, response=ChatResponse,
    summary="A new reply to the last user message, replacing the last reply (answered like POST /api/ai/chat)",
    produces=("text/event-stream",),
)
def regenerate_reply(ctx: Ctx) -> ChatResponse | flask.Response:
    """A new reply to the conversation's last user message, replacing the last reply; answered like send_message."""
    turn = ctx.svc.chat.start_regenerate(user_id=ctx.user_id, body=ctx.body(ChatRegenerateRequest))
    if "text/event-stream" in ctx.request.headers.get("Accept", ""):
        return event_stream(turn)
    return turn.complete()


@api.route(
    "/api/ai/chats", methods=["GET"], query=ChatListQuery, response=ChatList,
    summary="Own conversations, most recently active first",
)
def list_conversations(ctx: Ctx) -> ChatList:
    """GET /api/ai/chats: one page of the caller's conversations, most recently active first."""
    q = ctx.query(ChatListQuery)
    return ctx.svc.chat.page(user_id=ctx.user_id, limit=q.limit, cursor=q.cursor)


@api.route(
    "/api/ai/chats/<conversation_id>", methods=["GET"], response=ChatConversation,
    summary="One own conversation with its messages",
)
def get_conversation(ctx: Ctx) -> ChatConversation:
    """GET /api/ai/chats/{id}: one own conversation with its messages; 404 for an unknown or another user's one."""
    return ctx.svc.chat.conversation(user_id=ctx.user_id, conversation_id=ctx.args["conversation_id"])


@api.route(
    "/api/ai/chats/<conversation_id>", methods=["DELETE"], status=204,
    summary="Delete a conversation and its messages",
)
def delete_conversation(ctx: Ctx) -> None:
    ctx.svc.chat.delete(user_id=ctx.user_id, conversation_id=ctx.args["conversation_id"])


def event_stream(turn: Turn) -> flask.Response:
    """The turn's events as server-sent events; the turn is closed however the response ends."""

    def body() -> Iterator[str]:
        """The SSE body: a comment line first (so the headers go out at once), then `event:`/`data:` pairs per event and
        `: keep-alive` comments while the model is silent.
        """
        yield ": accepted\n\n"  # sends the headers now: the message is stored, the model is working
        with contextlib.closing(turn.events()) as events:
            for event in events:
                if event.data is None:
                    yield ": keep-alive\n\n"
                else:
                    yield f"event: {event.name}\ndata: {event.data.model_dump_json()}\n\n"

    response = flask.Response(body(), status=200, mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    response.call_on_close(turn.close)
    return response
