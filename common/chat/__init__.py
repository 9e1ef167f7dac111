"""The multimodal assistant: conversations, messages, and one streamed reply per user message.

store.py owns the collections, turn.py one reply (JSON or server-sent events),
service.py starts turns and reads conversations; the providers live in common/providers/.

Persistence rules (API.md, docs/chat.md):

- The user's message is charged (one daily `chat` quota unit, else credits, keyed
  by the message id) and stored *before* the model is called.
- The reply is stored from its first piece of text on, checkpointed while it
  streams, and finalised when it ends. If the client goes away mid-reply, what
  was generated so far stays, marked `partial`.
- A model that fails before any text leaves no assistant message, and the
  charge is given back.
"""

from common.chat.service import ChatService, title_for
from common.chat.store import ConversationStore
from common.chat.turn import HEARTBEAT, ChatConfig, ChatEvent, Turn, provider_failure
from common.providers.sim_chat import sim_reply

__all__ = ["HEARTBEAT", "ChatConfig", "ChatEvent", "ChatService", "ConversationStore", "Turn", "provider_failure",
           "sim_reply", "title_for"]
