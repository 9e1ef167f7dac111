"""The multimodal assistant: conversations, messages, and one streamed reply per user message.

ports.py is the storage port (`ConversationStore`, a Protocol) that service.py and turn.py depend on;
store.py its MongoDB adapter (`MongoConversationStore`); turn.py one reply (JSON or server-sent events);
service.py starts turns and reads conversations; the providers live in common/providers/. The stored
documents are typed: `ConversationDocument`, `MessageDocument` (common/models/chat.py).

Persistence rules (API.md, docs/chat.md):

- The user's message is charged (one daily `chat` quota unit, else credits, keyed
  by the message id) and stored *before* the model is called.
- The reply is stored from its first piece of text on, checkpointed while it
  streams, and finalised when it ends. If the client goes away mid-reply, what
  was generated so far stays, marked `partial`.
- A model that fails before any text leaves no assistant message, and the
  charge is given back.
"""

from common.chat.ports import ConversationStore
from common.chat.service import ChatService, title_for
from common.chat.store import MongoConversationStore
from common.chat.turn import HEARTBEAT, ChatConfig, ChatEvent, Turn, provider_failure
from common.providers.sim_chat import sim_reply

__all__ = ["HEARTBEAT", "ChatConfig", "ChatEvent", "ChatService", "ConversationStore", "MongoConversationStore",
           "Turn", "provider_failure",
           "sim_reply", "title_for"]
